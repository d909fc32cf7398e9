//! One row of a file into a customer, or the reasons it cannot be one. Spreadsheets damage data
//! in known ways; each is named so that the user can fix the file: numbers Excel turned into
//! `1.38001E+10`, formulas, phone numbers stored as `13800138000.0`, dates in several orders.

use crate::mapping::{DateOrder, Field, Mapping};
use chrono::NaiveDate;
use guanxi_core::contact::{ContactKind, ContactValue};
use guanxi_core::{Lang, Reason};

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
        };
        match self.field {
            Some(f) => format!("{}: {what}", field_label(f, lang)),
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
    };
    lang.pick(zh, en)
}

/// Longest name, company, title and city; longest note.
const LINE_MAX: usize = 120;
const NOTE_MAX: usize = 4000;
const TAGS_MAX: usize = 50;

/// A phone number as Excel may have left it: `13800138000.0` is a number read as a float,
/// `1.38001E+10` a number that lost digits.
fn phone_text(raw: &str) -> Result<String, ProblemKind> {
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
fn excel_error(raw: &str) -> Option<&'static str> {
    if !raw.starts_with('#') {
        return None;
    }
    EXCEL_ERRORS
        .into_iter()
        .find(|e| e.eq_ignore_ascii_case(raw))
}

/// The values of a contact cell: one, or several one per line (as vCards and some exports
/// write several numbers or addresses of a person in one cell).
fn values(raw: &str) -> impl Iterator<Item = &str> {
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

fn text(raw: &str, max: usize, field: Field, problems: &mut Vec<Problem>) -> Option<String> {
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

/// Check one row against the mapping. `cells` is the row as read; `width` the header's number
/// of cells. A phone, e-mail or WeChat cell may hold several values, one per line (as vCards
/// and some exports give them); an address is one value. Several columns may map to the
/// same contact field, each adding its values.
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
        if raw.starts_with('=') {
            problems.push(Problem::at(*field, ProblemKind::Formula));
            continue;
        }
        if let Some(e) = excel_error(raw) {
            problems.push(Problem::at(*field, ProblemKind::CellError(e.to_owned())));
            continue;
        }
        match field {
            Field::Name => {
                row.name = text(raw, LINE_MAX, *field, &mut problems).unwrap_or_default()
            }
            Field::Company => row.company = text(raw, LINE_MAX, *field, &mut problems),
            Field::Title => row.title = text(raw, LINE_MAX, *field, &mut problems),
            Field::City => row.city = text(raw, LINE_MAX, *field, &mut problems),
            Field::Note => match guanxi_core::text::body(&raw.replace("\r\n", "\n"), NOTE_MAX) {
                Ok(n) => row.note = Some(n),
                Err(e) => problems.extend(
                    e.fields()
                        .iter()
                        .map(|f| Problem::at(Field::Note, ProblemKind::Invalid(f.reason.clone()))),
                ),
            },
            Field::Mobile | Field::Phone => {
                for raw in values(raw) {
                    match phone_text(raw) {
                        Err(k) => problems.push(Problem::at(*field, k)),
                        Ok(p) => {
                            let kinds = if *field == Field::Mobile {
                                [ContactKind::Mobile, ContactKind::Landline]
                            } else {
                                [ContactKind::Landline, ContactKind::Mobile]
                            };
                            match ContactValue::parse(kinds[0], &p)
                                .or_else(|_| ContactValue::parse(kinds[1], &p))
                            {
                                Ok(v) => row.contacts.push(v),
                                Err(_) => problems.push(Problem::at(
                                    *field,
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
                    Ok(v) => row.contacts.push(v),
                    Err(e) => problems.extend(
                        e.fields()
                            .iter()
                            .map(|f| Problem::at(*field, ProblemKind::Invalid(f.reason.clone()))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn mapping(fields: &[Option<Field>]) -> Mapping {
        Mapping {
            columns: fields.to_vec(),
            dates: DateOrder::YearMonthDay,
        }
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
            .starts_with("手机: 单元格显示 Excel 错误值 #N/A"));
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
