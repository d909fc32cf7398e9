//! Checking rows: what an import of a file would do, row by row, before anything is written.
//! [`Checker`] checks one [`Record`] at a time in bounded memory; [`Tally`] counts outcomes
//! without keeping rows; [`Report`] and [`dry_run`] keep every row, for small files and tests.
//! A file holds customers, leads, orders or interactions: the mapping's kind says which.

use crate::mapping::Mapping;
use crate::records::{parse_record, RecordRow};
use crate::row::{parse_row, ImportRow, Problem};
use crate::source::{FileError, Format, Record, Source};
use guanxi_core::contact::ContactKind;
use guanxi_core::ImportKind;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

/// What would happen to one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A customer to create (or to match with an existing one: the store decides).
    Create(ImportRow),
    /// The same phone, e-mail or WeChat id as an earlier row of the file: merged into it.
    SameAs {
        line: u64,
        key: String,
        row: ImportRow,
    },
    /// A lead, order or interaction to create (files of those kinds; the store finds the
    /// customer an order or interaction belongs to).
    Record(RecordRow),
    /// Refused, with every reason.
    Rejected(Vec<Problem>),
    /// An empty row.
    Skipped,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowReport {
    /// The line of the file where the row starts (the header is line 1; see
    /// [`Record::line`] for .xlsx and vCards).
    pub line: u64,
    pub outcome: Outcome,
    /// Remarks that did not refuse the row (what a vCard left out, …).
    pub notes: Vec<Problem>,
}

/// A key hash is already a hash: the map uses it as it is.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; this keeps the trait whole.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Checks rows one at a time, as [`dry_run`] does, as the mapping's kind reads them. For
/// customers, it remembers of the rows before only the
/// 64-bit hash of each phone, e-mail and WeChat key and the line that had it first
/// (about 20 bytes a key, whatever the keys are): a row with a key seen before is
/// [`Outcome::SameAs`] that line. Two different keys sharing a hash (odds about 1 in 10^8
/// for a file of a million keys; the hash is keyed at random per checker, so no file can aim
/// for it) would wrongly merge two rows. Leads, orders and interactions are each a record of
/// their own, and nothing is remembered.
pub struct Checker {
    mapping: Mapping,
    width: usize,
    first_line: HashMap<u64, u64, BuildHasherDefault<KeyHasher>>,
    hasher: RandomState,
}

impl Checker {
    /// A checker for rows as wide as the mapping.
    pub fn new(mapping: Mapping) -> Self {
        let width = mapping.columns.len();
        Self::with_width(mapping, width)
    }

    /// A checker for rows of `width` cells (the header's; rows of another width are ragged).
    pub fn with_width(mapping: Mapping, width: usize) -> Self {
        Self {
            mapping,
            width,
            first_line: HashMap::default(),
            hasher: RandomState::new(),
        }
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// How many distinct keys the checker remembers.
    pub fn keys(&self) -> usize {
        self.first_line.len()
    }

    pub fn check(&mut self, record: Record) -> RowReport {
        let Record { line, cells, notes } = record;
        let outcome = match cells {
            Err(p) => Outcome::Rejected(vec![p]),
            Ok(cells) if cells.iter().all(|c| c.trim().is_empty()) => Outcome::Skipped,
            Ok(cells) => {
                let refs: Vec<&str> = cells.iter().map(|c| crate::export::unguard(c)).collect();
                match self.mapping.kind {
                    ImportKind::Customers => match parse_row(&refs, self.width, &self.mapping) {
                        Err(p) => Outcome::Rejected(p),
                        Ok(row) => self.place(line, row),
                    },
                    kind => match parse_record(kind, &refs, self.width, &self.mapping) {
                        Err(p) => Outcome::Rejected(p),
                        Ok(record) => Outcome::Record(record),
                    },
                }
            }
        };
        RowReport {
            line,
            outcome,
            notes,
        }
    }

    fn place(&mut self, line: u64, row: ImportRow) -> Outcome {
        let keys = || {
            row.contacts
                .iter()
                .filter(|c| c.kind != ContactKind::Address)
        };
        let earlier = keys().find_map(|c| {
            self.first_line
                .get(&self.hasher.hash_one(&c.key))
                .map(|first| (*first, c.key.clone()))
        });
        match earlier {
            Some((first, key)) => Outcome::SameAs {
                line: first,
                key,
                row,
            },
            None => {
                for c in keys() {
                    let h = self.hasher.hash_one(&c.key);
                    self.first_line.entry(h).or_insert(line);
                }
                Outcome::Create(row)
            }
        }
    }
}

/// Counts of outcomes, kept as rows go by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Customers, leads, orders or interactions to create.
    pub create: u64,
    pub same: u64,
    pub rejected: u64,
    pub skipped: u64,
    /// Rows (of any outcome) with notes.
    pub noted: u64,
}

impl Tally {
    pub fn add(&mut self, r: &RowReport) {
        match r.outcome {
            Outcome::Create(_) | Outcome::Record(_) => self.create += 1,
            Outcome::SameAs { .. } => self.same += 1,
            Outcome::Rejected(_) => self.rejected += 1,
            Outcome::Skipped => self.skipped += 1,
        }
        self.noted += u64::from(!r.notes.is_empty());
    }

    /// All rows counted.
    pub fn rows(&self) -> u64 {
        self.create + self.same + self.rejected + self.skipped
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub format: Format,
    pub encoding: &'static str,
    /// Some bytes did not fit the encoding (shown as U+FFFD).
    pub malformed: bool,
    /// The CSV delimiter (`,` for .xlsx and vCards).
    pub delimiter: u8,
    pub headers: Vec<String>,
    pub mapping: Mapping,
    pub rows: Vec<RowReport>,
    /// Why the file could not be read at all (then there are no rows), or past the last
    /// row (whose problem says so too).
    pub file_error: Option<FileError>,
}

impl Report {
    /// Read all of a source of customers: map its columns (the given mapping, or the one
    /// suggested by its header) and check every row, keeping them all.
    pub fn from_source(source: Source, mapping: Option<Mapping>) -> Report {
        Report::from_source_for(ImportKind::Customers, source, mapping)
    }

    /// [`Report::from_source`] for a file of `kind`: without a mapping, the one suggested by
    /// the header for that kind; a mapping given is used as it is (with its own kind).
    pub fn from_source_for(
        kind: ImportKind,
        mut source: Source,
        mapping: Option<Mapping>,
    ) -> Report {
        let mapping = mapping.unwrap_or_else(|| source.suggested_mapping_for(kind));
        let mut checker = Checker::with_width(mapping, source.headers().len());
        let rows: Vec<RowReport> = source.by_ref().map(|r| checker.check(r)).collect();
        Report {
            format: source.format(),
            encoding: source.encoding(),
            malformed: source.malformed(),
            delimiter: source.delimiter().unwrap_or(b','),
            headers: source.headers().to_vec(),
            mapping: checker.mapping,
            rows,
            file_error: source.stopped().cloned(),
        }
    }

    /// (to create (customers or records), same as an earlier row, rejected, skipped).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let t = self.tally();
        let n = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        (n(t.create), n(t.same), n(t.rejected), n(t.skipped))
    }

    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        self.rows.iter().for_each(|r| t.add(r));
        t
    }
}

/// Read a whole file in memory: find its format, encoding and delimiter, map its columns
/// (the given mapping, with its own kind, or the one suggested by its header for customers)
/// and check every row. Rows that share a phone, e-mail or WeChat id with an earlier row are
/// reported as the same customer.
/// A file that cannot be read gives a report without rows and with its `file_error`. For
/// large files, read a [`Source`] through a [`Checker`] instead.
pub fn dry_run(bytes: &[u8], mapping: Option<Mapping>) -> Report {
    dry_run_for(ImportKind::Customers, bytes, mapping)
}

/// [`dry_run`] for a file of `kind`: without a mapping, the one its header suggests for that
/// kind; a mapping given is used as it is (with its own kind). Leads, orders and
/// interactions are [`Outcome::Record`]s, never the same as another row.
pub fn dry_run_for(kind: ImportKind, bytes: &[u8], mapping: Option<Mapping>) -> Report {
    match Source::from_bytes(bytes.to_vec()) {
        Ok(source) => Report::from_source_for(kind, source, mapping),
        Err(e) => Report {
            format: Format::Csv,
            encoding: encoding_rs::UTF_8.name(),
            malformed: false,
            delimiter: b',',
            headers: Vec::new(),
            mapping: mapping.unwrap_or_else(|| Mapping {
                kind,
                ..Mapping::default()
            }),
            rows: Vec::new(),
            file_error: Some(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::Field;

    #[test]
    fn a_gbk_export_with_chinese_headers() {
        let csv = "姓名,手机,邮箱,公司,备注\r\n\
                   张伟,13800138000,zhang.wei@example.cn,杭州华信科技有限公司,\"老客户，\r\n每年续约\"\r\n\
                   王芳,1.38001E+10,wangfang@example.cn,,\r\n\
                   ,,,,\r\n\
                   张伟（重复）,138 0013 8000,,,\r\n\
                   李娜,13912345678\r\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(csv);
        let r = dry_run(&gbk, None);
        assert_eq!(r.encoding, "gb18030");
        assert_eq!(r.delimiter, b',');
        assert_eq!(
            r.mapping.columns[..3],
            [Some(Field::Name), Some(Field::Mobile), Some(Field::Email)]
        );
        assert_eq!(r.rows.len(), 5);
        match &r.rows[0].outcome {
            Outcome::Create(row) => {
                assert_eq!(row.name, "张伟");
                assert_eq!(
                    row.note.as_deref(),
                    Some("老客户，\n每年续约"),
                    "a quoted newline stays in its cell"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(r.rows[0].line, 2);
        assert!(matches!(&r.rows[1].outcome, Outcome::Rejected(p) if p.len() == 1));
        assert_eq!(r.rows[2].outcome, Outcome::Skipped);
        assert!(matches!(
            &r.rows[3].outcome,
            Outcome::SameAs { line: 2, key, row } if key == "+8613800138000" && row.name == "张伟（重复）"
        ));
        assert!(
            matches!(&r.rows[4].outcome, Outcome::Rejected(p) if matches!(p[0].kind, crate::row::ProblemKind::Ragged { .. }))
        );
        assert_eq!(r.counts(), (1, 1, 2, 1));
    }

    fn record(line: u64, cells: &[&str]) -> Record {
        Record {
            line,
            cells: Ok(cells.iter().map(|c| c.to_string()).collect()),
            notes: Vec::new(),
        }
    }

    #[test]
    fn the_checker_remembers_keys_not_rows() {
        let m = Mapping {
            columns: vec![
                Some(Field::Name),
                Some(Field::Mobile),
                Some(Field::Email),
                Some(Field::Address),
            ],
            dates: Default::default(),
            kind: ImportKind::Customers,
            custom: Vec::new(),
        };
        let mut c = Checker::new(m);
        let mut tally = Tally::default();
        let rows = [
            record(
                2,
                &[
                    "张伟",
                    "13800138000",
                    "zhang@example.cn",
                    "杭州市文三路 90 号",
                ],
            ),
            record(3, &["王芳", "", "Zhang@Example.CN", ""]),
            record(4, &["李娜", "+86 138-0013-8000", "", ""]),
            record(5, &["赵强", "13900139000", "", "杭州市文三路 90 号"]),
            record(6, &["", "", "", ""]),
            record(7, &["孙丽", "12345", "", ""]),
            Record {
                line: 8,
                cells: Err(Problem::row(crate::row::ProblemKind::Formula)),
                notes: vec![Problem::row(crate::row::ProblemKind::Formula)],
            },
        ];
        let outcomes: Vec<RowReport> = rows.into_iter().map(|r| c.check(r)).collect();
        outcomes.iter().for_each(|r| tally.add(r));
        assert!(matches!(&outcomes[0].outcome, Outcome::Create(_)));
        assert!(
            matches!(&outcomes[1].outcome, Outcome::SameAs { line: 2, key, .. } if key == "zhang@example.cn")
        );
        assert!(
            matches!(&outcomes[2].outcome, Outcome::SameAs { line: 2, key, .. } if key == "+8613800138000")
        );
        assert!(
            matches!(&outcomes[3].outcome, Outcome::Create(_)),
            "the same address is not the same customer"
        );
        assert_eq!(outcomes[4].outcome, Outcome::Skipped);
        assert!(matches!(&outcomes[5].outcome, Outcome::Rejected(_)));
        assert_eq!(outcomes[6].line, 8);
        assert_eq!(outcomes[6].notes.len(), 1);
        assert_eq!(
            tally,
            Tally {
                create: 2,
                same: 2,
                rejected: 2,
                skipped: 1,
                noted: 1
            }
        );
        assert_eq!(tally.rows(), 7);
        assert_eq!(
            c.keys(),
            3,
            "two phones and one e-mail; no addresses, no rows"
        );
    }

    #[test]
    fn a_file_that_cannot_be_read_says_why() {
        let r = dry_run(b"\x00\x01\x02\x03binary\x00\x00\xff", None);
        assert_eq!(r.file_error, Some(FileError::NotText));
        assert!(r.rows.is_empty());
        let mut bytes = b"name,phone\nok,13800138000\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'z', 3 << 20));
        let r = dry_run(&bytes, None);
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.file_error, Some(FileError::LineTooLong { max: 1 << 20 }));
        assert!(
            matches!(&r.rows[1].outcome, Outcome::Rejected(p) if p[0].kind == crate::row::ProblemKind::Stopped(FileError::LineTooLong { max: 1 << 20 }))
        );
    }

    #[test]
    fn an_empty_file() {
        let r = dry_run(b"", None);
        assert!(r.headers.is_empty() && r.rows.is_empty());
        assert_eq!(r.file_error, Some(FileError::Empty));
        let r = dry_run("姓名,手机\n".as_bytes(), None);
        assert_eq!(r.rows.len(), 0);
    }
    fn gbk(text: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(text).0.into_owned()
    }

    fn created(r: &RowReport) -> &RecordRow {
        match &r.outcome {
            Outcome::Record(record) => record,
            other => panic!("line {}: {other:?}", r.line),
        }
    }

    fn problems(r: &RowReport) -> &[Problem] {
        match &r.outcome {
            Outcome::Rejected(p) => p,
            other => panic!("line {}: {other:?}", r.line),
        }
    }

    #[test]
    fn a_gbk_shop_export_of_orders() {
        use crate::row::ProblemKind;
        use guanxi_core::order::OrderStatus;
        use guanxi_core::Reason;
        let csv = "订单编号,买家会员名,收货人姓名,联系手机,订单创建时间,实付金额,订单状态,宝贝标题,宝贝数量\r\n\
                   3712987640123456789,tb_liuyang,刘洋,13980001234,2024-03-08 21:15:40,\"1,299.00\",交易成功,九阳破壁机,1\r\n\
                   3712987640123456790,tb_liuyang,刘洋,13980001234,2024-03-09 08:00:00,￥59.90,\"买家已付款，等待卖家发货\",滤网,2\r\n\
                   ,,,,,,,,\r\n\
                   3.71299E+18,tb_wf,王芳,1.38001E+10,昨天,约100,待评价,杯子,0\r\n\
                   3712987640123456791,tb_zq,,,2024-03-10,-12.00,已退款\r\n\
                   3712987640123456792,tb_zq,,,2024-03-10,-12.00,已退款,退款,1\r\n";
        let r = dry_run_for(ImportKind::Orders, &gbk(csv), None);
        assert_eq!(r.encoding, "gb18030");
        assert_eq!(r.mapping.kind, ImportKind::Orders);
        assert_eq!(r.mapping.column_of(Field::Name), Some(2));
        assert_eq!(r.rows.len(), 6);
        let RecordRow::Order(o) = created(&r.rows[0]) else {
            panic!("{:?}", r.rows[0])
        };
        assert_eq!(o.order_no.as_deref(), Some("3712987640123456789"));
        assert_eq!(o.customer.name.as_deref(), Some("刘洋"));
        assert_eq!(o.amount, "1299.00");
        assert_eq!(o.status, Some(OrderStatus::Completed));
        let RecordRow::Order(o) = created(&r.rows[1]) else {
            panic!("{:?}", r.rows[1])
        };
        assert_eq!(
            (o.amount.as_str(), o.currency, o.status, o.quantity),
            (
                "59.90",
                Some(guanxi_core::Currency::CNY),
                Some(OrderStatus::Paid),
                2
            ),
            "the same buyer again is another order, not the same as line 2"
        );
        assert_eq!(r.rows[2].outcome, Outcome::Skipped);
        let bad = problems(&r.rows[3]);
        let fields: Vec<Option<Field>> = bad.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                Some(Field::OrderNo),
                Some(Field::Mobile),
                Some(Field::Date),
                Some(Field::Amount),
                Some(Field::Status),
                Some(Field::Quantity),
            ]
        );
        assert_eq!(bad[0].kind, ProblemKind::ScientificNotation);
        assert_eq!(bad[2].kind, ProblemKind::Invalid(Reason::NotADate));
        assert!(matches!(
            problems(&r.rows[4])[0].kind,
            ProblemKind::Ragged {
                expected: 9,
                got: 7
            }
        ));
        assert_eq!(
            problems(&r.rows[5]),
            [Problem {
                field: Some(Field::Name),
                kind: ProblemKind::Invalid(Reason::Required)
            }],
            "an order of nobody"
        );
        assert_eq!(r.counts(), (2, 0, 3, 1));
        assert_eq!(r.tally().rows(), 6);
    }

    #[test]
    fn a_gbk_call_centre_log() {
        use guanxi_core::interaction::{Channel, Direction};
        let csv = "客户姓名,来电号码,通话时间,呼叫类型,通话时长,备注\r\n\
                   王芳,13800138000,2024/3/8 9:12,呼入,00:03:25,咨询发票抬头怎么改\r\n\
                   王芳,13800138000,2024/3/8 15:40,呼出,1分35秒,回访：已改好\r\n\
                   李娜,010-8888 6666,2024/3/8 16:00,转接,2分钟,\r\n";
        let r = dry_run_for(ImportKind::Interactions, &gbk(csv), None);
        assert_eq!(r.mapping.misplaced(), None);
        assert_eq!(r.rows.len(), 3);
        let RecordRow::Interaction(i) = created(&r.rows[0]) else {
            panic!("{:?}", r.rows[0])
        };
        assert_eq!(i.channel, Channel::Phone);
        assert_eq!(i.direction, Direction::Inbound);
        assert_eq!(i.duration_seconds, Some(205));
        assert_eq!(i.body, "咨询发票抬头怎么改");
        assert_eq!(
            i.occurred.format("%Y-%m-%d %H:%M").to_string(),
            "2024-03-08 09:12"
        );
        let RecordRow::Interaction(i) = created(&r.rows[1]) else {
            panic!("{:?}", r.rows[1])
        };
        assert_eq!(
            (i.direction, i.duration_seconds),
            (Direction::Outbound, Some(95))
        );
        let bad = problems(&r.rows[2]);
        assert_eq!(
            bad.iter().map(|p| p.field).collect::<Vec<_>>(),
            [Some(Field::Direction), Some(Field::Content)]
        );
        assert_eq!(r.counts(), (2, 0, 1, 0));
    }

    #[test]
    fn a_gbk_list_of_leads() {
        let csv = "姓名,公司,职位,手机,邮箱,地区,线索来源,备注\r\n\
                   刘洋,成都蓉城餐饮管理有限公司,采购经理,13980001234,liu.yang@example.cn,四川成都,展会,想了解年付价格\r\n\
                   刘洋,成都蓉城餐饮管理有限公司,采购经理,13980001234,,四川成都,展会,又来问了\r\n\
                   ,无名公司,,,,,,\r\n\
                   赵强,,,=B2,#N/A,,,\r\n";
        let r = dry_run_for(ImportKind::Leads, &gbk(csv), None);
        assert_eq!(r.mapping.kind, ImportKind::Leads);
        assert_eq!(r.mapping.column_of(Field::Source), Some(6));
        let RecordRow::Lead(l) = created(&r.rows[0]) else {
            panic!("{:?}", r.rows[0])
        };
        assert_eq!(l.name, "刘洋");
        assert_eq!(l.region.as_deref(), Some("四川成都"));
        assert_eq!(l.source.as_deref(), Some("展会"));
        assert_eq!(
            l.phone.as_ref().map(|p| p.key.as_str()),
            Some("+8613980001234")
        );
        assert!(
            matches!(created(&r.rows[1]), RecordRow::Lead(l) if l.note.as_deref() == Some("又来问了")),
            "leads are matched by the store, not merged here"
        );
        assert_eq!(problems(&r.rows[2])[0].field, Some(Field::Name));
        assert_eq!(
            problems(&r.rows[3])
                .iter()
                .map(|p| p.field)
                .collect::<Vec<_>>(),
            [Some(Field::Mobile), Some(Field::Email)]
        );
        assert_eq!(r.counts(), (2, 0, 2, 0));
    }

    #[test]
    fn a_mapping_given_keeps_its_kind() {
        let csv = "日期,金额,手机\n2024-03-08,88,13800138000\n";
        // Customers read the same file without those fields.
        let r = dry_run(csv.as_bytes(), None);
        assert_eq!(r.mapping.kind, ImportKind::Customers);
        assert_eq!(r.mapping.columns, [None, None, Some(Field::Mobile)]);
        assert!(
            matches!(&r.rows[0].outcome, Outcome::Rejected(p) if p[0].field == Some(Field::Name))
        );
        let m = Mapping::suggest_for(ImportKind::Orders, &r.headers);
        let r = dry_run(csv.as_bytes(), Some(m));
        assert_eq!(r.mapping.kind, ImportKind::Orders);
        assert!(
            matches!(created(&r.rows[0]), RecordRow::Order(o) if o.amount == "88" && o.customer.name.is_none())
        );
        let r = dry_run_for(ImportKind::Leads, b"", None);
        assert_eq!(r.mapping.kind, ImportKind::Leads);
        assert_eq!(r.file_error, Some(FileError::Empty));
    }

    #[test]
    fn the_checker_counts_records_as_rows_to_create() {
        let m = Mapping {
            columns: vec![Some(Field::Mobile), Some(Field::Date), Some(Field::Amount)],
            dates: Default::default(),
            kind: ImportKind::Orders,
            custom: Vec::new(),
        };
        let mut c = Checker::new(m);
        let mut tally = Tally::default();
        for r in [
            record(2, &["13800138000", "2024-03-08", "88"]),
            record(3, &["13800138000", "2024-03-09", "99"]),
            record(4, &["", "", ""]),
            record(5, &["13800138000", "", "99"]),
        ] {
            tally.add(&c.check(r));
        }
        assert_eq!(
            tally,
            Tally {
                create: 2,
                same: 0,
                rejected: 1,
                skipped: 1,
                noted: 0
            }
        );
        assert_eq!(c.keys(), 0, "nothing is remembered of orders");
    }
}
