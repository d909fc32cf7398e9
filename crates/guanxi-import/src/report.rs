//! Checking rows: what an import of a file would do, row by row, before anything is written.
//! [`Checker`] checks one [`Record`] at a time in bounded memory; [`Tally`] counts outcomes
//! without keeping rows; [`Report`] and [`dry_run`] keep every row, for small files and tests.

use crate::mapping::Mapping;
use crate::row::{parse_row, ImportRow, Problem};
use crate::source::{FileError, Format, Record, Source};
use guanxi_core::contact::ContactKind;
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

/// Checks rows one at a time, as [`dry_run`] does, remembering of the rows before only the
/// 64-bit hash of each phone, e-mail and WeChat key and the line that had it first
/// (about 20 bytes a key, whatever the keys are): a row with a key seen before is
/// [`Outcome::SameAs`] that line. Two different keys sharing a hash (odds about 1 in 10^8
/// for a file of a million keys; the hash is keyed at random per checker, so no file can aim
/// for it) would wrongly merge two rows.
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
                let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
                match parse_row(&refs, self.width, &self.mapping) {
                    Err(p) => Outcome::Rejected(p),
                    Ok(row) => self.place(line, row),
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
            Outcome::Create(_) => self.create += 1,
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
    /// Read all of a source: map its columns (the given mapping, or the one suggested by its
    /// header) and check every row, keeping them all.
    pub fn from_source(mut source: Source, mapping: Option<Mapping>) -> Report {
        let mapping = mapping.unwrap_or_else(|| source.suggested_mapping());
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

    /// (to create, same as an earlier row, rejected, skipped).
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
/// (the given mapping, or the one suggested by its header) and check every row. Rows that
/// share a phone, e-mail or WeChat id with an earlier row are reported as the same customer.
/// A file that cannot be read gives a report without rows and with its `file_error`. For
/// large files, read a [`Source`] through a [`Checker`] instead.
pub fn dry_run(bytes: &[u8], mapping: Option<Mapping>) -> Report {
    match Source::from_bytes(bytes.to_vec()) {
        Ok(source) => Report::from_source(source, mapping),
        Err(e) => Report {
            format: Format::Csv,
            encoding: encoding_rs::UTF_8.name(),
            malformed: false,
            delimiter: b',',
            headers: Vec::new(),
            mapping: mapping.unwrap_or_default(),
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
}
