//! One row of a file into a customer, or the reasons it cannot be one. Spreadsheets damage data
//! in known ways; each is named so that the user can fix the file: numbers Excel turned into
//! `1.38001E+10`, formulas, phone numbers stored as `13800138000.0`, dates in several orders.

use crate::mapping::{CustomField, DateOrder, Field, Mapping};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use guanxi_core::contact::{ContactKind, ContactValue};
use guanxi_core::{ImportKind, Lang, Reason};

/// A customer read from a row, checked and ready to create or match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportRow {
    pub name: String,
    pub company: Option<String>,
    pub title: Option<String>,
    /// Phones, e-mail, WeChat id, address: each parsed and normalised.
    pub contacts: Vec<ContactValue>,
    pub city: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub tags: Vec<String>,
    pub note: Option<String>,
    /// Values of the organisation's custom fields, by key, in the form the store keeps them
    /// (checked against the field's type and choices).
    pub custom: serde_json::Map<String, serde_json::Value>,
}

/// Why a cell or a row was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The row has another number of cells than the header.
    Ragged { expected: usize, got: usize },
    /// Excel stored the number in scientific notation and lost its last digits.
    ScientificNotation,
    /// A formula (`=…`), which is never run.
    Formula,
    /// The cell shows one of Excel's error values (`#N/A`, `#VALUE!`, …): a formula that
    /// had no result when the file was saved.
    CellError(String),
    /// A value the field's parser refused.
    Invalid(Reason),
    /// A physical line of a vCard longer than the limit (a photo or a damaged file); it was
    /// left out and the card refused.
    LineTooLong { max: usize },
    /// A vCard birthday without a year (`--0312`): left out, the rest of the card imported.
    BirthdayWithoutYear(String),
    /// A value that could not be understood (a vCard birthday such as `around 1980`): left
    /// out, the rest imported.
    NotUnderstood(String),
    /// A vCard with several addresses: the first is imported, these are not.
    AddressesLeftOut(Vec<String>),
    /// A vCard value in a character set that is not known; read as UTF-8.
    UnknownCharset(String),
    /// Reading stopped here: the rest of the file cannot be read (see the reason).
    Stopped(crate::source::FileError),
    /// A column mapped to a field that files of this kind do not have (a birthday in a file
    /// of orders); without a field, a row given to the reader of another kind.
    NotForKind(ImportKind),
    /// A word that is not one of those the field understands (an order status, a channel),
    /// with the words that are, in Chinese and in English.
    UnknownWord {
        value: String,
        zh: &'static [&'static str],
        en: &'static [&'static str],
    },
    /// A duration that could not be read (`95`, `1:35`, `1分35秒` can).
    NotADuration,
    /// A cell of a column that fills a custom field, and what is wrong with it.
    Custom {
        label_zh: String,
        label_en: String,
        problem: Box<ProblemKind>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The field of the column (`None` for the whole row).
    pub field: Option<Field>,
    pub kind: ProblemKind,
}

impl Problem {
    /// A problem of the whole row (no field).
    pub fn row(kind: ProblemKind) -> Self {
        Self { field: None, kind }
    }

    pub(crate) fn at(field: Field, kind: ProblemKind) -> Self {
        Self {
            field: Some(field),
            kind,
        }
    }

    /// The reason in the user's language, with the field when there is one.
    pub fn message(&self, lang: Lang) -> String {
        let what = match &self.kind {
            ProblemKind::Ragged { expected, got } => match lang {
                Lang::ZhCn => format!("这一行有 {got} 列，表头有 {expected} 列（可能是引号没有成对）"),
                Lang::En => format!("this row has {got} cells but the header has {expected} (an unpaired quote?)"),
            },
            ProblemKind::ScientificNotation => lang
                .pick(
                    "号码被 Excel 存成了科学计数法（如 1.38001E+10），后几位已经丢失；请把该列设为“文本”格式后重新导出",
                    "Excel stored the number in scientific notation (like 1.38001E+10) and lost its last digits; format the column as text and export again",
                )
                .to_owned(),
            ProblemKind::Formula => lang
                .pick(
                    "单元格是公式（以 = 开头），导入时不会计算；请导出公式的计算结果",
                    "the cell is a formula (it starts with =), which is not calculated; export its value instead",
                )
                .to_owned(),
            ProblemKind::CellError(e) => match lang {
                Lang::ZhCn => format!("单元格显示 Excel 错误值 {e}（公式没有算出结果）；请先修正公式，再重新导出"),
                Lang::En => format!("the cell shows the Excel error {e} (a formula without a result); fix the formula and export again"),
            },
            ProblemKind::Invalid(r) => r.message(lang),
            ProblemKind::LineTooLong { max } => match lang {
                Lang::ZhCn => format!(
                    "这张名片有一行超过 {} KB（可能是照片或文件已损坏），整张名片没有导入",
                    max / 1024
                ),
                Lang::En => format!(
                    "a line of this card is longer than {} KB (a photo or a damaged file); the card was not imported",
                    max / 1024
                ),
            },
            ProblemKind::BirthdayWithoutYear(v) => match lang {
                Lang::ZhCn => format!("“{v}”没有年份，生日未导入，其余内容照常导入"),
                Lang::En => format!("“{v}” has no year; the birthday was left out, the rest is imported"),
            },
            ProblemKind::NotUnderstood(v) => match lang {
                Lang::ZhCn => format!("无法识别“{v}”，这一项未导入，其余内容照常导入"),
                Lang::En => format!("“{v}” was not understood and left out; the rest is imported"),
            },
            ProblemKind::AddressesLeftOut(rest) => match lang {
                Lang::ZhCn => format!(
                    "名片有多个地址，只导入了第一个；未导入：{}",
                    rest.join("；")
                ),
                Lang::En => format!(
                    "the card has several addresses and only the first was imported; left out: {}",
                    rest.join("; ")
                ),
            },
            ProblemKind::UnknownCharset(c) => match lang {
                Lang::ZhCn => format!("无法识别字符集 {c}，已按 UTF-8 读取，可能出现乱码"),
                Lang::En => format!("the character set {c} is not known; read as UTF-8, some text may be garbled"),
            },
            ProblemKind::Stopped(e) => match lang {
                Lang::ZhCn => format!("{}。从这里起的内容无法读取，已停止", e.message(lang)),
                Lang::En => format!("{}. Reading stopped here: the rest of the file cannot be read", e.message(lang)),
            },
            ProblemKind::NotForKind(kind) => match (self.field.is_some(), lang) {
                (true, Lang::ZhCn) => format!(
                    "导入{}时没有这一项，请把这一列改为“不导入”",
                    kind.label(lang)
                ),
                (true, Lang::En) => format!(
                    "files of {} have no such field; set the column to “Leave out”",
                    kind.label(lang)
                ),
                (false, Lang::ZhCn) => format!("这一行不能按{}读取", kind.label(lang)),
                (false, Lang::En) => format!("this row cannot be read as {}", kind.label(lang)),
            },
            ProblemKind::UnknownWord { value, zh, en } => match lang {
                Lang::ZhCn => format!("无法识别“{value}”，可以填写：{}", zh.join("、")),
                Lang::En => format!("“{value}” is not understood; use one of: {}", en.join(", ")),
            },
            ProblemKind::NotADuration => lang
                .pick(
                    "格式无法识别，请写成秒数（如 95）、1:35、00:01:35 或 1分35秒",
                    "not understood; write seconds (95), 1:35, 00:01:35 or 1m35s",
                )
                .to_owned(),
            ProblemKind::Custom {
                label_zh,
                label_en,
                problem,
            } => {
                let label = match lang {
                    Lang::ZhCn => label_zh,
                    Lang::En => label_en,
                };
                format!(
                    "{label}{}{}",
                    lang.colon(),
                    Problem::row((**problem).clone()).message(lang)
                )
            }
        };
        match self.field {
            Some(f) => format!("{}{}{what}", field_label(f, lang), lang.colon()),
            None => what,
        }
    }
}

/// A field as people call it.
pub fn field_label(f: Field, lang: Lang) -> &'static str {
    let (zh, en) = match f {
        Field::Name => ("姓名", "name"),
        Field::Company => ("公司", "company"),
        Field::Title => ("职务", "title"),
        Field::Mobile => ("手机", "mobile"),
        Field::Phone => ("电话", "phone"),
        Field::Email => ("邮箱", "e-mail"),
        Field::Wechat => ("微信", "WeChat"),
        Field::City => ("城市", "city"),
        Field::Address => ("地址", "address"),
        Field::Birthday => ("生日", "birthday"),
        Field::Tags => ("标签", "tags"),
        Field::Note => ("备注", "note"),
        Field::Source => ("线索来源", "source"),
        Field::OrderNo => ("订单号", "order no."),
        Field::Date => ("日期", "date"),
        Field::Amount => ("金额", "amount"),
        Field::Currency => ("币种", "currency"),
        Field::Status => ("状态", "status"),
        Field::Product => ("商品", "product"),
        Field::Quantity => ("数量", "quantity"),
        Field::Channel => ("方式", "channel"),
        Field::Direction => ("方向", "direction"),
        Field::Subject => ("主题", "subject"),
        Field::Content => ("内容", "content"),
        Field::Duration => ("时长", "duration"),
    };
    lang.pick(zh, en)
}

/// Longest name, company, title and city (and product, order number, subject); longest note
/// (and interaction content).
pub(crate) const LINE_MAX: usize = 120;
pub(crate) const NOTE_MAX: usize = 4000;
const TAGS_MAX: usize = 50;

/// A phone number as Excel may have left it: `13800138000.0` is a number read as a float,
/// `1.38001E+10` a number that lost digits.
pub(crate) fn phone_text(raw: &str) -> Result<String, ProblemKind> {
    let t = raw.trim();
    let upper = t.to_ascii_uppercase();
    if let Some((mantissa, exp)) = upper.split_once("E+") {
        if !mantissa.is_empty()
            && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
            && !exp.is_empty()
            && exp.chars().all(|c| c.is_ascii_digit())
        {
            return Err(ProblemKind::ScientificNotation);
        }
    }
    Ok(match t.strip_suffix(".0") {
        Some(digits) if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) => {
            digits.to_owned()
        }
        _ => t.to_owned(),
    })
}

/// Excel's error values, as a cell shows them (and as a CSV export writes them).
const EXCEL_ERRORS: [&str; 11] = [
    "#N/A",
    "#VALUE!",
    "#REF!",
    "#DIV/0!",
    "#NUM!",
    "#NAME?",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
    "#FIELD!",
];

/// The Excel error value a cell shows, if it shows one.
pub(crate) fn excel_error(raw: &str) -> Option<&'static str> {
    if !raw.starts_with('#') {
        return None;
    }
    EXCEL_ERRORS
        .into_iter()
        .find(|e| e.eq_ignore_ascii_case(raw))
}

/// The values of a contact cell: one, or several one per line (as vCards and some exports
/// write several numbers or addresses of a person in one cell).
pub(crate) fn values(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(['\n', '\r'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// A date in the ways spreadsheets write them: ISO and `2024/1/5` (always year first),
/// `2024年1月5日`, `20240105`, an Excel day number (`45296`), or `5/1/2024` read in `order`.
pub fn parse_date(raw: &str, order: DateOrder) -> Option<NaiveDate> {
    let t = raw.trim();
    if t.len() == 5 && t.chars().all(|c| c.is_ascii_digit()) {
        // Excel's serial day number: days since 1899-12-30.
        let n: i64 = t.parse().ok()?;
        return NaiveDate::from_ymd_opt(1899, 12, 30)?
            .checked_add_signed(chrono::Duration::days(n));
    }
    if t.len() == 8 && t.chars().all(|c| c.is_ascii_digit()) {
        return NaiveDate::parse_from_str(t, "%Y%m%d").ok();
    }
    let cleaned: String = t
        .replace(['年', '月'], "-")
        .replace('日', "")
        .replace(['/', '.'], "-");
    let parts: Vec<&str> = cleaned.split('-').map(str::trim).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let n: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    if n.len() != 3 {
        return None;
    }
    let (y, m, d) = if parts[0].len() == 4 {
        (n[0], n[1], n[2])
    } else if parts[2].len() == 4 {
        match order {
            DateOrder::MonthDayYear => (n[2], n[0], n[1]),
            // Year-first files that also hold day-first dates: read them day first, as most
            // of the world (and Chinese exports of foreign systems) write them.
            DateOrder::DayMonthYear | DateOrder::YearMonthDay => (n[2], n[1], n[0]),
        }
    } else {
        return None;
    };
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// A date with or without a time of day, as spreadsheets and exports write them: whatever
/// [`parse_date`] reads (at midnight), the same followed by a time after a space or `T`
/// (`2024-01-05 14:30`, `2024/1/5 14:30:15`, `2024-01-05T14:30:00`, `2024年1月5日 14:30`,
/// `14时30分`, `下午 2:30`, `2:30 PM`; fractions of a second are dropped), or an Excel serial
/// date-time (`45296.5` is noon on 2024-01-05). The time is local, as written: a time with
/// an offset or `Z` is refused.
pub fn parse_datetime(raw: &str, order: DateOrder) -> Option<NaiveDateTime> {
    let t = raw.trim();
    if let Some(d) = parse_date(t, order) {
        return Some(d.and_time(NaiveTime::MIN));
    }
    if let Some((days, fraction)) = t.split_once('.') {
        if days.len() == 5 && days.bytes().all(|b| b.is_ascii_digit()) {
            let day = parse_date(days, order)?;
            let seconds = day_fraction_seconds(fraction)?;
            return day
                .and_time(NaiveTime::MIN)
                .checked_add_signed(chrono::Duration::seconds(seconds));
        }
    }
    let (date, time) = match t.split_once(|c: char| c == 'T' || c.is_whitespace()) {
        Some(parts) => parts,
        // `2024年1月5日14:30`, without a space.
        None => t.split_at(t.find('日')? + '日'.len_utf8()),
    };
    Some(parse_date(date, order)?.and_time(parse_time(time)?))
}

/// Seconds in the fraction of a day written after the point of an Excel serial number
/// (`5` in `45296.5`: 43,200), rounded to the second; integers only, no floating point.
pub(crate) fn day_fraction_seconds(fraction: &str) -> Option<i64> {
    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Excel writes at most 17 significant digits; more adds nothing to the second.
    let digits = &fraction[..fraction.len().min(18)];
    let n: u128 = digits.parse().ok()?;
    let scale = 10u128.pow(u32::try_from(digits.len()).ok()?);
    i64::try_from((n * 86_400 * 2 + scale) / (scale * 2)).ok()
}

/// A time of day: `14:30`, `14:30:15`, `14:30:15.250`, `14时30分`, `14点30分15秒`, with
/// `上午`/`下午` before it or `AM`/`PM` after it.
fn parse_time(raw: &str) -> Option<NaiveTime> {
    let mut t = raw.trim().to_ascii_uppercase();
    let mut half = None;
    for (word, pm) in [("上午", false), ("下午", true), ("晚上", true)] {
        if let Some(rest) = t.strip_prefix(word) {
            half = Some(pm);
            t = rest.trim().to_owned();
        }
    }
    for (word, pm) in [("AM", false), ("PM", true)] {
        if let Some(rest) = t.strip_suffix(word) {
            half = Some(pm);
            t = rest.trim().to_owned();
        }
    }
    let cleaned = t.replace(['时', '点', '分'], ":").replace('秒', "");
    let cleaned = cleaned.strip_suffix(':').unwrap_or(&cleaned);
    let parts: Vec<&str> = cleaned.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    // Fractions of a second are dropped.
    let seconds = match parts.get(2).map(|s| s.split_once('.')) {
        None => "0",
        Some(None) => parts[2],
        Some(Some((whole, fraction)))
            if !fraction.is_empty() && fraction.bytes().all(|b| b.is_ascii_digit()) =>
        {
            whole
        }
        Some(Some(_)) => return None,
    };
    let number = |p: &str| -> Option<u32> {
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let (mut h, m, s) = (number(parts[0])?, number(parts[1])?, number(seconds)?);
    match half {
        Some(_) if !(1..=12).contains(&h) => return None,
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    NaiveTime::from_hms_opt(h, m, s)
}

pub(crate) fn text(
    raw: &str,
    max: usize,
    field: Field,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    match guanxi_core::text::line(t, max) {
        Ok(v) => Some(v),
        Err(e) => {
            for f in e.fields() {
                problems.push(Problem::at(field, ProblemKind::Invalid(f.reason.clone())));
            }
            None
        }
    }
}

/// A multi-line text (a note, an interaction's content): line breaks kept as `\n`.
pub(crate) fn body_text(raw: &str, field: Field, problems: &mut Vec<Problem>) -> Option<String> {
    match guanxi_core::text::body(&raw.replace("\r\n", "\n"), NOTE_MAX) {
        Ok(n) => Some(n),
        Err(e) => {
            problems.extend(
                e.fields()
                    .iter()
                    .map(|f| Problem::at(field, ProblemKind::Invalid(f.reason.clone()))),
            );
            None
        }
    }
}

/// A cell that holds no value but what a spreadsheet left: a formula or an Excel error.
pub(crate) fn damaged(field: Field, raw: &str) -> Option<Problem> {
    if raw.starts_with('=') {
        return Some(Problem::at(field, ProblemKind::Formula));
    }
    excel_error(raw).map(|e| Problem::at(field, ProblemKind::CellError(e.to_owned())))
}

/// The contact values of a cell of a phone, e-mail, WeChat or address column, added to `out`
/// in order; each bad one is a problem. A phone, e-mail or WeChat cell may hold several
/// values, one per line; an address is one value.
pub(crate) fn contact_values(
    field: Field,
    raw: &str,
    problems: &mut Vec<Problem>,
    out: &mut Vec<ContactValue>,
) {
    match field {
        Field::Mobile | Field::Phone => {
            for raw in values(raw) {
                match phone_text(raw) {
                    Err(k) => problems.push(Problem::at(field, k)),
                    Ok(p) => {
                        let kinds = if field == Field::Mobile {
                            [ContactKind::Mobile, ContactKind::Landline]
                        } else {
                            [ContactKind::Landline, ContactKind::Mobile]
                        };
                        match ContactValue::parse(kinds[0], &p)
                            .or_else(|_| ContactValue::parse(kinds[1], &p))
                        {
                            Ok(v) => out.push(v),
                            Err(_) => problems.push(Problem::at(
                                field,
                                ProblemKind::Invalid(Reason::InvalidPhone),
                            )),
                        }
                    }
                }
            }
        }
        Field::Email | Field::Wechat | Field::Address => {
            let kind = match field {
                Field::Email => ContactKind::Email,
                Field::Wechat => ContactKind::Wechat,
                _ => ContactKind::Address,
            };
            let mut add = |raw: &str| match ContactValue::parse(kind, raw) {
                Ok(v) => out.push(v),
                Err(e) => problems.extend(
                    e.fields()
                        .iter()
                        .map(|f| Problem::at(field, ProblemKind::Invalid(f.reason.clone()))),
                ),
            };
            // An address written over several lines is one address (and refused as
            // such); e-mail addresses and WeChat ids may come several to a cell.
            if kind == ContactKind::Address {
                add(raw);
            } else {
                values(raw).for_each(add);
            }
        }
        _ => {}
    }
}

/// Check one row against the mapping. `cells` is the row as read; `width` the header's number
/// of cells. A phone, e-mail or WeChat cell may hold several values, one per line (as vCards
/// and some exports give them); an address is one value. Several columns may map to the
/// same contact field, each adding its values. A column mapped to a field customers do not
/// have (see [`Mapping::misplaced`]) refuses the rows that have a value in it.
pub fn parse_row(
    cells: &[&str],
    width: usize,
    mapping: &Mapping,
) -> Result<ImportRow, Vec<Problem>> {
    let mut problems = Vec::new();
    if cells.len() != width {
        return Err(vec![Problem {
            field: None,
            kind: ProblemKind::Ragged {
                expected: width,
                got: cells.len(),
            },
        }]);
    }
    let mut row = ImportRow::default();
    for (i, field) in mapping.columns.iter().enumerate() {
        let (Some(field), Some(raw)) = (field, cells.get(i)) else {
            continue;
        };
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        if !field.belongs_to(ImportKind::Customers) {
            problems.push(Problem::at(
                *field,
                ProblemKind::NotForKind(ImportKind::Customers),
            ));
            continue;
        }
        if let Some(p) = damaged(*field, raw) {
            problems.push(p);
            continue;
        }
        match field {
            Field::Name => {
                row.name = text(raw, LINE_MAX, *field, &mut problems).unwrap_or_default()
            }
            Field::Company => row.company = text(raw, LINE_MAX, *field, &mut problems),
            Field::Title => row.title = text(raw, LINE_MAX, *field, &mut problems),
            Field::City => row.city = text(raw, LINE_MAX, *field, &mut problems),
            Field::Note => {
                if let Some(n) = body_text(raw, Field::Note, &mut problems) {
                    row.note = Some(n);
                }
            }
            Field::Mobile | Field::Phone | Field::Email | Field::Wechat | Field::Address => {
                contact_values(*field, raw, &mut problems, &mut row.contacts)
            }
            Field::Birthday => match parse_date(raw, mapping.dates) {
                Some(d) => row.birthday = Some(d),
                None => problems.push(Problem::at(*field, ProblemKind::Invalid(Reason::NotADate))),
            },
            Field::Tags => {
                let tags: Vec<String> = raw
                    .split([',', '，', ';', '；', '、', '|'])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect();
                if tags.len() > TAGS_MAX {
                    problems.push(Problem::at(
                        *field,
                        ProblemKind::Invalid(Reason::TooMany { max: TAGS_MAX }),
                    ));
                } else {
                    row.tags = tags;
                }
            }
            // Refused above: not fields of a customer.
            Field::Source
            | Field::OrderNo
            | Field::Date
            | Field::Amount
            | Field::Currency
            | Field::Status
            | Field::Product
            | Field::Quantity
            | Field::Channel
            | Field::Direction
            | Field::Subject
            | Field::Content
            | Field::Duration => {}
        }
    }
    for (i, raw) in cells.iter().enumerate() {
        let (Some(f), raw) = (mapping.custom_at(i), raw.trim()) else {
            continue;
        };
        if raw.is_empty() {
            continue;
        }
        match custom_value(f, raw, mapping.dates) {
            Ok(v) => {
                row.custom.insert(f.key.clone(), v);
            }
            Err(problem) => problems.push(Problem::row(ProblemKind::Custom {
                label_zh: f.label(Lang::ZhCn).to_owned(),
                label_en: f.label(Lang::En).to_owned(),
                problem: Box::new(problem),
            })),
        }
    }
    if row.name.is_empty() {
        match row.company.clone() {
            // A row with a company and no person is the company itself.
            Some(c) if mapping.column_of(Field::Name).is_none() => row.name = c,
            _ => {
                if !problems.iter().any(|p| p.field == Some(Field::Name)) {
                    problems.push(Problem::at(
                        Field::Name,
                        ProblemKind::Invalid(Reason::Required),
                    ));
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    row.contacts.retain(|c| seen.insert(c.key.clone()));
    if problems.is_empty() {
        Ok(row)
    } else {
        Err(problems)
    }
}

/// A cell of a custom field's column as the value the store keeps: text as it is, a number
/// (`1,280` and `1280.0` too), a date in the mapping's order, a choice by its exact or
/// differently-cased text; then checked by the rules every custom value obeys.
fn custom_value(
    f: &CustomField,
    raw: &str,
    dates: DateOrder,
) -> Result<serde_json::Value, ProblemKind> {
    use guanxi_core::custom_field::{check_values, FieldRule, FieldType};
    use serde_json::Value;
    if raw.starts_with('=') {
        return Err(ProblemKind::Formula);
    }
    if let Some(e) = excel_error(raw) {
        return Err(ProblemKind::CellError(e.to_owned()));
    }
    let value = match f.field_type {
        FieldType::Text => Value::String(raw.to_owned()),
        FieldType::Number => {
            let t: String = raw
                .chars()
                .filter(|c| !matches!(c, ',' | '，' | ' ' | '\u{a0}'))
                .collect();
            if let Ok(n) = t.parse::<i64>() {
                Value::from(n)
            } else {
                t.parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or(ProblemKind::Invalid(Reason::NotANumber))?
            }
        }
        FieldType::Date => parse_date(raw, dates)
            .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
            .ok_or(ProblemKind::Invalid(Reason::NotADate))?,
        // A choice is one of the field's own words, or refused naming them; nothing more to
        // check (and no rule to build for every cell of a long file).
        FieldType::Choice => {
            let lower = raw.to_lowercase();
            return f
                .choices
                .iter()
                .find(|c| c.as_str() == raw)
                .or_else(|| f.choices.iter().find(|c| c.to_lowercase() == lower))
                .map(|c| Value::String(c.clone()))
                .ok_or_else(|| {
                    ProblemKind::Invalid(Reason::NotOneOf {
                        allowed: f.choices.clone(),
                    })
                });
        }
    };
    let rule = FieldRule {
        key: f.key.clone(),
        field_type: f.field_type,
        choices: Vec::new(),
        required: false,
    };
    let mut one = serde_json::Map::new();
    one.insert(f.key.clone(), value);
    match check_values(&[rule], &one, false) {
        Ok(mut out) => Ok(out.remove(&f.key).unwrap_or(Value::Null)),
        Err(e) => Err(ProblemKind::Invalid(
            e.fields()
                .first()
                .map_or(Reason::NotAllowed, |x| x.reason.clone()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn mapping(fields: &[Option<Field>]) -> Mapping {
        Mapping {
            columns: fields.to_vec(),
            dates: DateOrder::YearMonthDay,
            kind: ImportKind::Customers,
            custom: Vec::new(),
        }
    }

    fn custom_fields() -> Vec<CustomField> {
        use guanxi_core::custom_field::FieldType;
        let f = |key: &str, zh: &str, en: &str, t, choices: &[&str]| CustomField {
            key: key.into(),
            label_zh: zh.into(),
            label_en: en.into(),
            field_type: t,
            choices: choices.iter().map(|c| c.to_string()).collect(),
        };
        vec![
            f(
                "industry",
                "行业",
                "Industry",
                FieldType::Choice,
                &["制造业", "Finance"],
            ),
            f("employees", "员工人数", "Employees", FieldType::Number, &[]),
            f("founded", "成立日期", "Founded", FieldType::Date, &[]),
            f("motto", "口号", "Motto", FieldType::Text, &[]),
        ]
    }

    #[test]
    fn custom_columns_become_values_of_their_type() {
        let mut m = mapping(&[Some(Field::Name), None, None, None, None]);
        m.custom = std::iter::once(None)
            .chain(custom_fields().into_iter().map(Some))
            .collect();
        m.dates = DateOrder::DayMonthYear;
        let r = parse_row(&["张伟", "finance", "1,280", "5/1/2024", " 诚信 "], 5, &m)
            .expect("a good row");
        assert_eq!(r.custom["industry"], serde_json::json!("Finance"));
        assert_eq!(r.custom["employees"], serde_json::json!(1280));
        assert_eq!(r.custom["founded"], serde_json::json!("2024-01-05"));
        assert_eq!(r.custom["motto"], serde_json::json!("诚信"));
        // An empty cell is no value, not an empty one.
        let r = parse_row(&["张伟", "", "12.5", "", ""], 5, &m).expect("a good row");
        assert_eq!(r.custom.len(), 1);
        assert_eq!(r.custom["employees"], serde_json::json!(12.5));

        let bad = parse_row(&["张伟", "农业", "很多", "2024-13-40", "=A1"], 5, &m)
            .expect_err("four bad cells");
        let said: Vec<String> = bad.iter().map(|p| p.message(Lang::ZhCn)).collect();
        assert_eq!(bad.len(), 4, "{said:?}");
        assert!(
            said[0].starts_with("行业：") && said[0].contains("制造业"),
            "{said:?}"
        );
        assert!(said[1].starts_with("员工人数："), "{said:?}");
        assert!(said[2].starts_with("成立日期："), "{said:?}");
        assert!(
            said[3].starts_with("口号：") && said[3].contains("公式"),
            "{said:?}"
        );
        assert!(bad[0].message(Lang::En).starts_with("Industry: "));
    }

    #[test]
    fn a_good_row() {
        let m = mapping(&[
            Some(Field::Name),
            Some(Field::Mobile),
            Some(Field::Email),
            Some(Field::Company),
            Some(Field::Tags),
        ]);
        let r = parse_row(
            &[
                "张伟",
                "138 0013 8000",
                "Zhang.Wei@Example.cn",
                "杭州华信科技有限公司",
                "老客户、VIP",
            ],
            5,
            &m,
        )
        .expect("row");
        assert_eq!(r.name, "张伟");
        assert_eq!(
            r.contacts
                .iter()
                .map(|c| c.key.as_str())
                .collect::<Vec<_>>(),
            ["+8613800138000", "zhang.wei@example.cn"]
        );
        assert_eq!(r.tags, ["老客户", "VIP"]);
    }

    #[test]
    fn spreadsheet_damage_is_named() {
        let m = mapping(&[
            Some(Field::Name),
            Some(Field::Mobile),
            Some(Field::Birthday),
        ]);
        let e = parse_row(&["王芳", "1.38001E+10", "=TODAY()"], 3, &m).expect_err("damaged");
        assert_eq!(e.len(), 2);
        assert_eq!(
            e[0],
            Problem::at(Field::Mobile, ProblemKind::ScientificNotation)
        );
        assert_eq!(e[1], Problem::at(Field::Birthday, ProblemKind::Formula));
        assert!(e[0].message(Lang::ZhCn).contains("科学计数法"));
        assert!(e[0].message(Lang::En).contains("scientific notation"));
        let ok = parse_row(&["王芳", "13800138000.0", ""], 3, &m)
            .expect("a float-looking number is fine");
        assert_eq!(ok.contacts[0].key, "+8613800138000");
        let ragged = parse_row(&["王芳", "138"], 3, &m).expect_err("ragged");
        assert_eq!(
            ragged[0].kind,
            ProblemKind::Ragged {
                expected: 3,
                got: 2
            }
        );
        let nameless = parse_row(&["", "13800138000", ""], 3, &m).expect_err("no name");
        assert_eq!(nameless[0].field, Some(Field::Name));
        let bad = parse_row(&["王芳", "12345", "2024-02-30"], 3, &m).expect_err("bad");
        assert_eq!(bad.len(), 2);
    }

    #[test]
    fn excel_error_values_are_named() {
        let m = mapping(&[
            Some(Field::Name),
            Some(Field::Mobile),
            None,
            Some(Field::Note),
        ]);
        let e = parse_row(&["王芳", "#N/A", "#REF!", "#value!"], 4, &m).expect_err("errors");
        assert_eq!(
            e,
            [
                Problem::at(Field::Mobile, ProblemKind::CellError("#N/A".into())),
                Problem::at(Field::Note, ProblemKind::CellError("#VALUE!".into())),
            ],
            "a column left out does not matter"
        );
        assert!(e[0]
            .message(Lang::ZhCn)
            .starts_with("手机：单元格显示 Excel 错误值 #N/A"));
        assert!(e[0].message(Lang::En).contains("#N/A"));
        let ok = parse_row(&["王芳", "13800138000", "", "#1 客户"], 4, &m)
            .expect("a note may start with #");
        assert_eq!(ok.note.as_deref(), Some("#1 客户"));
    }

    #[test]
    fn several_numbers_and_addresses_in_one_cell() {
        let m = mapping(&[
            Some(Field::Name),
            Some(Field::Mobile),
            Some(Field::Email),
            Some(Field::Phone),
        ]);
        let r = parse_row(
            &[
                "张伟",
                "13800138000\n139 0013 9000",
                "a@example.cn\r\nB@example.cn\n",
                "010-8888 6666",
            ],
            4,
            &m,
        )
        .expect("row");
        let keys: Vec<&str> = r.contacts.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "+8613800138000",
                "+8613900139000",
                "a@example.cn",
                "b@example.cn",
                "+861088886666"
            ]
        );
        // One bad value among several names the field.
        let e = parse_row(&["张伟", "13800138000\n12345", "", ""], 4, &m).expect_err("bad");
        assert_eq!(
            e,
            [Problem::at(
                Field::Mobile,
                ProblemKind::Invalid(Reason::InvalidPhone)
            )]
        );
        // An address over two lines is one address, refused as before.
        let m = mapping(&[Some(Field::Name), Some(Field::Address)]);
        let e = parse_row(&["张伟", "杭州市西湖区\n文三路 90 号"], 2, &m).expect_err("one address");
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn every_problem_speaks_both_languages() {
        let kinds = [
            ProblemKind::Ragged {
                expected: 3,
                got: 2,
            },
            ProblemKind::ScientificNotation,
            ProblemKind::Formula,
            ProblemKind::CellError("#N/A".into()),
            ProblemKind::Invalid(Reason::InvalidPhone),
            ProblemKind::LineTooLong { max: 1 << 20 },
            ProblemKind::BirthdayWithoutYear("--0312".into()),
            ProblemKind::NotUnderstood("around 1980".into()),
            ProblemKind::AddressesLeftOut(vec!["Shelbyville".into()]),
            ProblemKind::UnknownCharset("x-mac-chinese".into()),
            ProblemKind::Stopped(crate::source::FileError::RowTooLong { max: 1 << 20 }),
            ProblemKind::NotForKind(ImportKind::Orders),
            ProblemKind::UnknownWord {
                value: "maybe".into(),
                zh: &["已付款"],
                en: &["paid"],
            },
            ProblemKind::NotADuration,
        ];
        let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for k in kinds {
            let p = Problem::row(k);
            let (zh, en) = (p.message(Lang::ZhCn), p.message(Lang::En));
            assert!(han(&zh), "{zh}");
            assert!(!han(&en), "{en}");
        }
    }

    #[test]
    fn a_company_row_without_a_name_column() {
        let m = mapping(&[Some(Field::Company), Some(Field::Phone)]);
        let r = parse_row(&["深圳宏达贸易有限公司", "0755-8888 6666"], 2, &m).expect("company");
        assert_eq!(r.name, "深圳宏达贸易有限公司");
        assert_eq!(r.contacts[0].kind, ContactKind::Landline);
    }

    #[test]
    fn dates_in_several_formats() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        for s in [
            "2024-01-05",
            "2024/1/5",
            "2024.1.5",
            "2024年1月5日",
            "20240105",
            "45296",
        ] {
            assert_eq!(parse_date(s, DateOrder::YearMonthDay), d(2024, 1, 5), "{s}");
        }
        assert_eq!(
            parse_date("5/1/2024", DateOrder::DayMonthYear),
            d(2024, 1, 5)
        );
        assert_eq!(
            parse_date("1/5/2024", DateOrder::MonthDayYear),
            d(2024, 1, 5)
        );
        for bad in ["2024-13-01", "yesterday", "5/1/24", "", "2024-1"] {
            assert_eq!(parse_date(bad, DateOrder::DayMonthYear), None, "{bad}");
        }
    }

    #[test]
    fn every_field_has_a_label_in_both_languages() {
        let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        let mut zh = std::collections::HashSet::new();
        for f in Field::ALL {
            assert!(han(field_label(f, Lang::ZhCn)), "{f:?}");
            assert!(!han(field_label(f, Lang::En)), "{f:?}");
            assert!(
                zh.insert(field_label(f, Lang::ZhCn)),
                "two fields called the same"
            );
        }
        assert_eq!(field_label(Field::OrderNo, Lang::ZhCn), "订单号");
        assert_eq!(field_label(Field::Source, Lang::ZhCn), "线索来源");
        assert_eq!(field_label(Field::Channel, Lang::En), "channel");
    }

    #[test]
    fn misplaced_fields_and_kinds_speak_plainly() {
        let p = Problem::at(Field::Birthday, ProblemKind::NotForKind(ImportKind::Orders));
        assert_eq!(
            p.message(Lang::ZhCn),
            "生日：导入订单时没有这一项，请把这一列改为“不导入”"
        );
        assert_eq!(
            p.message(Lang::En),
            "birthday: files of orders have no such field; set the column to “Leave out”"
        );
        assert_eq!(
            Problem::at(Field::Duration, ProblemKind::NotADuration).message(Lang::ZhCn),
            "时长：格式无法识别，请写成秒数（如 95）、1:35、00:01:35 或 1分35秒"
        );
        let row = Problem::row(ProblemKind::NotForKind(ImportKind::Customers));
        assert_eq!(row.message(Lang::ZhCn), "这一行不能按客户读取");
        let w = Problem::at(
            Field::Status,
            ProblemKind::UnknownWord {
                value: "待评价".into(),
                zh: &["已付款", "已发货"],
                en: &["paid", "shipped"],
            },
        );
        assert_eq!(
            w.message(Lang::ZhCn),
            "状态：无法识别“待评价”，可以填写：已付款、已发货"
        );
        assert_eq!(
            w.message(Lang::En),
            "status: “待评价” is not understood; use one of: paid, shipped"
        );
    }

    #[test]
    fn a_customer_row_refuses_fields_of_other_kinds() {
        let m = mapping(&[Some(Field::Name), Some(Field::Amount), Some(Field::Date)]);
        let e = parse_row(&["张伟", "88", "=NOW()"], 3, &m).expect_err("not a customer's");
        assert_eq!(
            e,
            [
                Problem::at(
                    Field::Amount,
                    ProblemKind::NotForKind(ImportKind::Customers)
                ),
                Problem::at(Field::Date, ProblemKind::NotForKind(ImportKind::Customers)),
            ]
        );
        let ok = parse_row(&["张伟", "", " "], 3, &m).expect("empty cells lose nothing");
        assert_eq!(ok.name, "张伟");
    }

    #[test]
    fn dates_with_times() {
        let at = |y, mo, d, h, mi, s| {
            NaiveDate::from_ymd_opt(y, mo, d).and_then(|d| d.and_hms_opt(h, mi, s))
        };
        let ymd = DateOrder::YearMonthDay;
        for (text, want) in [
            ("2024-01-05", at(2024, 1, 5, 0, 0, 0)),
            ("2024年1月5日", at(2024, 1, 5, 0, 0, 0)),
            ("45296", at(2024, 1, 5, 0, 0, 0)),
            ("2024-01-05 14:30", at(2024, 1, 5, 14, 30, 0)),
            ("2024/1/5 14:30:15", at(2024, 1, 5, 14, 30, 15)),
            ("2024-01-05T14:30:00", at(2024, 1, 5, 14, 30, 0)),
            ("2024年1月5日 14:30", at(2024, 1, 5, 14, 30, 0)),
            ("2024年1月5日14:30", at(2024, 1, 5, 14, 30, 0)),
            ("2024年1月5日 14时30分", at(2024, 1, 5, 14, 30, 0)),
            ("2024-01-05 9:05", at(2024, 1, 5, 9, 5, 0)),
            ("2024-01-05 14:30:15.250", at(2024, 1, 5, 14, 30, 15)),
            ("2024-01-05 下午 2:30", at(2024, 1, 5, 14, 30, 0)),
            ("2024-01-05 上午 12:10", at(2024, 1, 5, 0, 10, 0)),
            ("2024-01-05 2:30 PM", at(2024, 1, 5, 14, 30, 0)),
            ("2024-01-05 12:00 pm", at(2024, 1, 5, 12, 0, 0)),
            ("  2024-01-05   14:30  ", at(2024, 1, 5, 14, 30, 0)),
            ("45296.5", at(2024, 1, 5, 12, 0, 0)),
            ("45296.25", at(2024, 1, 5, 6, 0, 0)),
            ("45296.604166666664", at(2024, 1, 5, 14, 30, 0)),
            ("45296.99999999", at(2024, 1, 6, 0, 0, 0)),
        ] {
            assert_eq!(parse_datetime(text, ymd), want, "{text}");
        }
        assert_eq!(
            parse_datetime("5/1/2024 08:15", DateOrder::DayMonthYear),
            at(2024, 1, 5, 8, 15, 0)
        );
        assert_eq!(
            parse_datetime("1/5/2024 08:15", DateOrder::MonthDayYear),
            at(2024, 1, 5, 8, 15, 0)
        );
        for bad in [
            "",
            "yesterday",
            "2024-01-05 25:00",
            "2024-01-05 14:60",
            "2024-01-05 14",
            "2024-01-05 14:30:15:00",
            "2024-01-05T14:30:00Z",
            "2024-01-05T14:30:00+08:00",
            "2024-01-05 14:30 tomorrow",
            "2024-02-30 10:00",
            "2024-01-05 13:00 PM",
            "45296.",
            "45296.5.5",
            "4529.5",
            "14:30",
        ] {
            assert_eq!(parse_datetime(bad, ymd), None, "{bad}");
        }
    }

    proptest! {
        /// Any date and time written in any of the supported ways reads back as itself (to
        /// the minute or the second, as written).
        #[test]
        fn datetimes_round_trip(days in 0i64..80_000, second in 0u32..86_400) {
            let date = NaiveDate::from_ymd_opt(1900, 1, 1).expect("date") + chrono::Duration::days(days);
            let time = NaiveTime::from_num_seconds_from_midnight_opt(second, 0).expect("time");
            let at = date.and_time(time);
            for (text, order) in [
                (at.format("%Y-%m-%d %H:%M:%S").to_string(), DateOrder::YearMonthDay),
                (at.format("%Y-%m-%dT%H:%M:%S").to_string(), DateOrder::YearMonthDay),
                (at.format("%Y/%-m/%-d %-H:%M:%S").to_string(), DateOrder::YearMonthDay),
                (at.format("%Y年%-m月%-d日 %H:%M:%S").to_string(), DateOrder::YearMonthDay),
                (at.format("%-d/%-m/%Y %H:%M:%S").to_string(), DateOrder::DayMonthYear),
                (at.format("%-m/%-d/%Y %I:%M:%S %p").to_string(), DateOrder::MonthDayYear),
            ] {
                prop_assert_eq!(parse_datetime(&text, order), Some(at), "{}", text);
            }
            let minute = at.format("%Y-%m-%d %H:%M").to_string();
            prop_assert_eq!(
                parse_datetime(&minute, DateOrder::YearMonthDay).map(|t| t.format("%H:%M").to_string()),
                Some(at.format("%H:%M").to_string())
            );
        }

        /// Excel serial date-times read to the nearest second.
        #[test]
        fn excel_serials_round_trip(day in 1i64..99_999, second in 0u32..86_400) {
            let serial = format!("{day:05}.{:015}", u128::from(second) * 1_000_000_000_000_000 / 86_400);
            let date = NaiveDate::from_ymd_opt(1899, 12, 30).expect("date") + chrono::Duration::days(day);
            let want = date.and_time(NaiveTime::MIN) + chrono::Duration::seconds(i64::from(second));
            prop_assert_eq!(parse_datetime(&serial, DateOrder::YearMonthDay), Some(want), "{}", serial);
        }

        /// No input makes the date-time parser panic.
        #[test]
        fn datetimes_never_panic(text in ".{0,40}") {
            let _ = parse_datetime(&text, DateOrder::DayMonthYear);
        }
    }

    proptest! {
        /// Any date written in any of the supported ways reads back as itself.
        #[test]
        fn dates_round_trip(days in 0i64..80_000) {
            let date = NaiveDate::from_ymd_opt(1900, 1, 1).expect("date") + chrono::Duration::days(days);
            for (text, order) in [
                (date.format("%Y-%m-%d").to_string(), DateOrder::YearMonthDay),
                (date.format("%Y/%-m/%-d").to_string(), DateOrder::YearMonthDay),
                (date.format("%Y年%-m月%-d日").to_string(), DateOrder::YearMonthDay),
                (date.format("%-d/%-m/%Y").to_string(), DateOrder::DayMonthYear),
                (date.format("%-m/%-d/%Y").to_string(), DateOrder::MonthDayYear),
            ] {
                prop_assert_eq!(parse_date(&text, order), Some(date), "{}", text);
            }
        }

        /// No input makes the row parser panic.
        #[test]
        fn rows_never_panic(cells in proptest::collection::vec(".{0,40}", 0..6)) {
            let m = mapping(&[Some(Field::Name), Some(Field::Mobile), Some(Field::Email), Some(Field::Birthday), Some(Field::Tags)]);
            let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
            let _ = parse_row(&refs, 5, &m);
        }
    }
}
