//! Which column holds what: suggested from the header in Chinese or English, changeable by the
//! user, and saved with the date order the file uses and the kind of records it holds.

use guanxi_core::custom_field::FieldType;
use guanxi_core::ImportKind;
use serde::{Deserialize, Serialize};

/// A field of a customer, lead, order or interaction that a column can fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Company,
    Title,
    Mobile,
    Phone,
    Email,
    Wechat,
    City,
    Address,
    Birthday,
    Tags,
    Note,
    /// Where a lead came from (checked by the store against the organisation's list).
    Source,
    /// An order's number in the system it comes from.
    OrderNo,
    /// When an order was placed or an interaction took place.
    Date,
    /// An order's amount.
    Amount,
    Currency,
    /// An order's status.
    Status,
    /// What an order is for.
    Product,
    Quantity,
    /// How an interaction took place: phone, e-mail, a visit, ….
    Channel,
    /// Who started an interaction.
    Direction,
    Subject,
    /// What an interaction was about.
    Content,
    /// How long a call or a visit took.
    Duration,
}

/// The fields a file of `kind` can fill, in the order a form shows them.
pub fn fields_of(kind: ImportKind) -> &'static [Field] {
    use Field::*;
    match kind {
        ImportKind::Customers => &[
            Name, Company, Title, Mobile, Phone, Email, Wechat, City, Address, Birthday, Tags, Note,
        ],
        ImportKind::Leads => &[
            Name, Company, Title, Mobile, Phone, Email, Wechat, City, Source, Note,
        ],
        ImportKind::Orders => &[
            Name, Company, Mobile, Phone, Email, Wechat, OrderNo, Date, Amount, Currency, Status,
            Product, Quantity, Note,
        ],
        ImportKind::Interactions => &[
            Name, Company, Mobile, Phone, Email, Wechat, Date, Channel, Direction, Subject,
            Content, Duration, Note,
        ],
    }
}

/// Header words, field by field, for every kind of file (a field that is not of the kind is
/// passed over). The words of the customer fields are exactly those customers have always
/// been suggested with; words that mean a customer field only in other files are in the
/// tables of those kinds.
const WORDS: &[(Field, &[&str])] = &[
    (
        Field::Name,
        &[
            "姓名",
            "名字",
            "客户名称",
            "客户姓名",
            "联系人",
            "客户",
            "name",
            "fullname",
            "contact",
            "contactname",
            "customer",
            "customername",
        ],
    ),
    (
        Field::Company,
        &[
            "公司",
            "公司名称",
            "单位",
            "工作单位",
            "企业",
            "企业名称",
            "company",
            "companyname",
            "organization",
            "organisation",
            "org",
            "account",
        ],
    ),
    (
        Field::Title,
        &["职务", "职位", "头衔", "title", "jobtitle", "position"],
    ),
    (
        Field::Mobile,
        &[
            "手机",
            "手机号",
            "手机号码",
            "移动电话",
            "mobile",
            "mobilephone",
            "cell",
            "cellphone",
        ],
    ),
    (
        Field::Phone,
        &[
            "电话",
            "电话号码",
            "座机",
            "固话",
            "办公电话",
            "联系电话",
            "phone",
            "telephone",
            "tel",
            "workphone",
            "phonenumber",
        ],
    ),
    (
        Field::Email,
        &[
            "邮箱",
            "电子邮件",
            "电子邮箱",
            "邮件",
            "email",
            "e-mail",
            "mail",
            "emailaddress",
        ],
    ),
    (
        Field::Wechat,
        &["微信", "微信号", "wechat", "weixin", "wechatid"],
    ),
    (Field::City, &["城市", "所在城市", "地区", "city", "region"]),
    (
        Field::Address,
        &[
            "地址",
            "联系地址",
            "通讯地址",
            "address",
            "street",
            "mailingaddress",
        ],
    ),
    (
        Field::Birthday,
        &[
            "生日",
            "出生日期",
            "birthday",
            "birthdate",
            "dateofbirth",
            "dob",
        ],
    ),
    (Field::Tags, &["标签", "tags", "tag", "labels"]),
    (
        Field::Note,
        &[
            "备注", "说明", "note", "notes", "remark", "remarks", "comment", "comments",
        ],
    ),
    (
        Field::Source,
        &[
            "线索来源",
            "来源",
            "客户来源",
            "来源渠道",
            "渠道",
            "source",
            "leadsource",
        ],
    ),
    (
        Field::OrderNo,
        &[
            "订单号",
            "单号",
            "订单编号",
            "订单id",
            "外部单号",
            "orderno",
            "orderid",
            "ordernumber",
            "externalid",
        ],
    ),
    (
        Field::Date,
        &[
            "日期",
            "时间",
            "下单时间",
            "订单日期",
            "下单日期",
            "订单创建时间",
            "创建时间",
            "沟通时间",
            "联系时间",
            "通话时间",
            "来电时间",
            "呼叫时间",
            "date",
            "time",
            "datetime",
            "orderdate",
            "created",
            "createdat",
        ],
    ),
    (
        Field::Amount,
        &[
            "金额",
            "订单金额",
            "实付金额",
            "实付款",
            "订单实付金额",
            "买家实际支付金额",
            "支付金额",
            "付款金额",
            "总金额",
            "总价",
            "应付金额",
            "amount",
            "total",
            "totalamount",
            "price",
        ],
    ),
    (Field::Currency, &["币种", "货币", "币别", "currency"]),
    (
        Field::Status,
        &["状态", "订单状态", "交易状态", "status", "orderstatus"],
    ),
    (
        Field::Product,
        &[
            "商品",
            "商品名称",
            "商品标题",
            "宝贝标题",
            "宝贝名称",
            "产品",
            "产品名称",
            "品名",
            "product",
            "productname",
            "item",
            "itemname",
            "description",
        ],
    ),
    (
        Field::Quantity,
        &[
            "数量",
            "件数",
            "商品数量",
            "宝贝数量",
            "宝贝总数量",
            "购买数量",
            "quantity",
            "qty",
        ],
    ),
    (
        Field::Channel,
        &[
            "渠道",
            "方式",
            "沟通方式",
            "沟通渠道",
            "联系方式",
            "channel",
            "type",
        ],
    ),
    (
        Field::Direction,
        &[
            "方向",
            "呼入呼出",
            "呼叫类型",
            "呼叫方向",
            "通话类型",
            "通话方向",
            "direction",
        ],
    ),
    // "title" reaches the subject only where there is no job title (interactions).
    (Field::Subject, &["主题", "标题", "subject", "title"]),
    (
        Field::Content,
        &[
            "内容",
            "沟通内容",
            "通话内容",
            "跟进内容",
            "记录",
            "沟通记录",
            "跟进记录",
            "详情",
            "content",
            "body",
            "details",
            "summary",
            "description",
        ],
    ),
    (
        Field::Duration,
        &["时长", "通话时长", "持续时间", "duration", "callduration"],
    ),
];

/// Words for a lead, looked at before [`WORDS`].
const LEAD_WORDS: &[(Field, &[&str])] = &[
    (Field::Mobile, &["联系方式"]),
    (Field::City, &["区域", "所在地区", "省份", "省市"]),
];

/// Words of shop and order exports (淘宝, 有赞, …), looked at before [`WORDS`].
const ORDER_WORDS: &[(Field, &[&str])] = &[
    (
        Field::Name,
        &[
            "买家",
            "买家姓名",
            "收货人",
            "收货人姓名",
            "收件人",
            "收件人姓名",
            "顾客",
            "顾客姓名",
            "buyer",
            "buyername",
            "consignee",
        ],
    ),
    (
        Field::Mobile,
        &["联系手机", "收货人手机", "收货人手机号", "联系方式"],
    ),
    (Field::Phone, &["收货人电话"]),
    (Field::Note, &["订单备注", "卖家备注"]),
];

/// Words of call-centre and follow-up logs, looked at before [`WORDS`].
const INTERACTION_WORDS: &[(Field, &[&str])] = &[(
    Field::Mobile,
    &["来电号码", "去电号码", "客户号码", "客户手机", "对方号码"],
)];

/// A header as it is compared with the words: lower case, without spaces, BOM and the marks
/// people put around names (`E-mail`, `手机号码*`, `备注：`).
fn normalise(header: &str) -> String {
    header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.' | '*' | ':' | '：'))
        .collect()
}

impl Field {
    pub const ALL: [Field; 25] = [
        Field::Name,
        Field::Company,
        Field::Title,
        Field::Mobile,
        Field::Phone,
        Field::Email,
        Field::Wechat,
        Field::City,
        Field::Address,
        Field::Birthday,
        Field::Tags,
        Field::Note,
        Field::Source,
        Field::OrderNo,
        Field::Date,
        Field::Amount,
        Field::Currency,
        Field::Status,
        Field::Product,
        Field::Quantity,
        Field::Channel,
        Field::Direction,
        Field::Subject,
        Field::Content,
        Field::Duration,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Company => "company",
            Field::Title => "title",
            Field::Mobile => "mobile",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::Wechat => "wechat",
            Field::City => "city",
            Field::Address => "address",
            Field::Birthday => "birthday",
            Field::Tags => "tags",
            Field::Note => "note",
            Field::Source => "source",
            Field::OrderNo => "order_no",
            Field::Date => "date",
            Field::Amount => "amount",
            Field::Currency => "currency",
            Field::Status => "status",
            Field::Product => "product",
            Field::Quantity => "quantity",
            Field::Channel => "channel",
            Field::Direction => "direction",
            Field::Subject => "subject",
            Field::Content => "content",
            Field::Duration => "duration",
        }
    }

    /// Is the field one that a file of `kind` can fill?
    pub fn belongs_to(self, kind: ImportKind) -> bool {
        fields_of(kind).contains(&self)
    }

    /// The customer field a header most likely means, from the words other CRMs,
    /// spreadsheets and phone exports use. `None`: leave the column out. This is
    /// [`Field::suggest_for`] with [`ImportKind::Customers`].
    pub fn suggest(header: &str) -> Option<Field> {
        Field::suggest_for(ImportKind::Customers, header)
    }

    /// The field of a file of `kind` a header most likely means (only fields of that kind).
    pub fn suggest_for(kind: ImportKind, header: &str) -> Option<Field> {
        let h = normalise(header);
        let first: &[(Field, &[&str])] = match kind {
            ImportKind::Customers => &[],
            ImportKind::Leads => LEAD_WORDS,
            ImportKind::Orders => ORDER_WORDS,
            ImportKind::Interactions => INTERACTION_WORDS,
        };
        first
            .iter()
            .chain(WORDS)
            .filter(|(f, _)| f.belongs_to(kind))
            .find(|(_, words)| words.iter().any(|w| w.replace('-', "") == h))
            .map(|(f, _)| *f)
    }
}

/// A custom field of the organisation (`guanxi_core::custom_field`) that a column of customers
/// fills, as it was defined when the mapping was made: a job keeps it, so that its check, its
/// import and every resume read the column alike, whatever happens to the definition meanwhile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// The values a choice may take.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

impl CustomField {
    /// The field as people call it.
    pub fn label(&self, lang: guanxi_core::Lang) -> &str {
        let (zh, en) = (self.label_zh.as_str(), self.label_en.as_str());
        match lang {
            guanxi_core::Lang::ZhCn if !zh.is_empty() => zh,
            guanxi_core::Lang::En if !en.is_empty() => en,
            _ if zh.is_empty() => en,
            _ => zh,
        }
    }

    /// Does a header name this field (its Chinese or English label, or its key, compared as
    /// headers are)?
    fn named_by(&self, header: &str) -> bool {
        let h = normalise(header);
        !h.is_empty()
            && [&self.label_zh, &self.label_en, &self.key]
                .iter()
                .any(|n| normalise(n) == h)
    }
}

/// What a column fills, as the API and the forms name it: a field (`mobile`) or a custom
/// field (`custom.industry`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Field(Field),
    Custom(String),
}

/// The prefix of a custom field's key in a [`Target`]'s name.
pub const CUSTOM_PREFIX: &str = "custom.";

impl Target {
    pub fn parse(s: &str) -> Option<Target> {
        match s.strip_prefix(CUSTOM_PREFIX) {
            Some(key) if !key.is_empty() => Some(Target::Custom(key.to_owned())),
            Some(_) => None,
            None => serde_json::from_value(serde_json::Value::String(s.to_owned()))
                .ok()
                .map(Target::Field),
        }
    }

    pub fn name(&self) -> String {
        match self {
            Target::Field(f) => f.as_str().to_owned(),
            Target::Custom(k) => format!("{CUSTOM_PREFIX}{k}"),
        }
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as Deserialize>::deserialize(d)?;
        Target::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("“{s}” is neither a field nor custom.<key>"))
        })
    }
}

/// Why a list of targets cannot be a mapping's columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetError {
    /// Another number of targets than the file has columns.
    Width { expected: usize },
    /// The column names a custom field the organisation does not have.
    UnknownCustom(usize),
    /// The column fills what an earlier column fills.
    Twice(usize),
}

/// How a file writes dates that are not ISO (`2024-01-05` and `2024/1/5` always read as
/// year-month-day): `5/1/2024` is the 5th of January with `DayMonthYear`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    #[default]
    YearMonthDay,
    DayMonthYear,
    MonthDayYear,
}

/// The columns of a file and the field each fills (`None`: left out), for a file of `kind`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub columns: Vec<Option<Field>>,
    pub dates: DateOrder,
    /// What the file holds (mappings saved before there were other kinds are customers').
    #[serde(default)]
    pub kind: ImportKind,
    /// The custom field each column fills, beside `columns` (a column fills a field or a
    /// custom field, never both); empty when no column fills one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<Option<CustomField>>,
}

impl Mapping {
    /// The suggestion for a header row of customers: each field at most once (the first
    /// column that names it wins).
    pub fn suggest(headers: &[String]) -> Mapping {
        Mapping::suggest_for(ImportKind::Customers, headers)
    }

    /// The suggestion for a header row of a file of `kind`: fields of that kind only, each
    /// at most once (the first column that names it wins).
    pub fn suggest_for(kind: ImportKind, headers: &[String]) -> Mapping {
        let mut used = Vec::new();
        let columns = headers
            .iter()
            .map(|h| {
                let f = Field::suggest_for(kind, h).filter(|f| !used.contains(f));
                if let Some(f) = f {
                    used.push(f);
                }
                f
            })
            .collect();
        Mapping {
            columns,
            dates: DateOrder::default(),
            kind,
            custom: Vec::new(),
        }
    }

    /// A target's name (`city`, `custom.industry`) as people call it, for reports of what an
    /// import changed; a name it does not know stays as it is.
    pub fn label_of(&self, name: &str, lang: guanxi_core::Lang) -> String {
        match Target::parse(name) {
            Some(Target::Field(f)) => crate::row::field_label(f, lang).to_owned(),
            Some(Target::Custom(key)) => self
                .custom
                .iter()
                .flatten()
                .find(|c| c.key == key)
                .map_or(key, |c| c.label(lang).to_owned()),
            None => name.to_owned(),
        }
    }

    /// The custom field column `i` fills, if any.
    pub fn custom_at(&self, i: usize) -> Option<&CustomField> {
        self.custom.get(i).and_then(Option::as_ref)
    }

    /// Each column's target, as the API and the forms name them.
    pub fn targets(&self) -> Vec<Option<Target>> {
        (0..self.columns.len())
            .map(|i| match (self.columns[i], self.custom_at(i)) {
                (Some(f), _) => Some(Target::Field(f)),
                (None, Some(c)) => Some(Target::Custom(c.key.clone())),
                (None, None) => None,
            })
            .collect()
    }

    /// Set the columns from their targets; a custom field is looked up in `fields` (the
    /// organisation's now). Each field and custom field may be filled by one column only.
    pub fn set_targets(
        &mut self,
        targets: &[Option<Target>],
        fields: &[CustomField],
    ) -> Result<(), TargetError> {
        if targets.len() != self.columns.len() {
            return Err(TargetError::Width {
                expected: self.columns.len(),
            });
        }
        let mut columns = Vec::with_capacity(targets.len());
        let mut custom = Vec::with_capacity(targets.len());
        for (n, t) in targets.iter().enumerate() {
            if t.is_some() && targets[..n].contains(t) {
                return Err(TargetError::Twice(n));
            }
            match t {
                None => {
                    columns.push(None);
                    custom.push(None);
                }
                Some(Target::Field(f)) => {
                    columns.push(Some(*f));
                    custom.push(None);
                }
                Some(Target::Custom(key)) => {
                    let f = fields
                        .iter()
                        .find(|f| &f.key == key)
                        .ok_or(TargetError::UnknownCustom(n))?;
                    columns.push(None);
                    custom.push(Some(f.clone()));
                }
            }
        }
        self.columns = columns;
        self.custom = if custom.iter().any(Option::is_some) {
            custom
        } else {
            Vec::new()
        };
        Ok(())
    }

    /// A file of customers: the columns that fill nothing and whose header names one of the
    /// organisation's custom fields (by its Chinese or English label or its key, as Guanxi's
    /// own exports head them) fill it, each custom field at most once. Only the columns
    /// `open` allows are looked at (all: `|_| true`).
    pub fn suggest_custom(
        &mut self,
        headers: &[String],
        fields: &[CustomField],
        open: impl Fn(usize) -> bool,
    ) {
        if self.kind != ImportKind::Customers || fields.is_empty() {
            return;
        }
        let mut custom = std::mem::take(&mut self.custom);
        custom.resize(self.columns.len(), None);
        for (i, h) in headers.iter().enumerate().take(self.columns.len()) {
            if self.columns[i].is_some() || custom[i].is_some() || !open(i) {
                continue;
            }
            let taken = |f: &CustomField| custom.iter().flatten().any(|c| c.key == f.key);
            if let Some(f) = fields.iter().find(|f| f.named_by(h) && !taken(f)) {
                custom[i] = Some(f.clone());
            }
        }
        if custom.iter().any(Option::is_some) {
            self.custom = custom;
        }
    }

    /// This (saved) mapping applied to another file of the same system. With the headers it
    /// was saved with, columns are matched by header name (compared as the suggester does;
    /// a name used twice matches in order), so a file whose columns moved, or that gained or
    /// lost one, is still read right; a column the saved mapping does not know gets the
    /// suggestion for its header, if that field is not taken. Without saved headers (mappings
    /// saved before they were kept) columns go by position, and the column count must agree:
    /// `Err(saved column count)`.
    pub fn for_file(
        &self,
        saved_headers: Option<&[String]>,
        headers: &[String],
        fields: &[CustomField],
    ) -> Result<Mapping, usize> {
        // A custom field is taken as the organisation defines it now; one it no longer has
        // leaves its column out.
        let now = |c: &CustomField| fields.iter().find(|f| f.key == c.key).cloned();
        let Some(saved_headers) = saved_headers.filter(|h| h.len() == self.columns.len()) else {
            return if self.columns.len() == headers.len() {
                let mut m = self.clone();
                m.custom = m.custom.iter().map(|c| c.as_ref().and_then(now)).collect();
                if m.custom.iter().all(Option::is_none) {
                    m.custom = Vec::new();
                }
                Ok(m)
            } else {
                Err(self.columns.len())
            };
        };
        let mut taken = vec![false; saved_headers.len()];
        let mut columns: Vec<Option<(Option<Field>, Option<CustomField>)>> = headers
            .iter()
            .map(|h| {
                let h = normalise(h);
                let at = (0..saved_headers.len())
                    .find(|&i| !taken[i] && normalise(&saved_headers[i]) == h)?;
                taken[at] = true;
                Some((self.columns[at], self.custom_at(at).and_then(now)))
            })
            .collect();
        let known: Vec<bool> = columns.iter().map(Option::is_some).collect();
        let mut used: Vec<Field> = columns.iter().flatten().filter_map(|c| c.0).collect();
        for (c, h) in columns.iter_mut().zip(headers) {
            if c.is_none() {
                let f = Field::suggest_for(self.kind, h).filter(|f| !used.contains(f));
                if let Some(f) = f {
                    used.push(f);
                }
                *c = Some((f, None));
            }
        }
        let (columns, custom): (Vec<Option<Field>>, Vec<Option<CustomField>>) =
            columns.into_iter().flatten().unzip();
        let mut m = Mapping {
            columns,
            dates: self.dates,
            kind: self.kind,
            custom: if custom.iter().any(Option::is_some) {
                custom
            } else {
                Vec::new()
            },
        };
        m.suggest_custom(headers, fields, |i| !known[i]);
        Ok(m)
    }

    pub fn column_of(&self, field: Field) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(field))
    }

    /// The field of the first column that a file of the mapping's kind cannot fill (a
    /// birthday in a file of orders): such a mapping is to be refused.
    pub fn misplaced(&self) -> Option<Field> {
        self.columns
            .iter()
            .flatten()
            .copied()
            .find(|f| !f.belongs_to(self.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_chinese_and_english() {
        let cases = [
            ("姓名", Some(Field::Name)),
            ("手机", Some(Field::Mobile)),
            ("手机号码", Some(Field::Mobile)),
            ("邮箱", Some(Field::Email)),
            ("公司", Some(Field::Company)),
            ("\u{feff}姓名", Some(Field::Name)),
            ("E-mail", Some(Field::Email)),
            ("Mobile Phone", Some(Field::Mobile)),
            ("Company Name", Some(Field::Company)),
            ("微信号", Some(Field::Wechat)),
            ("出生日期", Some(Field::Birthday)),
            ("备注：", Some(Field::Note)),
            ("客户编号", None),
            ("", None),
        ];
        for (h, want) in cases {
            assert_eq!(Field::suggest(h), want, "{h}");
        }
    }

    #[test]
    fn each_field_once() {
        let headers: Vec<String> = ["姓名", "手机", "手机号", "邮箱", "编号"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let m = Mapping::suggest(&headers);
        assert_eq!(
            m.columns,
            vec![
                Some(Field::Name),
                Some(Field::Mobile),
                None,
                Some(Field::Email),
                None
            ]
        );
        assert_eq!(m.column_of(Field::Email), Some(3));
    }
    fn strings(headers: &[&str]) -> Vec<String> {
        headers.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_saved_mapping_follows_its_columns_by_header() {
        let saved_headers = strings(&["客户", "电话", "备用", "单位", "说明"]);
        let saved = Mapping {
            columns: vec![
                Some(Field::Name),
                Some(Field::Mobile),
                None, // left out on purpose: stays out
                Some(Field::Company),
                Some(Field::Note),
            ],
            dates: DateOrder::DayMonthYear,
            kind: ImportKind::Customers,
            custom: Vec::new(),
        };
        // The same system's next export: columns moved, "说明" dropped, an e-mail column added.
        let headers = strings(&["单位", "邮箱", " 电话 ", "客户", "备用"]);
        let m = saved
            .for_file(Some(&saved_headers), &headers, &[])
            .expect("maps");
        assert_eq!(
            m.columns,
            [
                Some(Field::Company),
                Some(Field::Email),
                Some(Field::Mobile),
                Some(Field::Name),
                None
            ]
        );
        assert_eq!(m.dates, DateOrder::DayMonthYear);
        // By position, the old way, the company would have been read as the name.
        assert_ne!(m.columns, saved.columns);
    }

    #[test]
    fn a_header_used_twice_matches_in_order_and_suggestions_do_not_take_a_field_twice() {
        let saved_headers = strings(&["姓名", "电话", "电话"]);
        let saved = Mapping {
            columns: vec![Some(Field::Name), Some(Field::Mobile), Some(Field::Phone)],
            dates: DateOrder::default(),
            kind: ImportKind::Customers,
            custom: Vec::new(),
        };
        let headers = strings(&["电话", "姓名", "电话", "手机"]);
        let m = saved
            .for_file(Some(&saved_headers), &headers, &[])
            .expect("maps");
        // "手机" would suggest Mobile, which the first 电话 already fills.
        assert_eq!(
            m.columns,
            [
                Some(Field::Mobile),
                Some(Field::Name),
                Some(Field::Phone),
                None
            ]
        );
    }

    fn industry() -> CustomField {
        CustomField {
            key: "industry".into(),
            label_zh: "所属行业".into(),
            label_en: "Industry".into(),
            field_type: FieldType::Choice,
            choices: vec!["制造业".into()],
        }
    }

    #[test]
    fn custom_fields_are_suggested_by_label_or_key_and_saved_ones_follow_their_column() {
        let fields = [industry()];
        let headers = strings(&["姓名", "所属行业", "Industry"]);
        let mut m = Mapping::suggest(&headers);
        m.suggest_custom(&headers, &fields, |_| true);
        // Once only: the first column naming it.
        assert_eq!(
            m.targets(),
            [
                Some(Target::Field(Field::Name)),
                Some(Target::Custom("industry".into())),
                None
            ]
        );
        // Not in a file of orders.
        let mut orders = Mapping::suggest_for(ImportKind::Orders, &headers);
        orders.suggest_custom(&headers, &fields, |_| true);
        assert!(orders.custom.is_empty());

        // The next file: columns moved; the definition changed meanwhile (a new choice).
        let mut now = industry();
        now.choices.push("金融".into());
        let m2 = m
            .for_file(
                Some(&headers),
                &strings(&["industry", "所属行业", "姓名"]),
                std::slice::from_ref(&now),
            )
            .expect("maps");
        // "industry" was left out by the saved mapping (as the third column): it stays out.
        assert_eq!(
            m2.targets(),
            [
                None,
                Some(Target::Custom("industry".into())),
                Some(Target::Field(Field::Name))
            ]
        );
        assert_eq!(m2.custom_at(1), Some(&now));
        // A custom field the organisation no longer has leaves its column out.
        let m3 = m.for_file(Some(&headers), &headers, &[]).expect("maps");
        assert_eq!(m3.targets()[1], None);
        assert!(m3.custom.is_empty());
    }

    #[test]
    fn targets_are_set_by_name_once_each_and_only_for_custom_fields_that_exist() {
        let fields = [industry()];
        let mut m = Mapping::suggest(&strings(&["a", "b", "c"]));
        let t = |s: &str| Target::parse(s);
        assert_eq!(t("custom."), None);
        assert_eq!(t("no_such_field"), None);
        assert_eq!(
            m.set_targets(&[t("name"), t("custom.industry"), None], &fields),
            Ok(())
        );
        assert_eq!(m.custom_at(1), Some(&fields[0]));
        assert_eq!(
            serde_json::to_value(m.targets()).expect("json"),
            serde_json::json!(["name", "custom.industry", null])
        );
        assert_eq!(
            m.set_targets(&[t("name"), t("custom.size"), None], &fields),
            Err(TargetError::UnknownCustom(1))
        );
        assert_eq!(
            m.set_targets(&[t("custom.industry"), t("custom.industry"), None], &fields),
            Err(TargetError::Twice(1))
        );
        assert_eq!(
            m.set_targets(&[t("name")], &fields),
            Err(TargetError::Width { expected: 3 })
        );
        // A refused change leaves the mapping as it was.
        assert_eq!(m.custom_at(1), Some(&fields[0]));
        // Clearing the last custom column leaves no custom list behind.
        assert_eq!(m.set_targets(&[t("name"), None, None], &fields), Ok(()));
        assert!(m.custom.is_empty());
    }

    #[test]
    fn a_mapping_saved_without_headers_goes_by_position_and_needs_the_same_width() {
        let saved = Mapping::suggest(&strings(&["姓名", "手机"]));
        let two = strings(&["a", "b"]);
        assert_eq!(saved.for_file(None, &two, &[]), Ok(saved.clone()));
        assert_eq!(
            saved.for_file(None, &strings(&["a", "b", "c"]), &[]),
            Err(2)
        );
        // Headers that do not fit the mapping are as good as none.
        assert_eq!(
            saved.for_file(Some(&strings(&["姓名"])), &two, &[]),
            Ok(saved.clone())
        );
    }

    #[test]
    fn customers_keep_their_words() {
        // Words of the other kinds mean nothing in a file of customers.
        for h in [
            "联系方式",
            "日期",
            "金额",
            "订单号",
            "状态",
            "收货人",
            "联系手机",
            "来电号码",
            "内容",
            "subject",
            "type",
        ] {
            assert_eq!(Field::suggest(h), None, "{h}");
        }
        assert_eq!(Field::suggest("title"), Some(Field::Title));
        assert_eq!(Field::suggest("客户"), Some(Field::Name));
        // Every word gives customers what it gave before there were other kinds.
        for (f, words) in WORDS {
            for w in *words {
                let got = Field::suggest(w);
                if f.belongs_to(ImportKind::Customers) {
                    assert_eq!(got, Some(*f), "{w}");
                } else {
                    assert!(
                        got.is_none_or(|g| g.belongs_to(ImportKind::Customers)),
                        "{w}"
                    );
                }
            }
        }
    }

    #[test]
    fn fields_of_each_kind() {
        assert_eq!(fields_of(ImportKind::Customers), &Field::ALL[..12]);
        assert_eq!(fields_of(ImportKind::Leads).len(), 10);
        assert_eq!(fields_of(ImportKind::Orders).len(), 14);
        assert_eq!(fields_of(ImportKind::Interactions).len(), 13);
        for kind in ImportKind::ALL {
            for f in fields_of(*kind) {
                assert!(Field::ALL.contains(f));
            }
        }
        // Every field is of some kind.
        for f in Field::ALL {
            assert!(ImportKind::ALL.iter().any(|k| f.belongs_to(*k)), "{f:?}");
        }
    }

    #[test]
    fn names_as_serde_reads_them() {
        use serde::de::value::{Error, StrDeserializer};
        use serde::de::IntoDeserializer;
        for f in Field::ALL {
            let d: StrDeserializer<'_, Error> = f.as_str().into_deserializer();
            assert_eq!(Field::deserialize(d).ok(), Some(f), "{}", f.as_str());
        }
        assert_eq!(Field::OrderNo.as_str(), "order_no");
        assert_eq!(Field::ALL.len(), 25);
    }

    #[test]
    fn a_shop_order_export() {
        let headers = strings(&[
            "订单编号",
            "买家会员名",
            "收货人姓名",
            "联系手机",
            "订单创建时间",
            "实付金额",
            "订单状态",
            "宝贝标题",
            "宝贝数量",
        ]);
        let m = Mapping::suggest_for(ImportKind::Orders, &headers);
        assert_eq!(
            m.columns,
            [
                Some(Field::OrderNo),
                None,
                Some(Field::Name),
                Some(Field::Mobile),
                Some(Field::Date),
                Some(Field::Amount),
                Some(Field::Status),
                Some(Field::Product),
                Some(Field::Quantity),
            ]
        );
        assert_eq!(m.kind, ImportKind::Orders);
        assert_eq!(m.misplaced(), None);
        for (h, want) in [
            ("客户", Some(Field::Name)),
            ("客户名称", Some(Field::Name)),
            ("买家", Some(Field::Name)),
            ("收货人", Some(Field::Name)),
            ("Buyer", Some(Field::Name)),
            ("备注", Some(Field::Note)),
            ("Order No.", Some(Field::OrderNo)),
            ("Order ID", Some(Field::OrderNo)),
            ("external_id", Some(Field::OrderNo)),
            ("币种", Some(Field::Currency)),
            ("Total", Some(Field::Amount)),
            ("qty", Some(Field::Quantity)),
            ("联系方式", Some(Field::Mobile)),
            ("description", Some(Field::Product)),
            ("生日", None),
            ("沟通方式", None),
            ("type", None),
        ] {
            assert_eq!(Field::suggest_for(ImportKind::Orders, h), want, "{h}");
        }
    }

    #[test]
    fn a_call_centre_log() {
        let headers = strings(&[
            "客户姓名",
            "来电号码",
            "通话时间",
            "呼叫类型",
            "通话时长",
            "备注",
        ]);
        let m = Mapping::suggest_for(ImportKind::Interactions, &headers);
        assert_eq!(
            m.columns,
            [
                Some(Field::Name),
                Some(Field::Mobile),
                Some(Field::Date),
                Some(Field::Direction),
                Some(Field::Duration),
                Some(Field::Note),
            ]
        );
        for (h, want) in [
            ("联系方式", Some(Field::Channel)),
            ("沟通方式", Some(Field::Channel)),
            ("Type", Some(Field::Channel)),
            ("备注", Some(Field::Note)),
            ("内容", Some(Field::Content)),
            ("沟通内容", Some(Field::Content)),
            ("Title", Some(Field::Subject)),
            ("主题", Some(Field::Subject)),
            ("description", Some(Field::Content)),
            ("方向", Some(Field::Direction)),
            ("时长", Some(Field::Duration)),
            ("金额", None),
        ] {
            assert_eq!(Field::suggest_for(ImportKind::Interactions, h), want, "{h}");
        }
    }

    #[test]
    fn a_list_of_leads() {
        let headers = strings(&[
            "姓名",
            "公司",
            "职位",
            "联系方式",
            "地区",
            "线索来源",
            "备注",
        ]);
        let m = Mapping::suggest_for(ImportKind::Leads, &headers);
        assert_eq!(
            m.columns,
            [
                Some(Field::Name),
                Some(Field::Company),
                Some(Field::Title),
                Some(Field::Mobile),
                Some(Field::City),
                Some(Field::Source),
                Some(Field::Note),
            ]
        );
        assert_eq!(
            Field::suggest_for(ImportKind::Leads, "渠道"),
            Some(Field::Source)
        );
        assert_eq!(
            Field::suggest_for(ImportKind::Leads, "Lead Source"),
            Some(Field::Source)
        );
        assert_eq!(Field::suggest_for(ImportKind::Leads, "生日"), None);
        assert_eq!(Field::suggest_for(ImportKind::Leads, "日期"), None);
    }

    #[test]
    fn suggest_is_for_customers() {
        let headers = strings(&["姓名", "日期", "生日", "金额", "联系方式"]);
        let m = Mapping::suggest(&headers);
        assert_eq!(m, Mapping::suggest_for(ImportKind::Customers, &headers));
        assert_eq!(m.kind, ImportKind::Customers);
        assert_eq!(
            m.columns,
            [Some(Field::Name), None, Some(Field::Birthday), None, None]
        );
    }

    #[test]
    fn a_field_of_another_kind_is_misplaced() {
        let mut m = Mapping {
            columns: vec![
                Some(Field::Name),
                None,
                Some(Field::Birthday),
                Some(Field::Tags),
            ],
            dates: DateOrder::default(),
            kind: ImportKind::Orders,
            custom: Vec::new(),
        };
        assert_eq!(m.misplaced(), Some(Field::Birthday));
        m.kind = ImportKind::Customers;
        assert_eq!(m.misplaced(), None);
        m.columns.push(Some(Field::Amount));
        assert_eq!(m.misplaced(), Some(Field::Amount));
        m.kind = ImportKind::Leads;
        assert_eq!(m.misplaced(), Some(Field::Birthday));
    }

    #[test]
    fn saved_mappings_without_a_kind_are_customers() {
        use serde::de::value::{Error, MapDeserializer};
        // A mapping saved before there were kinds: columns and dates only.
        let columns = vec![Some(Field::Name), None, Some(Field::Mobile)];
        let old = [
            ("columns", Value::Columns(columns.clone())),
            ("dates", Value::Text("day_month_year")),
        ];
        let d: MapDeserializer<'_, _, Error> = MapDeserializer::new(old.into_iter());
        let m = Mapping::deserialize(d).expect("an old mapping");
        assert_eq!(m.kind, ImportKind::Customers);
        assert_eq!(m.columns, columns);
        assert_eq!(m.dates, DateOrder::DayMonthYear);
        let new = [
            ("columns", Value::Columns(vec![Some(Field::OrderNo), None])),
            ("dates", Value::Text("year_month_day")),
            ("kind", Value::Text("orders")),
        ];
        let d: MapDeserializer<'_, _, Error> = MapDeserializer::new(new.into_iter());
        let m = Mapping::deserialize(d).expect("a mapping of orders");
        assert_eq!(m.kind, ImportKind::Orders);
        assert_eq!(m.columns, [Some(Field::OrderNo), None]);
        let bad = [
            ("columns", Value::Columns(Vec::new())),
            ("dates", Value::Text("year_month_day")),
            ("kind", Value::Text("contacts")),
        ];
        let d: MapDeserializer<'_, _, Error> = MapDeserializer::new(bad.into_iter());
        assert!(Mapping::deserialize(d).is_err());
    }

    /// A value of a saved mapping, as the store's JSON holds it (the crate has no JSON
    /// parser: serde's own deserializers stand in for one).
    enum Value {
        Text(&'static str),
        Columns(Vec<Option<Field>>),
        Column(Option<Field>),
    }

    impl serde::de::IntoDeserializer<'_, serde::de::value::Error> for Value {
        type Deserializer = Value;
        fn into_deserializer(self) -> Value {
            self
        }
    }

    impl<'de> serde::Deserializer<'de> for Value {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: serde::de::Visitor<'de>>(
            self,
            v: V,
        ) -> Result<V::Value, Self::Error> {
            use serde::de::value::{SeqDeserializer, StrDeserializer};
            use serde::de::IntoDeserializer;
            match self {
                Value::Text(t) => v.visit_str(t),
                Value::Columns(c) => {
                    v.visit_seq(SeqDeserializer::new(c.into_iter().map(Value::Column)))
                }
                Value::Column(None) => v.visit_none(),
                Value::Column(Some(f)) => {
                    let d: StrDeserializer<'_, Self::Error> = f.as_str().into_deserializer();
                    v.visit_some(d)
                }
            }
        }
        /// Unit variants (the date order) are read from their names.
        fn deserialize_enum<V: serde::de::Visitor<'de>>(
            self,
            name: &'static str,
            variants: &'static [&'static str],
            v: V,
        ) -> Result<V::Value, Self::Error> {
            use serde::de::value::StrDeserializer;
            use serde::de::IntoDeserializer;
            match self {
                Value::Text(t) => {
                    let d: StrDeserializer<'_, Self::Error> = t.into_deserializer();
                    d.deserialize_enum(name, variants, v)
                }
                other => other.deserialize_any(v),
            }
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map struct identifier ignored_any
        }
    }
}
