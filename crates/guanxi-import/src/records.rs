//! One row of a file of leads, orders or interactions into a record, or the reasons it cannot
//! be one. The cells are checked as customers' are ([`crate::parse_row`]): formulas, Excel's
//! error values, phone numbers in scientific notation and over-long text are named; then
//! each kind reads its own fields — amounts with their currency signs and thousands
//! separators, order statuses and channels in the words shops and call centres use, durations
//! as `1:35` or `1分35秒`. Orders and interactions name the customer they belong to by a
//! name or by contacts; the store finds the customer.

use crate::mapping::{Field, Mapping};
use crate::row::{
    body_text, contact_values, damaged, day_fraction_seconds, parse_datetime, phone_text, text,
    Problem, ProblemKind, LINE_MAX,
};
use chrono::NaiveDateTime;
use guanxi_core::contact::{ContactKind, ContactValue};
use guanxi_core::interaction::{Channel, Direction, DURATION_MAX_SECONDS};
use guanxi_core::order::OrderStatus;
use guanxi_core::{Currency, ImportKind, Money, Reason};

/// Who a record belongs to, as the row names them: the store looks the customer up by the
/// contacts first, then by the name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerRef {
    pub name: Option<String>,
    pub company: Option<String>,
    /// Phones, e-mail addresses and WeChat ids, normalised, each key once.
    pub contacts: Vec<ContactValue>,
}

/// A lead read from a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadRow {
    pub name: String,
    pub company: Option<String>,
    pub title: Option<String>,
    /// The first valid mobile or landline number of the row.
    pub phone: Option<ContactValue>,
    pub email: Option<ContactValue>,
    pub wechat: Option<ContactValue>,
    /// The lead's region (the city column).
    pub region: Option<String>,
    /// As written; the store checks it against the organisation's list of sources.
    pub source: Option<String>,
    pub note: Option<String>,
}

/// An order read from a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRow {
    pub customer: CustomerRef,
    pub order_no: Option<String>,
    /// Local time, as written.
    pub placed: NaiveDateTime,
    /// The amount as a plain decimal (`"1234.50"`, `"-3"`): without currency signs or
    /// thousands separators, checked to fit [`Money`] in the order's currency (CNY if none).
    pub amount: String,
    /// From the currency column, else from a sign in the amount (`￥`, `元`, `RMB`: CNY;
    /// `$`: USD); `None`: the organisation's currency.
    pub currency: Option<Currency>,
    pub status: Option<OrderStatus>,
    pub product: Option<String>,
    /// 1 when the row does not say.
    pub quantity: i64,
    pub note: Option<String>,
}

/// An interaction (a call, a visit, an e-mail, …) read from a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InteractionRow {
    pub customer: CustomerRef,
    /// Local time, as written.
    pub occurred: NaiveDateTime,
    pub channel: Channel,
    pub direction: Direction,
    pub subject: Option<String>,
    /// The content, else the note, else the subject.
    pub body: String,
    pub duration_seconds: Option<i64>,
}

/// A record of a file of leads, orders or interactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordRow {
    Lead(LeadRow),
    Order(OrderRow),
    Interaction(InteractionRow),
}

/// The most of one product an order line may hold.
const QUANTITY_MAX: i64 = 1_000_000;

/// What the cells of a row said, field by field, before the kind puts it together.
#[derive(Default)]
struct Read {
    name: Option<String>,
    company: Option<String>,
    title: Option<String>,
    city: Option<String>,
    source: Option<String>,
    note: Option<String>,
    contacts: Vec<ContactValue>,
    order_no: Option<String>,
    date: Option<NaiveDateTime>,
    /// The normalised decimal and the currency its sign named.
    amount: Option<(String, Option<Currency>)>,
    currency: Option<Currency>,
    status: Option<OrderStatus>,
    product: Option<String>,
    quantity: Option<i64>,
    channel: Option<Channel>,
    direction: Option<Direction>,
    subject: Option<String>,
    content: Option<String>,
    duration: Option<i64>,
}

/// Check one row of a file of `kind` (leads, orders or interactions; customers are read by
/// [`crate::parse_row`], and are refused here) against the mapping. `cells` is the row as
/// read; `width` the header's number of cells. Every refused cell is a problem naming its
/// field; a row missing what its kind needs is a problem on that field.
pub fn parse_record(
    kind: ImportKind,
    cells: &[&str],
    width: usize,
    mapping: &Mapping,
) -> Result<RecordRow, Vec<Problem>> {
    if kind == ImportKind::Customers {
        return Err(vec![Problem::row(ProblemKind::NotForKind(kind))]);
    }
    if cells.len() != width {
        return Err(vec![Problem::row(ProblemKind::Ragged {
            expected: width,
            got: cells.len(),
        })]);
    }
    let mut problems = Vec::new();
    let mut r = Read::default();
    for (i, field) in mapping.columns.iter().enumerate() {
        let (Some(field), Some(raw)) = (*field, cells.get(i)) else {
            continue;
        };
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        if !field.belongs_to(kind) {
            problems.push(Problem::at(field, ProblemKind::NotForKind(kind)));
            continue;
        }
        if let Some(p) = damaged(field, raw) {
            problems.push(p);
            continue;
        }
        let p = &mut problems;
        let invalid = |reason: Reason| Problem::at(field, ProblemKind::Invalid(reason));
        match field {
            Field::Name => r.name = text(raw, LINE_MAX, field, p),
            Field::Company => r.company = text(raw, LINE_MAX, field, p),
            Field::Title => r.title = text(raw, LINE_MAX, field, p),
            Field::City => r.city = text(raw, LINE_MAX, field, p),
            Field::Source => r.source = text(raw, LINE_MAX, field, p),
            Field::Product => r.product = text(raw, LINE_MAX, field, p),
            Field::Subject => r.subject = text(raw, LINE_MAX, field, p),
            // Order numbers are long numbers too, which Excel damages as it does phones.
            Field::OrderNo => match phone_text(raw) {
                Ok(t) => r.order_no = text(&t, LINE_MAX, field, p),
                Err(k) => p.push(Problem::at(field, k)),
            },
            Field::Note => r.note = body_text(raw, field, p),
            Field::Content => r.content = body_text(raw, field, p),
            Field::Mobile | Field::Phone | Field::Email | Field::Wechat => {
                contact_values(field, raw, p, &mut r.contacts)
            }
            Field::Date => match parse_datetime(raw, mapping.dates) {
                Some(d) => r.date = Some(d),
                None => p.push(invalid(Reason::NotADate)),
            },
            Field::Amount => match parse_amount(raw) {
                Ok(a) => r.amount = Some(a),
                Err(reason) => p.push(invalid(reason)),
            },
            Field::Currency => match parse_currency(raw) {
                Ok(c) => r.currency = Some(c),
                Err(reason) => p.push(invalid(reason)),
            },
            Field::Status => match word(STATUS_WORDS, raw) {
                Some(s) => r.status = Some(s),
                None => p.push(unknown(field, raw, STATUS_ZH, STATUS_EN)),
            },
            Field::Quantity => match parse_quantity(raw) {
                Ok(q) => r.quantity = Some(q),
                Err(reason) => p.push(invalid(reason)),
            },
            Field::Channel => match word(CHANNEL_WORDS, raw) {
                Some(c) => r.channel = Some(c),
                None => p.push(unknown(field, raw, CHANNEL_ZH, CHANNEL_EN)),
            },
            Field::Direction => match word(DIRECTION_WORDS, raw) {
                Some(d) => r.direction = Some(d),
                None => p.push(unknown(field, raw, DIRECTION_ZH, DIRECTION_EN)),
            },
            Field::Duration => match parse_duration(raw) {
                Ok(s) => r.duration = Some(s),
                Err(k) => p.push(Problem::at(field, k)),
            },
            // No kind read here has them (refused above).
            Field::Address | Field::Birthday | Field::Tags => {}
        }
    }
    let record = match kind {
        ImportKind::Leads => lead(r, mapping, &mut problems).map(RecordRow::Lead),
        ImportKind::Orders => order(r, mapping, &mut problems).map(RecordRow::Order),
        ImportKind::Interactions => {
            interaction(r, mapping, &mut problems).map(RecordRow::Interaction)
        }
        ImportKind::Customers => None,
    };
    match record {
        Some(record) if problems.is_empty() => Ok(record),
        _ => Err(problems),
    }
}

/// Is there a problem on one of `fields` already (then a missing value is not one more)?
fn refused(problems: &[Problem], fields: &[Field]) -> bool {
    problems
        .iter()
        .any(|p| p.field.is_some_and(|f| fields.contains(&f)))
}

/// `field` is required: a problem unless a value of it was already refused.
fn required(problems: &mut Vec<Problem>, field: Field) {
    if !refused(problems, &[field]) {
        problems.push(Problem::at(field, ProblemKind::Invalid(Reason::Required)));
    }
}

fn lead(r: Read, mapping: &Mapping, problems: &mut Vec<Problem>) -> Option<LeadRow> {
    let name = match (r.name, &r.company) {
        (Some(n), _) => n,
        // A row with a company and no person is the company itself, as for customers.
        (None, Some(c)) if mapping.column_of(Field::Name).is_none() => c.clone(),
        (None, _) => {
            required(problems, Field::Name);
            return None;
        }
    };
    let first =
        |kinds: &[ContactKind]| r.contacts.iter().find(|c| kinds.contains(&c.kind)).cloned();
    Some(LeadRow {
        name,
        company: r.company.clone(),
        title: r.title,
        phone: first(&[ContactKind::Mobile, ContactKind::Landline]),
        email: first(&[ContactKind::Email]),
        wechat: first(&[ContactKind::Wechat]),
        region: r.city,
        source: r.source,
        note: r.note,
    })
}

/// The customer a record belongs to: a name or at least one contact (a company alone is the
/// name when the file has no name column, as for customers).
fn customer(
    name: Option<String>,
    company: Option<String>,
    mut contacts: Vec<ContactValue>,
    mapping: &Mapping,
    problems: &mut Vec<Problem>,
) -> Option<CustomerRef> {
    let mut seen = std::collections::HashSet::new();
    contacts.retain(|c| seen.insert(c.key.clone()));
    let name = name.or_else(|| {
        company
            .clone()
            .filter(|_| mapping.column_of(Field::Name).is_none())
    });
    if name.is_none() && contacts.is_empty() {
        let who = [
            Field::Name,
            Field::Company,
            Field::Mobile,
            Field::Phone,
            Field::Email,
            Field::Wechat,
        ];
        if !refused(problems, &who) {
            problems.push(Problem::at(
                Field::Name,
                ProblemKind::Invalid(Reason::Required),
            ));
        }
        return None;
    }
    Some(CustomerRef {
        name,
        company,
        contacts,
    })
}

fn order(r: Read, mapping: &Mapping, problems: &mut Vec<Problem>) -> Option<OrderRow> {
    let customer = customer(r.name, r.company, r.contacts, mapping, problems);
    if r.date.is_none() {
        required(problems, Field::Date);
    }
    let mut currency = r.currency;
    let amount = match r.amount {
        Some((amount, sign)) => {
            currency = currency.or(sign);
            match Money::parse(&amount, currency.unwrap_or(Currency::CNY)) {
                Ok(_) => Some(amount),
                Err(e) => {
                    problems.extend(e.fields().iter().map(|f| {
                        Problem::at(Field::Amount, ProblemKind::Invalid(f.reason.clone()))
                    }));
                    None
                }
            }
        }
        None => {
            required(problems, Field::Amount);
            None
        }
    };
    Some(OrderRow {
        customer: customer?,
        order_no: r.order_no,
        placed: r.date?,
        amount: amount?,
        currency,
        status: r.status,
        product: r.product,
        quantity: r.quantity.unwrap_or(1),
        note: r.note,
    })
}

fn interaction(r: Read, mapping: &Mapping, problems: &mut Vec<Problem>) -> Option<InteractionRow> {
    let customer = customer(r.name, r.company, r.contacts, mapping, problems);
    if r.date.is_none() {
        required(problems, Field::Date);
    }
    let channel = match r.channel {
        Some(c) => Some(c),
        // Call-centre logs often have no channel column: their rows are calls.
        None if mapping.column_of(Field::Channel).is_none() => Some(Channel::Phone),
        // A row with a duration is a call.
        None if r.duration.is_some() => Some(Channel::Phone),
        None => {
            // A duration that could not be read may have been a call's.
            if !refused(problems, &[Field::Duration]) {
                required(problems, Field::Channel);
            }
            None
        }
    };
    let body = r
        .content
        .clone()
        .or_else(|| r.note.clone())
        .or_else(|| r.subject.clone());
    if body.is_none() && !refused(problems, &[Field::Content, Field::Note, Field::Subject]) {
        problems.push(Problem::at(
            Field::Content,
            ProblemKind::Invalid(Reason::Required),
        ));
    }
    Some(InteractionRow {
        customer: customer?,
        occurred: r.date?,
        channel: channel?,
        direction: r.direction.unwrap_or(Direction::Inbound),
        subject: r.subject,
        body: body?,
        duration_seconds: r.duration,
    })
}

fn unknown(
    field: Field,
    raw: &str,
    zh: &'static [&'static str],
    en: &'static [&'static str],
) -> Problem {
    Problem::at(
        field,
        ProblemKind::UnknownWord {
            value: raw.to_owned(),
            zh,
            en,
        },
    )
}

/// A word as it is compared with the lists: lower case, without spaces, punctuation between
/// words (`买家已付款，等待卖家发货`), `-` and `_` (`E-mail`, `self_service`).
fn normalise(raw: &str) -> String {
    raw.to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_' | ',' | '，' | '、'))
        .collect()
}

/// The value a word names, from a list of words as [`normalise`] leaves them.
fn word<T: Copy>(list: &[(T, &[&str])], raw: &str) -> Option<T> {
    let w = normalise(raw);
    list.iter()
        .find(|(_, words)| words.contains(&w.as_str()))
        .map(|(v, _)| *v)
}

const STATUS_WORDS: &[(OrderStatus, &[&str])] = &[
    (
        OrderStatus::Placed,
        &[
            "待付款",
            "待支付",
            "已下单",
            "未付款",
            "等待买家付款",
            "placed",
            "pending",
        ],
    ),
    (
        OrderStatus::Paid,
        &[
            "已付款",
            "已支付",
            "待发货",
            "买家已付款",
            "等待卖家发货",
            "买家已付款等待卖家发货",
            "paid",
        ],
    ),
    (
        OrderStatus::Shipped,
        &[
            "已发货",
            "待收货",
            "卖家已发货",
            "卖家已发货等待买家确认",
            "等待买家确认收货",
            "shipped",
        ],
    ),
    (
        OrderStatus::Completed,
        &[
            "已完成",
            "交易成功",
            "交易完成",
            "已收货",
            "completed",
            "complete",
            "done",
        ],
    ),
    (
        OrderStatus::Cancelled,
        &["已取消", "交易关闭", "cancelled", "canceled"],
    ),
    (OrderStatus::Refunded, &["已退款", "退款成功", "refunded"]),
];
const STATUS_ZH: &[&str] = &[
    "待付款",
    "已付款",
    "待发货",
    "已发货",
    "已完成",
    "交易成功",
    "已取消",
    "交易关闭",
    "已退款",
];
const STATUS_EN: &[&str] = &[
    "placed",
    "paid",
    "shipped",
    "completed",
    "cancelled",
    "refunded",
];

const CHANNEL_WORDS: &[(Channel, &[&str])] = &[
    (
        Channel::Phone,
        &[
            "电话",
            "来电",
            "去电",
            "通话",
            "外呼",
            "phone",
            "call",
            "telephone",
        ],
    ),
    (Channel::Email, &["邮件", "电子邮件", "email"]),
    (
        Channel::Chat,
        &["在线", "在线客服", "网聊", "聊天", "chat", "livechat"],
    ),
    (Channel::Web, &["网站", "网页", "web", "website"]),
    (Channel::Sms, &["短信", "sms"]),
    (Channel::Wechat, &["微信", "wechat", "weixin"]),
    (Channel::Fax, &["传真", "fax"]),
    (Channel::Letter, &["信函", "信件", "letter"]),
    (
        Channel::Visit,
        &["拜访", "上门", "面谈", "见面", "来访", "visit", "meeting"],
    ),
    (Channel::SelfService, &["自助", "selfservice"]),
];
const CHANNEL_ZH: &[&str] = &[
    "电话",
    "邮件",
    "在线客服",
    "网站",
    "短信",
    "微信",
    "传真",
    "信函",
    "拜访",
    "自助",
];
const CHANNEL_EN: &[&str] = &[
    "phone",
    "email",
    "chat",
    "web",
    "sms",
    "wechat",
    "fax",
    "letter",
    "visit",
    "self service",
];

const DIRECTION_WORDS: &[(Direction, &[&str])] = &[
    (
        Direction::Inbound,
        &[
            "呼入",
            "来电",
            "客户来访",
            "来访",
            "inbound",
            "in",
            "incoming",
        ],
    ),
    (
        Direction::Outbound,
        &[
            "呼出", "去电", "回访", "外呼", "outbound", "out", "outgoing",
        ],
    ),
    (Direction::Internal, &["内部", "internal"]),
];
const DIRECTION_ZH: &[&str] = &["呼入", "呼出", "内部"];
const DIRECTION_EN: &[&str] = &["inbound", "outbound", "internal"];

/// The digits of a whole number written with or without thousands separators (`1,234,567`,
/// `1，234`); `None` if the separators are not every three digits. Empty stays empty.
fn ungroup(whole: &str) -> Option<String> {
    let groups: Vec<&str> = whole.split([',', '，']).collect();
    let digits = |g: &str| g.bytes().all(|b| b.is_ascii_digit());
    if groups.len() > 1
        && (!(1..=3).contains(&groups[0].len()) || groups[1..].iter().any(|g| g.len() != 3))
    {
        return None;
    }
    groups.iter().all(|g| digits(g)).then(|| groups.concat())
}

/// An amount as shops and spreadsheets write it (`1,234.50`, `1 234.50`, `￥88`, `88元`,
/// `-12.00`, `RMB 99`): the plain decimal, and the currency its sign names. Thousands
/// separators must separate thousands (`12,50` is refused, not read as 1250); at most two
/// decimals; no scientific notation.
fn parse_amount(raw: &str) -> Result<(String, Option<Currency>), Reason> {
    let mut t = raw.trim().to_uppercase();
    let mut currency = None;
    for (sign, code) in [
        ("RMB", "CNY"),
        ("CNY", "CNY"),
        ("USD", "USD"),
        ("人民币", "CNY"),
        ("￥", "CNY"),
        ("¥", "CNY"),
        ("元", "CNY"),
        ("$", "USD"),
    ] {
        if t.contains(sign) {
            t = t.replace(sign, "");
            currency = Currency::parse(code).ok();
        }
    }
    // Spaces go, except between digits, where a run of them separates thousands
    // (`1 234.50`).
    let chars: Vec<char> = t.trim().chars().collect();
    let t: String = chars
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            if !c.is_whitespace() {
                return Some(*c);
            }
            let before = chars[..i].iter().rev().find(|c| !c.is_whitespace());
            let after = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            let between = before.is_some_and(char::is_ascii_digit)
                && after.is_some_and(char::is_ascii_digit)
                && chars.get(i + 1).is_some_and(|c| !c.is_whitespace());
            between.then_some(',')
        })
        .collect();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(&t)),
    };
    let (whole, fraction) = match t.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (t, None),
    };
    let whole = ungroup(whole).ok_or(Reason::InvalidMoney)?;
    if let Some(f) = fraction {
        if f.is_empty() || f.len() > 2 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Reason::InvalidMoney);
        }
    }
    if whole.is_empty() && fraction.is_none() {
        return Err(Reason::InvalidMoney);
    }
    let whole = match whole.trim_start_matches('0') {
        "" => "0",
        w => w,
    };
    let zero = whole == "0" && fraction.is_none_or(|f| f.bytes().all(|b| b == b'0'));
    let sign = if negative && !zero { "-" } else { "" };
    let amount = match fraction {
        Some(f) => format!("{sign}{whole}.{f}"),
        None => format!("{sign}{whole}"),
    };
    Ok((amount, currency))
}

/// A currency as a code (`CNY`, `usd`) or as people write it (`人民币`, `美元`, `港币`).
fn parse_currency(raw: &str) -> Result<Currency, Reason> {
    let code = match normalise(raw).as_str() {
        "人民币" | "元" | "rmb" | "￥" | "¥" => "CNY",
        "美元" | "美金" | "$" | "us$" => "USD",
        "欧元" | "€" => "EUR",
        "港币" | "港元" | "hk$" => "HKD",
        "日元" | "日圆" => "JPY",
        "英镑" | "£" => "GBP",
        _ => raw,
    };
    Currency::parse(code).map_err(|_| Reason::InvalidCurrency)
}

/// Units a quantity may be written with (`2件`, `3 pcs`).
const UNITS: [&str; 18] = [
    "件", "个", "台", "套", "份", "箱", "盒", "瓶", "包", "只", "支", "本", "张", "条", "双", "把",
    "pcs", "pc",
];

/// A quantity: a whole number from 1 to 1,000,000, perhaps as Excel writes numbers (`2.0`)
/// or with a unit (`2件`).
fn parse_quantity(raw: &str) -> Result<i64, Reason> {
    let mut t = raw.trim().to_lowercase();
    if let Some(rest) = UNITS.iter().find_map(|u| t.strip_suffix(u)) {
        t = rest.trim_end().to_owned();
    }
    let range = Reason::OutOfRange {
        min: 1,
        max: QUANTITY_MAX,
    };
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.as_str()),
    };
    let whole = match t.split_once('.') {
        Some((w, f)) if !f.is_empty() && f.bytes().all(|b| b == b'0') => w,
        Some(_) => return Err(Reason::NotAnInteger),
        None => t,
    };
    let digits = ungroup(whole)
        .filter(|d| !d.is_empty())
        .ok_or(Reason::NotAnInteger)?;
    if negative {
        return Err(range);
    }
    match digits.parse::<i64>() {
        Ok(n) if (1..=QUANTITY_MAX).contains(&n) => Ok(n),
        _ => Err(range),
    }
}

/// A duration in seconds: `95`, `1:35` (minutes and seconds), `00:01:35`, `1分35秒`, `2分钟`,
/// `35秒`, `1小时5分`, `1h5m`, or Excel's fraction of a day (`0.0011`, what a cell formatted
/// as `[h]:mm:ss` holds). At most a day.
fn parse_duration(raw: &str) -> Result<i64, ProblemKind> {
    let t: String = raw
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let seconds = duration_seconds(&t).ok_or(ProblemKind::NotADuration)?;
    if seconds > DURATION_MAX_SECONDS {
        return Err(ProblemKind::Invalid(Reason::OutOfRange {
            min: 0,
            max: DURATION_MAX_SECONDS,
        }));
    }
    Ok(seconds)
}

fn duration_seconds(t: &str) -> Option<i64> {
    let number = |s: &str| -> Option<i64> {
        // Nine digits are more than any duration; more would only overflow.
        if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    if let Some(n) = number(t) {
        return Some(n);
    }
    if let Some((whole, fraction)) = t.split_once('.') {
        if whole.is_empty() || fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let whole = number(whole)?;
        return if whole == 0 {
            // Less than one: a fraction of a day, as Excel keeps durations.
            day_fraction_seconds(fraction)
        } else {
            // Seconds with a fraction: rounded.
            Some(whole + i64::from(fraction.as_bytes()[0] >= b'5'))
        };
    }
    if t.contains(':') {
        let parts = t.split(':').map(number).collect::<Option<Vec<i64>>>()?;
        return match parts[..] {
            [m, s] if s < 60 => Some(m * 60 + s),
            [h, m, s] if m < 60 && s < 60 => Some(h * 3600 + m * 60 + s),
            _ => None,
        };
    }
    // Numbers with units, largest first: `1小时5分`, `1分35秒`, `1分35`, `2h`.
    const UNITS: [(&[&str], i64); 3] = [
        (
            &["小时", "钟头", "hours", "hour", "hrs", "hr", "h", "时"],
            3600,
        ),
        (&["分钟", "minutes", "minute", "mins", "min", "m", "分"], 60),
        (&["秒钟", "seconds", "second", "secs", "sec", "s", "秒"], 1),
    ];
    let mut rest = t;
    let mut total = 0i64;
    // The smallest unit used so far: each later one must be smaller.
    let mut next = 0usize;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let n = number(&rest[..end])?;
        rest = &rest[end..];
        let found = UNITS
            .iter()
            .enumerate()
            .skip(next)
            .find_map(|(i, (words, unit))| {
                words
                    .iter()
                    .find(|w| rest.starts_with(**w))
                    .map(|w| (i, *unit, w.len()))
            });
        match found {
            Some((i, unit, len)) => {
                total += n * unit;
                next = i + 1;
                rest = &rest[len..];
            }
            // `1分35`: the seconds after the minutes need no unit.
            None if rest.is_empty() && next == 2 => total += n,
            None => return None,
        }
    }
    (next > 0).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::DateOrder;
    use chrono::NaiveDate;
    use guanxi_core::Lang;
    use proptest::prelude::*;

    fn mapping(kind: ImportKind, fields: &[Option<Field>]) -> Mapping {
        Mapping {
            columns: fields.to_vec(),
            dates: DateOrder::YearMonthDay,
            kind,
            custom: Vec::new(),
        }
    }

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|d| d.and_hms_opt(h, mi, s))
            .expect("a time")
    }

    fn invalid(field: Field, reason: Reason) -> Problem {
        Problem::at(field, ProblemKind::Invalid(reason))
    }

    fn cny() -> Option<Currency> {
        Some(Currency::CNY)
    }

    fn currency(code: &str) -> Option<Currency> {
        Currency::parse(code).ok()
    }

    // Leads.

    fn lead_mapping() -> Mapping {
        mapping(
            ImportKind::Leads,
            &[
                Some(Field::Name),
                Some(Field::Company),
                Some(Field::Title),
                Some(Field::Mobile),
                Some(Field::Email),
                Some(Field::Wechat),
                Some(Field::City),
                Some(Field::Source),
                Some(Field::Note),
            ],
        )
    }

    fn lead(cells: &[&str]) -> Result<LeadRow, Vec<Problem>> {
        match parse_record(ImportKind::Leads, cells, 9, &lead_mapping())? {
            RecordRow::Lead(l) => Ok(l),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_good_lead() {
        let l = lead(&[
            " 刘洋 ",
            "成都蓉城餐饮管理有限公司",
            "采购经理",
            "139 8000 1234\n13800138000",
            "Liu.Yang@Example.cn",
            "liuyang_cd",
            "四川成都",
            "展会",
            "3 月展会上留的名片，\r\n想了解年付价格",
        ])
        .expect("a lead");
        assert_eq!(l.name, "刘洋");
        assert_eq!(l.company.as_deref(), Some("成都蓉城餐饮管理有限公司"));
        assert_eq!(l.title.as_deref(), Some("采购经理"));
        assert_eq!(
            l.phone.as_ref().map(|p| p.key.as_str()),
            Some("+8613980001234"),
            "the first number; the second is left out"
        );
        assert_eq!(
            l.email.map(|e| e.key).as_deref(),
            Some("liu.yang@example.cn")
        );
        assert_eq!(l.wechat.map(|w| w.key).as_deref(), Some("liuyang_cd"));
        assert_eq!(l.region.as_deref(), Some("四川成都"));
        assert_eq!(l.source.as_deref(), Some("展会"));
        assert_eq!(
            l.note.as_deref(),
            Some("3 月展会上留的名片，\n想了解年付价格")
        );
    }

    #[test]
    fn a_lead_needs_a_name() {
        let e = lead(&[
            "",
            "成都蓉城餐饮管理有限公司",
            "",
            "13980001234",
            "",
            "",
            "",
            "",
            "",
        ])
        .expect_err("a name column left empty");
        assert_eq!(e, [invalid(Field::Name, Reason::Required)]);
        // Without a name column, the company is the lead.
        let m = mapping(
            ImportKind::Leads,
            &[Some(Field::Company), Some(Field::Phone)],
        );
        let r = parse_record(
            ImportKind::Leads,
            &["深圳宏达贸易有限公司", "0755-8888 6666"],
            2,
            &m,
        )
        .expect("a company");
        let RecordRow::Lead(l) = r else {
            panic!("{r:?}")
        };
        assert_eq!(l.name, "深圳宏达贸易有限公司");
        assert_eq!(l.company.as_deref(), Some("深圳宏达贸易有限公司"));
        assert_eq!(l.phone.map(|p| p.kind), Some(ContactKind::Landline));
        let e =
            parse_record(ImportKind::Leads, &["", "0755-8888 6666"], 2, &m).expect_err("nobody");
        assert_eq!(e, [invalid(Field::Name, Reason::Required)]);
    }

    #[test]
    fn a_broken_lead_names_every_cell() {
        let long = "张".repeat(121);
        let e = lead(&[
            &long,
            "=A1&B1",
            "#N/A",
            "1.39800E+10",
            "liu.yang@",
            "13980001234\nliu yang",
            "成都",
            "展会",
            "",
        ])
        .expect_err("broken");
        assert_eq!(
            e,
            [
                invalid(Field::Name, Reason::TooLong { max: 120 }),
                Problem::at(Field::Company, ProblemKind::Formula),
                Problem::at(Field::Title, ProblemKind::CellError("#N/A".into())),
                Problem::at(Field::Mobile, ProblemKind::ScientificNotation),
                invalid(Field::Email, Reason::InvalidEmail),
                invalid(Field::Wechat, Reason::InvalidWechat),
                invalid(Field::Wechat, Reason::InvalidWechat),
            ]
        );
        let e = lead(&["刘洋", "", "", "13980001234\n12345", "", "", "", "", ""])
            .expect_err("a bad second number is refused");
        assert_eq!(e, [invalid(Field::Mobile, Reason::InvalidPhone)]);
        let e = lead(&["刘洋", "成都"]).expect_err("ragged");
        assert_eq!(
            e,
            [Problem::row(ProblemKind::Ragged {
                expected: 9,
                got: 2
            })]
        );
    }

    // Orders.

    fn order_mapping() -> Mapping {
        mapping(
            ImportKind::Orders,
            &[
                Some(Field::OrderNo),
                None,
                Some(Field::Name),
                Some(Field::Mobile),
                Some(Field::Date),
                Some(Field::Amount),
                Some(Field::Status),
                Some(Field::Product),
                Some(Field::Quantity),
            ],
        )
    }

    fn order(cells: &[&str]) -> Result<OrderRow, Vec<Problem>> {
        match parse_record(ImportKind::Orders, cells, 9, &order_mapping())? {
            RecordRow::Order(o) => Ok(o),
            other => panic!("{other:?}"),
        }
    }

    /// A good order row with one cell changed.
    fn order_with(column: usize, value: &str) -> Result<OrderRow, Vec<Problem>> {
        let mut cells = [
            "3712987640123456789",
            "tb_liuyang",
            "刘洋",
            "13980001234",
            "2024-03-08 21:15:40",
            "1,299.00",
            "交易成功",
            "九阳破壁机 L18-P393",
            "1",
        ];
        cells[column] = value;
        order(&cells)
    }

    #[test]
    fn a_good_order() {
        let o = order_with(8, "2件").expect("an order");
        assert_eq!(o.order_no.as_deref(), Some("3712987640123456789"));
        assert_eq!(
            o.customer,
            CustomerRef {
                name: Some("刘洋".into()),
                company: None,
                contacts: ContactValue::parse(ContactKind::Mobile, "13980001234")
                    .into_iter()
                    .collect(),
            }
        );
        assert_eq!(o.placed, at(2024, 3, 8, 21, 15, 40));
        assert_eq!(o.amount, "1299.00");
        assert_eq!(o.currency, None);
        assert_eq!(o.status, Some(OrderStatus::Completed));
        assert_eq!(o.product.as_deref(), Some("九阳破壁机 L18-P393"));
        assert_eq!(o.quantity, 2);
        assert_eq!(o.note, None);
        assert_eq!(order_with(8, "").expect("no quantity").quantity, 1);
        // Excel's float of an order number loses nothing when it is whole.
        assert_eq!(
            order_with(0, "12345678.0")
                .expect("float")
                .order_no
                .as_deref(),
            Some("12345678")
        );
        assert_eq!(order_with(0, "").expect("no number").order_no, None);
    }

    #[test]
    fn amounts_as_shops_write_them() {
        for (raw, amount, cur) in [
            ("1234.5", "1234.5", None),
            ("1,234.50", "1234.50", None),
            ("1，234.50", "1234.50", None),
            ("12,345,678", "12345678", None),
            ("1 234.50", "1234.50", None),
            ("¥ 1 234", "1234", cny()),
            ("- 12", "-12", None),
            ("￥88", "88", cny()),
            ("¥ 88.80", "88.80", cny()),
            ("88元", "88", cny()),
            ("RMB 99.9", "99.9", cny()),
            ("CNY1,000", "1000", cny()),
            ("rmb5", "5", cny()),
            ("$12.00", "12.00", currency("USD")),
            ("-12.00", "-12.00", None),
            ("-￥12", "-12", cny()),
            ("￥-12", "-12", cny()),
            ("+5", "5", None),
            ("0088", "88", None),
            (".5", "0.5", None),
            ("-0.00", "0.00", None),
            ("0", "0", None),
        ] {
            let o = order_with(5, raw).unwrap_or_else(|e| panic!("{raw}: {e:?}"));
            assert_eq!((o.amount.as_str(), o.currency), (amount, cur), "{raw}");
        }
        for bad in [
            "1.2E+5",
            "1.23457E+18",
            "12e3",
            "12.345",
            "12.",
            "12,50",
            "1,2345",
            "1.234,50",
            "约 100",
            "一百",
            "1.5万元",
            "-",
            "￥",
            "--5",
            "HK$12",
            "12 34",
            "１２",
        ] {
            assert_eq!(
                order_with(5, bad),
                Err(vec![invalid(Field::Amount, Reason::InvalidMoney)]),
                "{bad}"
            );
        }
        assert_eq!(
            order_with(5, "99999999999999999999"),
            Err(vec![invalid(Field::Amount, Reason::MoneyOverflow)])
        );
        assert_eq!(
            order_with(5, ""),
            Err(vec![invalid(Field::Amount, Reason::Required)])
        );
        assert_eq!(
            order_with(5, "=SUM(F2:F9)"),
            Err(vec![Problem::at(Field::Amount, ProblemKind::Formula)])
        );
        assert_eq!(
            order_with(5, "#VALUE!"),
            Err(vec![Problem::at(
                Field::Amount,
                ProblemKind::CellError("#VALUE!".into())
            )])
        );
    }

    #[test]
    fn the_currency_column() {
        let m = mapping(
            ImportKind::Orders,
            &[
                Some(Field::Name),
                Some(Field::Date),
                Some(Field::Amount),
                Some(Field::Currency),
            ],
        );
        let read = |amount: &str, cur: &str| {
            parse_record(
                ImportKind::Orders,
                &["刘洋", "2024-03-08", amount, cur],
                4,
                &m,
            )
            .map(|r| match r {
                RecordRow::Order(o) => (o.amount, o.currency),
                other => panic!("{other:?}"),
            })
        };
        for (cur, want) in [
            ("CNY", "CNY"),
            ("cny", "CNY"),
            ("人民币", "CNY"),
            ("元", "CNY"),
            ("RMB", "CNY"),
            ("美元", "USD"),
            ("usd", "USD"),
            ("欧元", "EUR"),
            ("港币", "HKD"),
            ("港元", "HKD"),
            ("日元", "JPY"),
            (" GBP ", "GBP"),
        ] {
            assert_eq!(
                read("100", cur),
                Ok(("100".into(), currency(want))),
                "{cur}"
            );
        }
        // The column wins over a sign in the amount.
        assert_eq!(read("￥100", "HKD"), Ok(("100".into(), currency("HKD"))));
        assert_eq!(read("$100", ""), Ok(("100".into(), currency("USD"))));
        for bad in ["人民幣币", "RMB元", "dollars", "US", "¥¥"] {
            assert_eq!(
                read("100", bad),
                Err(vec![invalid(Field::Currency, Reason::InvalidCurrency)]),
                "{bad}"
            );
        }
        // Yen have no decimals.
        assert_eq!(
            read("100.50", "JPY"),
            Err(vec![invalid(Field::Amount, Reason::InvalidMoney)])
        );
        assert_eq!(read("100", "JPY"), Ok(("100".into(), currency("JPY"))));
    }

    #[test]
    fn order_statuses_in_both_languages() {
        use OrderStatus::*;
        for (raw, want) in [
            ("待付款", Placed),
            ("待支付", Placed),
            ("已下单", Placed),
            ("未付款", Placed),
            ("等待买家付款", Placed),
            ("Pending", Placed),
            ("placed", Placed),
            ("已付款", Paid),
            ("已支付", Paid),
            ("待发货", Paid),
            ("买家已付款，等待卖家发货", Paid),
            ("PAID", Paid),
            ("已发货", Shipped),
            ("待收货", Shipped),
            ("卖家已发货，等待买家确认", Shipped),
            ("shipped", Shipped),
            ("已完成", Completed),
            ("交易成功", Completed),
            ("已收货", Completed),
            ("Complete", Completed),
            ("completed", Completed),
            ("done", Completed),
            ("已取消", Cancelled),
            ("交易关闭", Cancelled),
            ("cancelled", Cancelled),
            ("Canceled", Cancelled),
            ("已退款", Refunded),
            ("退款成功", Refunded),
            (" refunded ", Refunded),
        ] {
            assert_eq!(
                order_with(6, raw).map(|o| o.status),
                Ok(Some(want)),
                "{raw}"
            );
        }
        for s in OrderStatus::ALL {
            assert_eq!(order_with(6, s.as_str()).map(|o| o.status), Ok(Some(*s)));
        }
        assert_eq!(order_with(6, "").map(|o| o.status), Ok(None));
        let e = order_with(6, "待评价").expect_err("unknown");
        assert_eq!(e.len(), 1);
        assert_eq!(
            e[0].message(Lang::ZhCn),
            "状态：无法识别“待评价”，可以填写：待付款、已付款、待发货、已发货、已完成、交易成功、已取消、交易关闭、已退款"
        );
        assert_eq!(
            e[0].message(Lang::En),
            "status: “待评价” is not understood; use one of: placed, paid, shipped, completed, cancelled, refunded"
        );
        // Every word a refusal offers is one that is taken.
        for w in STATUS_ZH.iter().chain(STATUS_EN) {
            assert!(word(STATUS_WORDS, w).is_some(), "{w}");
        }
    }

    #[test]
    fn quantities() {
        for (raw, want) in [
            ("1", 1),
            ("2", 2),
            ("2.0", 2),
            ("2.00", 2),
            ("2件", 2),
            ("3 个", 3),
            ("10pcs", 10),
            ("1,000", 1000),
            ("1000000", 1_000_000),
        ] {
            assert_eq!(order_with(8, raw).map(|o| o.quantity), Ok(want), "{raw}");
        }
        for (bad, reason) in [
            ("2.5", Reason::NotAnInteger),
            ("两件", Reason::NotAnInteger),
            ("2.", Reason::NotAnInteger),
            ("1,00", Reason::NotAnInteger),
            ("件", Reason::NotAnInteger),
            ("1E+3", Reason::NotAnInteger),
            (
                "0",
                Reason::OutOfRange {
                    min: 1,
                    max: 1_000_000,
                },
            ),
            (
                "-2",
                Reason::OutOfRange {
                    min: 1,
                    max: 1_000_000,
                },
            ),
            (
                "1000001",
                Reason::OutOfRange {
                    min: 1,
                    max: 1_000_000,
                },
            ),
            (
                "99999999999999999999",
                Reason::OutOfRange {
                    min: 1,
                    max: 1_000_000,
                },
            ),
        ] {
            assert_eq!(
                order_with(8, bad),
                Err(vec![invalid(Field::Quantity, reason)]),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_order_needs_a_customer_a_date_and_an_amount() {
        let e = order(&["", "", "", "", "", "", "", "", ""]).expect_err("nothing");
        assert_eq!(
            e,
            [
                invalid(Field::Name, Reason::Required),
                invalid(Field::Date, Reason::Required),
                invalid(Field::Amount, Reason::Required),
            ]
        );
        // A number is enough to find the customer.
        let o = order_with(2, "").expect("a contact");
        assert_eq!(o.customer.name, None);
        assert_eq!(o.customer.contacts.len(), 1);
        assert_eq!(
            order(&["1", "tb", "", "", "2024-03-08", "99", "", "", ""]),
            Err(vec![invalid(Field::Name, Reason::Required)])
        );
        // A broken number is named, not a missing customer as well.
        assert_eq!(
            order(&["1", "tb", "", "1.39800E+10", "2024-03-08", "99", "", "", ""]),
            Err(vec![Problem::at(
                Field::Mobile,
                ProblemKind::ScientificNotation
            )])
        );
        for bad in ["2024-02-30", "昨天", "2024-03-08 25:00", "3/8"] {
            assert_eq!(
                order_with(4, bad),
                Err(vec![invalid(Field::Date, Reason::NotADate)]),
                "{bad}"
            );
        }
        assert_eq!(
            order_with(4, "45359.5").map(|o| o.placed),
            Ok(at(2024, 3, 8, 12, 0, 0))
        );
        assert_eq!(
            order_with(0, "3.71299E+18"),
            Err(vec![Problem::at(
                Field::OrderNo,
                ProblemKind::ScientificNotation
            )])
        );
        assert_eq!(
            order_with(7, &"料".repeat(121)),
            Err(vec![invalid(Field::Product, Reason::TooLong { max: 120 })])
        );
        let e = order(&["1", "2"]).expect_err("ragged");
        assert_eq!(
            e,
            [Problem::row(ProblemKind::Ragged {
                expected: 9,
                got: 2
            })]
        );
    }

    #[test]
    fn an_order_of_a_company_and_its_contacts() {
        let m = mapping(
            ImportKind::Orders,
            &[
                Some(Field::Company),
                Some(Field::Mobile),
                Some(Field::Phone),
                Some(Field::Email),
                Some(Field::Date),
                Some(Field::Amount),
                Some(Field::Note),
            ],
        );
        let r = parse_record(
            ImportKind::Orders,
            &[
                "杭州华信科技有限公司",
                "13800138000\n+86 138-0013-8000",
                "0571-8888 6666",
                "caiwu@huaxin.cn",
                "2024/3/8",
                "12,800.00",
                "年度服务费\n含发票",
            ],
            7,
            &m,
        )
        .expect("an order");
        let RecordRow::Order(o) = r else {
            panic!("{r:?}")
        };
        assert_eq!(o.customer.name.as_deref(), Some("杭州华信科技有限公司"));
        assert_eq!(o.customer.company.as_deref(), Some("杭州华信科技有限公司"));
        let keys: Vec<&str> = o.customer.contacts.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            ["+8613800138000", "+8657188886666", "caiwu@huaxin.cn"]
        );
        assert_eq!(o.placed, at(2024, 3, 8, 0, 0, 0));
        assert_eq!(o.note.as_deref(), Some("年度服务费\n含发票"));
        assert_eq!(o.quantity, 1);
    }

    #[test]
    fn fields_of_another_kind_and_customers_are_refused() {
        let m = mapping(
            ImportKind::Orders,
            &[
                Some(Field::Name),
                Some(Field::Date),
                Some(Field::Amount),
                Some(Field::Birthday),
            ],
        );
        assert_eq!(
            parse_record(
                ImportKind::Orders,
                &["刘洋", "2024-03-08", "99", "1990-01-01"],
                4,
                &m
            ),
            Err(vec![Problem::at(
                Field::Birthday,
                ProblemKind::NotForKind(ImportKind::Orders)
            )])
        );
        assert!(
            parse_record(ImportKind::Orders, &["刘洋", "2024-03-08", "99", ""], 4, &m).is_ok(),
            "an empty cell loses nothing"
        );
        assert_eq!(
            parse_record(
                ImportKind::Customers,
                &["刘洋", "2024-03-08", "99", ""],
                4,
                &m
            ),
            Err(vec![Problem::row(ProblemKind::NotForKind(
                ImportKind::Customers
            ))])
        );
    }

    // Interactions.

    fn call_mapping() -> Mapping {
        mapping(
            ImportKind::Interactions,
            &[
                Some(Field::Name),
                Some(Field::Mobile),
                Some(Field::Date),
                Some(Field::Direction),
                Some(Field::Duration),
                Some(Field::Note),
            ],
        )
    }

    fn call(cells: &[&str]) -> Result<InteractionRow, Vec<Problem>> {
        match parse_record(ImportKind::Interactions, cells, 6, &call_mapping())? {
            RecordRow::Interaction(i) => Ok(i),
            other => panic!("{other:?}"),
        }
    }

    fn call_with(column: usize, value: &str) -> Result<InteractionRow, Vec<Problem>> {
        let mut cells = [
            "王芳",
            "13800138000",
            "2024-03-08 09:12:05",
            "呼入",
            "00:03:25",
            "咨询发票抬头怎么改",
        ];
        cells[column] = value;
        call(&cells)
    }

    #[test]
    fn a_call_from_a_call_centre_log() {
        let i = call_with(5, "咨询发票抬头怎么改").expect("a call");
        assert_eq!(i.customer.name.as_deref(), Some("王芳"));
        assert_eq!(i.customer.contacts[0].key, "+8613800138000");
        assert_eq!(i.occurred, at(2024, 3, 8, 9, 12, 5));
        assert_eq!(i.channel, Channel::Phone, "no channel column: a call");
        assert_eq!(i.direction, Direction::Inbound);
        assert_eq!(i.subject, None);
        assert_eq!(i.body, "咨询发票抬头怎么改");
        assert_eq!(i.duration_seconds, Some(205));
        assert_eq!(
            call_with(3, "呼出").map(|i| i.direction),
            Ok(Direction::Outbound)
        );
        assert_eq!(
            call_with(3, "").map(|i| i.direction),
            Ok(Direction::Inbound)
        );
        assert_eq!(call_with(4, "").map(|i| i.duration_seconds), Ok(None));
        assert_eq!(
            call_with(5, ""),
            Err(vec![invalid(Field::Content, Reason::Required)])
        );
        assert_eq!(
            call_with(1, "1.38001E+10"),
            Err(vec![Problem::at(
                Field::Mobile,
                ProblemKind::ScientificNotation
            )])
        );
        assert_eq!(
            call_with(2, ""),
            Err(vec![invalid(Field::Date, Reason::Required)])
        );
        assert_eq!(
            call_with(2, "上周五"),
            Err(vec![invalid(Field::Date, Reason::NotADate)])
        );
        // A name alone is enough.
        let i = call(&["王芳", "", "2024-03-08", "", "", "无人接听"]).expect("a name");
        assert_eq!(i.customer.name.as_deref(), Some("王芳"));
        assert!(i.customer.contacts.is_empty());
        assert_eq!(i.occurred, at(2024, 3, 8, 0, 0, 0));
        assert_eq!(
            call(&["", "", "2024-03-08", "", "", "无人接听"]),
            Err(vec![invalid(Field::Name, Reason::Required)])
        );
        assert_eq!(
            call(&["", "", "", "", "", ""]),
            Err(vec![
                invalid(Field::Name, Reason::Required),
                invalid(Field::Date, Reason::Required),
                invalid(Field::Content, Reason::Required),
            ])
        );
        assert_eq!(
            call(&["王芳"]),
            Err(vec![Problem::row(ProblemKind::Ragged {
                expected: 6,
                got: 1
            })])
        );
        assert_eq!(
            call_with(5, &"话".repeat(4001)),
            Err(vec![invalid(Field::Note, Reason::TooLong { max: 4000 })])
        );
    }

    #[test]
    fn directions_in_both_languages() {
        use Direction::*;
        for (raw, want) in [
            ("呼入", Inbound),
            ("来电", Inbound),
            ("客户来访", Inbound),
            ("Inbound", Inbound),
            ("in", Inbound),
            ("Incoming", Inbound),
            ("呼出", Outbound),
            ("去电", Outbound),
            ("回访", Outbound),
            ("外呼", Outbound),
            ("outbound", Outbound),
            ("OUT", Outbound),
            ("outgoing", Outbound),
            ("内部", Internal),
            ("internal", Internal),
        ] {
            assert_eq!(call_with(3, raw).map(|i| i.direction), Ok(want), "{raw}");
        }
        let e = call_with(3, "转接").expect_err("unknown");
        assert_eq!(
            e[0].message(Lang::ZhCn),
            "方向：无法识别“转接”，可以填写：呼入、呼出、内部"
        );
        assert_eq!(
            e[0].message(Lang::En),
            "direction: “转接” is not understood; use one of: inbound, outbound, internal"
        );
    }

    #[test]
    fn durations() {
        for (raw, want) in [
            ("95", 95),
            ("0", 0),
            ("95.0", 95),
            ("95.6", 96),
            ("1:35", 95),
            ("01:35", 95),
            ("00:01:35", 95),
            ("1:05:00", 3900),
            ("125:30", 7530),
            ("1分35秒", 95),
            ("1分35", 95),
            ("2分钟", 120),
            ("2 分钟", 120),
            ("35秒", 35),
            ("1小时5分", 3900),
            ("1小时5分钟10秒", 3910),
            ("1时5分", 3900),
            ("1h5m", 3900),
            ("1m35s", 95),
            ("3 min", 180),
            ("24小时", 86_400),
            ("86400", 86_400),
            ("0.0011", 95),
            ("0.5", 43_200),
        ] {
            assert_eq!(
                call_with(4, raw).map(|i| i.duration_seconds),
                Ok(Some(want)),
                "{raw}"
            );
        }
        for bad in [
            "约3分钟",
            "三分钟",
            "1:60",
            "1:00:60",
            "1:2:3:4",
            ":35",
            "35秒1分",
            "1分1分",
            "1小时5",
            "-5",
            "5ms",
            "1.",
            "1,5",
            "99999999999",
        ] {
            assert_eq!(
                call_with(4, bad),
                Err(vec![Problem::at(
                    Field::Duration,
                    ProblemKind::NotADuration
                )]),
                "{bad}"
            );
        }
        for long in ["86401", "24:00:01", "25小时", "1.5"] {
            let want = if long == "1.5" {
                Ok(Some(2))
            } else {
                Err(vec![invalid(
                    Field::Duration,
                    Reason::OutOfRange {
                        min: 0,
                        max: 86_400,
                    },
                )])
            };
            assert_eq!(
                call_with(4, long).map(|i| i.duration_seconds),
                want,
                "{long}"
            );
        }
    }

    fn visit_mapping() -> Mapping {
        mapping(
            ImportKind::Interactions,
            &[
                Some(Field::Company),
                Some(Field::Email),
                Some(Field::Date),
                Some(Field::Channel),
                Some(Field::Subject),
                Some(Field::Content),
                Some(Field::Duration),
                Some(Field::Note),
            ],
        )
    }

    fn visit(cells: [&str; 8]) -> Result<InteractionRow, Vec<Problem>> {
        let m = visit_mapping();
        match parse_record(ImportKind::Interactions, &cells, 8, &m)? {
            RecordRow::Interaction(i) => Ok(i),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn channels_in_both_languages() {
        use Channel::*;
        let with = |channel: &str| {
            visit([
                "杭州华信科技有限公司",
                "caiwu@huaxin.cn",
                "2024-03-08 14:00",
                channel,
                "续约",
                "",
                "",
                "",
            ])
            .map(|i| i.channel)
        };
        for (raw, want) in [
            ("电话", Phone),
            ("来电", Phone),
            ("去电", Phone),
            ("通话", Phone),
            ("Phone", Phone),
            ("call", Phone),
            ("邮件", Email),
            ("电子邮件", Email),
            ("email", Email),
            ("E-mail", Email),
            ("在线", Chat),
            ("在线客服", Chat),
            ("网聊", Chat),
            ("聊天", Chat),
            ("chat", Chat),
            ("网站", Web),
            ("网页", Web),
            ("web", Web),
            ("短信", Sms),
            ("SMS", Sms),
            ("微信", Wechat),
            ("WeChat", Wechat),
            ("传真", Fax),
            ("fax", Fax),
            ("信函", Letter),
            ("信件", Letter),
            ("letter", Letter),
            ("拜访", Visit),
            ("上门", Visit),
            ("面谈", Visit),
            ("见面", Visit),
            ("visit", Visit),
            ("Meeting", Visit),
            ("自助", SelfService),
            ("self service", SelfService),
            ("self_service", SelfService),
        ] {
            assert_eq!(with(raw), Ok(want), "{raw}");
        }
        for c in Channel::ALL {
            assert_eq!(with(c.as_str()), Ok(*c));
        }
        let e = with("飞鸽传书").expect_err("unknown");
        assert_eq!(
            e[0].message(Lang::ZhCn),
            "方式：无法识别“飞鸽传书”，可以填写：电话、邮件、在线客服、网站、短信、微信、传真、信函、拜访、自助"
        );
        assert!(e[0]
            .message(Lang::En)
            .starts_with("channel: “飞鸽传书” is not understood"));
        for w in CHANNEL_ZH
            .iter()
            .chain(CHANNEL_EN)
            .chain(DIRECTION_ZH)
            .chain(DIRECTION_EN)
        {
            assert!(
                word(CHANNEL_WORDS, w).is_some() || word(DIRECTION_WORDS, w).is_some(),
                "{w}"
            );
        }
    }

    #[test]
    fn a_visit_and_its_body() {
        let i = visit([
            "杭州华信科技有限公司",
            "caiwu@huaxin.cn",
            "2024-03-08 14:00",
            "上门",
            "续约",
            "谈了明年的续约，\r\n对方希望打九折",
            "1小时",
            "带了新版合同",
        ])
        .expect("a visit");
        assert_eq!(
            i.customer,
            CustomerRef {
                name: Some("杭州华信科技有限公司".into()),
                company: Some("杭州华信科技有限公司".into()),
                contacts: ContactValue::parse(ContactKind::Email, "caiwu@huaxin.cn")
                    .into_iter()
                    .collect(),
            }
        );
        assert_eq!(i.channel, Channel::Visit);
        assert_eq!(i.direction, Direction::Inbound);
        assert_eq!(i.subject.as_deref(), Some("续约"));
        assert_eq!(i.body, "谈了明年的续约，\n对方希望打九折");
        assert_eq!(i.duration_seconds, Some(3600));
        // The note, then the subject, stand in for the content.
        let i = visit([
            "华信",
            "",
            "2024-03-08",
            "邮件",
            "续约",
            "",
            "",
            "带了新版合同",
        ])
        .expect("a note");
        assert_eq!(i.body, "带了新版合同");
        let i = visit(["华信", "", "2024-03-08", "邮件", "续约", "", "", ""]).expect("a subject");
        assert_eq!(i.body, "续约");
        assert_eq!(
            visit(["华信", "", "2024-03-08", "邮件", "", "", "", ""]),
            Err(vec![invalid(Field::Content, Reason::Required)])
        );
        // An empty channel: a call if it has a duration, else it must be said.
        assert_eq!(
            visit(["华信", "", "2024-03-08", "", "续约", "", "2分钟", ""]).map(|i| i.channel),
            Ok(Channel::Phone)
        );
        assert_eq!(
            visit(["华信", "", "2024-03-08", "", "续约", "", "", ""]),
            Err(vec![invalid(Field::Channel, Reason::Required)])
        );
        // A broken duration is named; the channel is not asked for on top of it.
        assert_eq!(
            visit(["华信", "", "2024-03-08", "", "续约", "", "很久", ""]),
            Err(vec![Problem::at(
                Field::Duration,
                ProblemKind::NotADuration
            )])
        );
        assert_eq!(
            visit(["华信", "", "2024-03-08", "#NAME?", "续约", "", "", ""]),
            Err(vec![Problem::at(
                Field::Channel,
                ProblemKind::CellError("#NAME?".into())
            )])
        );
        assert_eq!(
            visit([
                "华信",
                "",
                "2024-03-08",
                "邮件",
                &"题".repeat(121),
                "",
                "",
                ""
            ]),
            Err(vec![invalid(Field::Subject, Reason::TooLong { max: 120 })])
        );
        assert_eq!(
            visit([
                "华信",
                "",
                "2024-03-08",
                "邮件",
                "",
                &"字".repeat(4001),
                "",
                ""
            ]),
            Err(vec![invalid(Field::Content, Reason::TooLong { max: 4000 })])
        );
    }

    proptest! {
        /// No input makes the record parser panic, whatever the kind.
        #[test]
        fn records_never_panic(cells in proptest::collection::vec(".{0,30}", 0..10)) {
            let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
            for kind in ImportKind::ALL {
                let columns = crate::mapping::fields_of(*kind).iter().take(9).map(|f| Some(*f)).collect::<Vec<_>>();
                let m = mapping(*kind, &columns);
                let _ = parse_record(*kind, &refs, columns.len(), &m);
            }
        }

        /// Amounts written with thousands separators and a sign read back as written.
        #[test]
        fn amounts_round_trip(minor in -10_000_000_000i64..10_000_000_000) {
            let money = Money::new(minor, Currency::CNY);
            let plain = money.decimal();
            let (sign, digits) = plain.strip_prefix('-').map_or(("", plain.as_str()), |d| ("-", d));
            let (whole, fraction) = digits.split_once('.').expect("two decimals");
            let mut grouped = String::new();
            for (i, c) in whole.chars().enumerate() {
                if i > 0 && (whole.len() - i) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(c);
            }
            let written = format!("{sign}￥{grouped}.{fraction}");
            let (amount, cur) = parse_amount(&written).expect("an amount");
            prop_assert_eq!(cur, Some(Currency::CNY));
            prop_assert_eq!(Money::parse(&amount, Currency::CNY).ok(), Some(money), "{}", written);
        }

        /// Durations written as h:mm:ss and in Chinese units read back as themselves.
        #[test]
        fn durations_round_trip(seconds in 0i64..=86_400) {
            let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
            for text in [
                format!("{h}:{m:02}:{s:02}"),
                format!("{}:{s:02}", seconds / 60),
                format!("{h}小时{m}分{s}秒"),
                seconds.to_string(),
            ] {
                prop_assert_eq!(parse_duration(&text), Ok(seconds), "{}", text);
            }
        }
    }
}
