//! Which column holds what: suggested from the header in Chinese or English, changeable by the
//! user, and saved with the date order the file uses.

use serde::{Deserialize, Serialize};

/// A field of a customer that a column can fill.
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
}

impl Field {
    pub const ALL: [Field; 12] = [
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
        }
    }

    /// The field a header most likely means, from the words other CRMs, spreadsheets and phone
    /// exports use. `None`: leave the column out.
    pub fn suggest(header: &str) -> Option<Field> {
        let h: String = header
            .trim()
            .trim_start_matches('\u{feff}')
            .to_lowercase()
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.' | '*' | ':' | '：'))
            .collect();
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
        ];
        WORDS
            .iter()
            .find(|(_, words)| words.iter().any(|w| w.replace('-', "") == h))
            .map(|(f, _)| *f)
    }
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

/// The columns of a file and the field each fills (`None`: left out).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub columns: Vec<Option<Field>>,
    pub dates: DateOrder,
}

impl Mapping {
    /// The suggestion for a header row: each field at most once (the first column that names
    /// it wins).
    pub fn suggest(headers: &[String]) -> Mapping {
        let mut used = Vec::new();
        let columns = headers
            .iter()
            .map(|h| {
                let f = Field::suggest(h).filter(|f| !used.contains(f));
                if let Some(f) = f {
                    used.push(f);
                }
                f
            })
            .collect();
        Mapping {
            columns,
            dates: DateOrder::default(),
        }
    }

    pub fn column_of(&self, field: Field) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(field))
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
}
