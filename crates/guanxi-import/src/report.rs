//! The dry run: what an import of a file would do, row by row, before anything is written.

use crate::decode::{decode, sniff_delimiter};
use crate::mapping::Mapping;
use crate::row::{parse_row, ImportRow, Problem};
use std::collections::HashMap;

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
    /// The line of the file where the row starts (the header is line 1).
    pub line: u64,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub encoding: &'static str,
    /// Some bytes did not fit the encoding (shown as U+FFFD).
    pub malformed: bool,
    pub delimiter: u8,
    pub headers: Vec<String>,
    pub mapping: Mapping,
    pub rows: Vec<RowReport>,
}

impl Report {
    /// (to create, same as an earlier row, rejected, skipped).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut c = (0, 0, 0, 0);
        for r in &self.rows {
            match r.outcome {
                Outcome::Create(_) => c.0 += 1,
                Outcome::SameAs { .. } => c.1 += 1,
                Outcome::Rejected(_) => c.2 += 1,
                Outcome::Skipped => c.3 += 1,
            }
        }
        c
    }
}

/// Read a whole file: decode it, find its delimiter, map its columns (the given mapping, or
/// the one suggested by its header) and check every row. Rows that share a phone, e-mail or
/// WeChat id with an earlier row are reported as the same customer.
pub fn dry_run(bytes: &[u8], mapping: Option<Mapping>) -> Report {
    let decoded = decode(bytes);
    let delimiter = sniff_delimiter(&decoded.text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(decoded.text.as_bytes());
    let mut header = csv::StringRecord::new();
    let headers: Vec<String> = match reader.read_record(&mut header) {
        Ok(true) => header.iter().map(|s| s.trim().to_owned()).collect(),
        _ => Vec::new(),
    };
    let mapping = mapping.unwrap_or_else(|| Mapping::suggest(&headers));
    // The line where a record starts, from its byte offset (newlines inside quotes count).
    let text = decoded.text.as_str();
    // The line where a record starts, counted forward from the previous one (newlines inside
    // quotes count). The reader's position may still stand before the previous record's line
    // end, so line ends at the position are skipped first.
    let bytes = text.as_bytes();
    let mut counted = (0usize, 1u64); // (offset, line at that offset)
    let mut line_at = |byte: u64| -> u64 {
        let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while end < bytes.len() && matches!(bytes[end], b'\r' | b'\n') {
            end += 1;
        }
        if end >= counted.0 {
            let more = bytes[counted.0..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            counted = (end, counted.1 + more);
        }
        counted.1
    };
    let mut rows = Vec::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    loop {
        let start = line_at(reader.position().byte());
        let mut record = csv::StringRecord::new();
        let rec = match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => Ok(record),
            Err(e) => Err(e),
        };
        let (line, outcome) = match rec {
            Err(e) => {
                let line = start;
                (
                    line,
                    Outcome::Rejected(vec![Problem {
                        field: None,
                        kind: crate::row::ProblemKind::Invalid(guanxi_core::Reason::Malformed {
                            detail: e.to_string(),
                        }),
                    }]),
                )
            }
            Ok(r) => {
                let line = start;
                let cells: Vec<&str> = r.iter().collect();
                if cells.iter().all(|c| c.trim().is_empty()) {
                    (line, Outcome::Skipped)
                } else {
                    match parse_row(&cells, headers.len(), &mapping) {
                        Err(p) => (line, Outcome::Rejected(p)),
                        Ok(row) => {
                            let earlier = row.contacts.iter().find_map(|c| {
                                first_line_of.get(&c.key).map(|l| (*l, c.key.clone()))
                            });
                            match earlier {
                                Some((first, key)) => (
                                    line,
                                    Outcome::SameAs {
                                        line: first,
                                        key,
                                        row,
                                    },
                                ),
                                None => {
                                    for c in &row.contacts {
                                        if c.kind != guanxi_core::contact::ContactKind::Address {
                                            first_line_of.insert(c.key.clone(), line);
                                        }
                                    }
                                    (line, Outcome::Create(row))
                                }
                            }
                        }
                    }
                }
            }
        };
        rows.push(RowReport { line, outcome });
    }
    Report {
        encoding: decoded.encoding,
        malformed: decoded.malformed,
        delimiter,
        headers,
        mapping,
        rows,
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

    #[test]
    fn an_empty_file() {
        let r = dry_run(b"", None);
        assert!(r.headers.is_empty() && r.rows.is_empty());
        let r = dry_run("姓名,手机\n".as_bytes(), None);
        assert_eq!(r.rows.len(), 0);
    }
}
