//! Reading a worksheet of an Excel workbook (.xlsx) with calamine, row by row: the one a
//! person named (by its name, or its place from 1), else the first visible one.
//!
//! Before calamine inflates anything, the archive's directory is checked with the zip crate:
//! a part declaring more than the limits, or compressed far more than spreadsheets are (a
//! zip bomb), is refused by its declared sizes alone, and the zip reader never inflates a
//! part past its declared size. The sheet is then read with calamine's streaming cell reader
//! (`worksheet_cells_reader`, which parses the sheet's XML as it inflates it) on a thread of
//! its own that hands rows over a small bounded channel, so the sheet is never in memory as
//! a whole. calamine does keep the shared string table in memory: the table is read once
//! before (as it inflates) to count its strings, and refused past
//! [`Limits::max_shared_strings_memory`] or when it claims more strings than it holds.
//!
//! Cells become the text a person sees: whole numbers without `.0` or an exponent
//! (`13800138000`, since phone columns are often stored as numbers), other numbers in their
//! shortest exact form (`0.1`), dates as `YYYY-MM-DD` (`YYYY-MM-DD HH:MM` with a time; a time
//! alone as `HH:MM`), booleans as `TRUE`/`FALSE`, and formulas by their computed value. An
//! error value (`#N/A`, `#VALUE!`, …) becomes its text, which the row check refuses with a
//! reason when the column is imported (an error in a column left out does not matter).
//! Number formats (percentages, leading zeros, currencies) are not applied.

use crate::source::{FileError, Input, Limits};
use crate::stream::Counting;
use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx};
use std::collections::VecDeque;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// A row of the sheet: its number (from 1) and its cells.
type Row = (u64, Vec<String>);

enum Msg {
    /// The workbook's worksheets and the one being read; sent before any row.
    Sheets(Vec<String>, String),
    Rows(Vec<Row>),
    Failed(FileError),
    /// The sheet is read. Without it, a closed channel means the reading thread died.
    End,
}

/// Rows per message, and messages waiting at most: bounds what is in flight.
const BATCH: usize = 256;
const IN_FLIGHT: usize = 4;

/// The rows after the header, as the reading thread sends them.
pub(crate) struct Rows {
    rx: Receiver<Msg>,
    ready: VecDeque<Row>,
    done: bool,
    /// The row last handed out: a failure is placed just after it.
    last: u64,
    /// The workbook's worksheets and the one read (once the reading thread said so).
    pub(crate) sheets: Vec<String>,
    pub(crate) sheet: Option<String>,
}

impl Rows {
    pub(crate) fn next(&mut self) -> Option<(u64, Result<Vec<String>, FileError>)> {
        loop {
            if let Some((line, cells)) = self.ready.pop_front() {
                self.last = line;
                return Some((line, Ok(cells)));
            }
            if self.done {
                return None;
            }
            match self.rx.recv() {
                Ok(Msg::Sheets(all, read)) => {
                    self.sheets = all;
                    self.sheet = Some(read);
                }
                Ok(Msg::Rows(rows)) => self.ready.extend(rows),
                Ok(Msg::Failed(e)) => {
                    self.done = true;
                    return Some((self.last + 1, Err(e)));
                }
                Ok(Msg::End) => self.done = true,
                Err(_) => {
                    self.done = true;
                    return Some((
                        self.last + 1,
                        Err(FileError::Xlsx {
                            detail: "the workbook reader stopped unexpectedly".into(),
                        }),
                    ));
                }
            }
        }
    }
}

/// Check the archive, start reading the worksheet `sheet` names (the first visible one
/// without), and return its header row.
pub(crate) fn open(
    mut input: Box<dyn Input>,
    read: Arc<AtomicU64>,
    limits: Limits,
    sheet: Option<String>,
) -> Result<(Vec<String>, Rows), FileError> {
    guard(&mut input, &limits)?;
    input.seek(SeekFrom::Start(0)).map_err(FileError::io)?;
    let (tx, rx) = sync_channel(IN_FLIGHT);
    std::thread::Builder::new()
        .name("guanxi-xlsx".into())
        .spawn(move || {
            let _ = tx.send(match read_sheet(input, read, limits, sheet, &tx) {
                Ok(()) => Msg::End,
                Err(e) => Msg::Failed(e),
            });
        })
        .map_err(FileError::io)?;
    let mut rows = Rows {
        rx,
        ready: VecDeque::new(),
        done: false,
        last: 0,
        sheets: Vec::new(),
        sheet: None,
    };
    match rows.next() {
        None => Err(FileError::Empty),
        Some((_, Err(e))) => Err(e),
        Some((_, Ok(mut headers))) => {
            while headers.last().is_some_and(|h| h.trim().is_empty()) {
                headers.pop();
            }
            for h in &mut headers {
                *h = h.trim().to_owned();
            }
            Ok((headers, rows))
        }
    }
}

/// The zip bomb guard: declared sizes and ratios of every part, before anything inflates.
fn guard(input: &mut Box<dyn Input>, limits: &Limits) -> Result<(), FileError> {
    let bad = |e: zip::result::ZipError| FileError::Xlsx {
        detail: e.to_string(),
    };
    check_directory_size(input, limits)?;
    input.seek(SeekFrom::Start(0)).map_err(FileError::io)?;
    let mut zip = zip::ZipArchive::new(&mut *input).map_err(bad)?;
    let (mut total, mut content_types, mut xl) = (0u64, false, false);
    let mut shared = Vec::new();
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(bad)?;
        let name = part.name().map_err(bad)?.into_owned();
        let (unpacked, packed) = (part.size(), part.compressed_size());
        content_types |= name == "[Content_Types].xml";
        xl |= name.to_ascii_lowercase().starts_with("xl/");
        if unpacked > limits.ratio_from_bytes {
            let ratio = unpacked / packed.max(1);
            if ratio > limits.max_ratio {
                return Err(FileError::Ratio {
                    part: name,
                    ratio,
                    limit: limits.max_ratio,
                });
            }
        }
        if name.to_ascii_lowercase().ends_with("sharedstrings.xml") {
            if unpacked > limits.max_shared_strings_bytes {
                return Err(FileError::TooBig {
                    part: Some(name),
                    size: unpacked,
                    limit: limits.max_shared_strings_bytes,
                });
            }
            shared.push(i);
        }
        total = total.saturating_add(unpacked);
        if total > limits.max_unpacked_bytes {
            return Err(FileError::TooBig {
                part: None,
                size: total,
                limit: limits.max_unpacked_bytes,
            });
        }
    }
    if !(content_types && xl) {
        return Err(FileError::NotXlsx);
    }
    for i in shared {
        let part = zip.by_index(i).map_err(bad)?;
        check_shared_strings(part, limits)?;
    }
    Ok(())
}

/// What one string of the shared string table takes in memory besides its text: calamine
/// keeps a `String` (24 bytes) whose text is a heap block of at least 32 bytes.
const STRING_OVERHEAD: u64 = 56;

/// calamine reads the whole shared string table into memory, and reserves room for as many
/// strings as the table says it holds (`uniqueCount`) before reading them. So before it
/// does, the table is read once as it inflates (bounded by its declared size), its strings
/// counted, and it is refused when the count it claims is a lie (a tiny file claiming a
/// billion strings would make that reservation abort the process), or when the strings
/// would take more memory than the limit.
fn check_shared_strings(mut part: impl Read, limits: &Limits) -> Result<(), FileError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut window: Vec<u8> = Vec::with_capacity(buf.len() + 3);
    let (mut strings, mut bytes) = (0u64, 0u64);
    let mut claimed: Option<u64> = None;
    let mut head: Vec<u8> = Vec::new();
    loop {
        let n = match part.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(FileError::Xlsx {
                    detail: e.to_string(),
                })
            }
        };
        bytes += n as u64;
        if head.len() < 4096 {
            head.extend_from_slice(&buf[..n.min(4096 - head.len())]);
            if claimed.is_none() {
                claimed = unique_count(&head);
            }
        }
        // `<si>`, `<si `, `<x:si>`… counted across chunk ends (the last 3 bytes carry over,
        // and a match needs 4, so none is counted twice). Counting a few too many is safe.
        let keep = window.len().saturating_sub(3);
        window.drain(..keep);
        window.extend_from_slice(&buf[..n]);
        strings += memchr::memmem::find_iter(&window, b"si")
            .filter(|&i| {
                i > 0
                    && matches!(window[i - 1], b'<' | b':')
                    && matches!(
                        window.get(i + 2),
                        Some(b'>' | b' ' | b'/' | b'\t' | b'\r' | b'\n')
                    )
            })
            .count() as u64;
    }
    if let Some(claimed) = claimed {
        if claimed > strings + 1024 {
            return Err(FileError::Xlsx {
                detail: format!(
                    "its shared string table claims {claimed} strings but holds {strings}"
                ),
            });
        }
    }
    let memory = strings.max(claimed.unwrap_or(0)) * STRING_OVERHEAD + bytes;
    if memory > limits.max_shared_strings_memory {
        return Err(FileError::SharedStrings {
            strings,
            memory,
            limit: limits.max_shared_strings_memory,
        });
    }
    Ok(())
}

/// The `uniqueCount` of `<sst …>` in the start of the table.
fn unique_count(head: &[u8]) -> Option<u64> {
    let at = memchr::memmem::find(head, b"uniqueCount=")? + b"uniqueCount=".len();
    let rest = head.get(at + 1..)?;
    let digits: Vec<u8> = rest
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    if digits.is_empty() || digits.len() == rest.len() {
        // Cut off by the end of what was read: not known yet.
        return None;
    }
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// The zip reader holds the central directory in memory: its size, from the end record,
/// is checked first. Only the record's fixed fields are read (its signature, the directory's
/// size); finding and reading the directory is the zip crate's.
fn check_directory_size(input: &mut Box<dyn Input>, limits: &Limits) -> Result<(), FileError> {
    const END: &[u8] = b"PK\x05\x06";
    let len = input.seek(SeekFrom::End(0)).map_err(FileError::io)?;
    // The end record (22 bytes) followed by a comment of at most 65,535 bytes.
    let tail_len = len.min(22 + 65_535);
    input
        .seek(SeekFrom::Start(len - tail_len))
        .map_err(FileError::io)?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    input
        .take(tail_len)
        .read_to_end(&mut tail)
        .map_err(FileError::io)?;
    let Some(at) = tail.windows(4).rposition(|w| w == END) else {
        // No end record: the zip crate says what is wrong.
        return Ok(());
    };
    let Some(size) = tail.get(at + 12..at + 16) else {
        return Ok(());
    };
    let size = u64::from(u32::from_le_bytes([size[0], size[1], size[2], size[3]]));
    // 0xFFFFFFFF means "see the Zip64 record"; a workbook that needs one is beyond the
    // total limit anyway, and the zip crate checks what it declares.
    if size != u64::from(u32::MAX) && size > limits.max_zip_directory_bytes {
        return Err(FileError::TooBig {
            part: None,
            size,
            limit: limits.max_zip_directory_bytes,
        });
    }
    Ok(())
}

/// Hands rows over to the reader: the header alone (so that opening answers at once), then
/// in batches. `false` when the reader is gone.
struct Out<'a> {
    tx: &'a SyncSender<Msg>,
    batch: Vec<Row>,
    header_sent: bool,
}

impl Out<'_> {
    fn push(&mut self, row: Row) -> bool {
        if !self.header_sent {
            self.header_sent = true;
            return self.tx.send(Msg::Rows(vec![row])).is_ok();
        }
        self.batch.push(row);
        self.batch.len() < BATCH || self.flush()
    }

    fn flush(&mut self) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let full = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.tx.send(Msg::Rows(full)).is_ok()
    }
}

/// The worksheet a person named: by its exact name, by its name with other spaces or case,
/// or by its place among the worksheets (`2`: the second).
fn choose_sheet(names: &[String], wanted: &str) -> Option<String> {
    let w = wanted.trim();
    let loose = |s: &str| s.trim().to_lowercase();
    names
        .iter()
        .find(|n| n.as_str() == wanted)
        .or_else(|| names.iter().find(|n| n.as_str() == w))
        .or_else(|| names.iter().find(|n| loose(n) == loose(w)))
        .or_else(|| {
            w.parse::<usize>()
                .ok()
                .and_then(|k| k.checked_sub(1))
                .and_then(|k| names.get(k))
        })
        .cloned()
}

fn read_sheet(
    input: Box<dyn Input>,
    read: Arc<AtomicU64>,
    limits: Limits,
    wanted: Option<String>,
    tx: &SyncSender<Msg>,
) -> Result<(), FileError> {
    let bad = |e: calamine::XlsxError| FileError::Xlsx {
        detail: e.to_string(),
    };
    let mut book: Xlsx<_> = Xlsx::new(BufReader::new(Counting::new(input, read))).map_err(bad)?;
    let sheets: Vec<(String, bool)> = book
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
        .collect();
    let names: Vec<String> = sheets.iter().map(|(n, _)| n.clone()).collect();
    let chosen = match wanted {
        Some(w) => choose_sheet(&names, &w).ok_or_else(|| FileError::NoSuchSheet {
            name: w.chars().take(100).collect(),
            sheets: names.clone(),
        })?,
        None => sheets
            .iter()
            .find(|(_, visible)| *visible)
            .or_else(|| sheets.first())
            .map(|(n, _)| n.clone())
            .ok_or(FileError::NoWorksheet)?,
    };
    if tx.send(Msg::Sheets(names, chosen.clone())).is_err() {
        return Ok(());
    }
    let mut cells = book.worksheet_cells_reader(&chosen).map_err(bad)?;
    let mut out = Out {
        tx,
        batch: Vec::with_capacity(BATCH),
        header_sent: false,
    };
    let mut current: Option<Row> = None;
    let result = loop {
        let cell = match cells.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break Ok(()),
            Err(e) => break Err(bad(e)),
        };
        let (r, c) = cell.get_position();
        if r >= limits.max_rows {
            break Err(FileError::TooManyRows {
                max: limits.max_rows,
            });
        }
        if c >= limits.max_columns {
            break Err(FileError::TooManyColumns {
                max: limits.max_columns,
            });
        }
        let text = cell_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        let line = u64::from(r) + 1;
        if current.as_ref().is_some_and(|(l, _)| *l != line) {
            if let Some(row) = current.take() {
                if !out.push(row) {
                    // The reader was dropped: stop.
                    return Ok(());
                }
            }
        }
        let row = current.get_or_insert_with(|| (line, Vec::new()));
        let c = c as usize;
        if row.1.len() <= c {
            row.1.resize(c + 1, String::new());
        }
        row.1[c] = text;
    };
    // The rows read before an error come first.
    if let Some(row) = current {
        out.push(row);
    }
    out.flush();
    result
}

/// A cell as a person sees it (see the module's documentation).
pub(crate) fn cell_text(v: &DataRef<'_>) -> String {
    match v {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::Error(e) => e.to_string(),
        DataRef::DateTime(d) if d.is_datetime() => {
            let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
            let whole_day = d.as_f64().fract() == 0.0;
            if d.as_f64() < 1.0 {
                // A time of day without a date.
                if s == 0 {
                    format!("{h:02}:{mi:02}")
                } else {
                    format!("{h:02}:{mi:02}:{s:02}")
                }
            } else if whole_day {
                format!("{y:04}-{mo:02}-{day:02}")
            } else {
                format!("{y:04}-{mo:02}-{day:02} {h:02}:{mi:02}")
            }
        }
        // A duration (`[h]:mm` formats): its number.
        DataRef::DateTime(d) => number(d.as_f64()),
        DataRef::DateTimeIso(s) => s
            .strip_suffix("T00:00:00")
            .unwrap_or(s)
            .replacen('T', " ", 1),
        DataRef::DurationIso(s) => s.clone(),
    }
}

/// A number in its shortest form that reads back as the same number, never with an
/// exponent: `13800138000`, `0.1`, `-2.5`.
fn number(f: f64) -> String {
    if f == 0.0 {
        // Also -0.
        return "0".to_owned();
    }
    // Rust's `Display` for floats is the shortest round-trip form without an exponent.
    format!("{f}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::ProblemKind;
    use crate::source::{Format, Source};
    use calamine::{CellErrorType, ExcelDateTime, ExcelDateTimeType};
    use guanxi_core::Lang;
    use rust_xlsxwriter::{Format as Style, Formula, Workbook, Worksheet, XlsxError};
    use std::io::{Cursor, Write};
    use zip::write::SimpleFileOptions;

    #[test]
    fn cells_as_people_see_them() {
        let date = |v| DataRef::DateTime(ExcelDateTime::new(v, ExcelDateTimeType::DateTime, false));
        let cases: [(DataRef<'_>, &str); 14] = [
            (DataRef::Float(13800138000.0), "13800138000"),
            (DataRef::Float(0.1), "0.1"),
            (DataRef::Float(-2.5), "-2.5"),
            (DataRef::Float(1e20), "100000000000000000000"),
            (DataRef::Float(-0.0), "0"),
            (DataRef::Int(42), "42"),
            (DataRef::Bool(true), "TRUE"),
            (DataRef::Error(CellErrorType::NA), "#N/A"),
            (date(45296.0), "2024-01-05"),
            (date(45296.75), "2024-01-05 18:00"),
            (date(0.5), "12:00"),
            (
                DataRef::DateTimeIso("2024-01-05T00:00:00".into()),
                "2024-01-05",
            ),
            (DataRef::SharedString("张伟"), "张伟"),
            (DataRef::Empty, ""),
        ];
        for (v, want) in cases {
            assert_eq!(cell_text(&v), want, "{v:?}");
        }
    }

    fn book(fill: impl FnOnce(&mut Worksheet) -> Result<(), XlsxError>) -> Vec<u8> {
        let mut b = Workbook::new();
        fill(b.add_worksheet()).expect("sheet");
        b.save_to_buffer().expect("saved")
    }

    fn rows(s: &mut Source) -> Vec<(u64, Vec<String>)> {
        s.by_ref()
            .map(|r| (r.line, r.cells.expect("cells")))
            .collect()
    }

    #[test]
    fn a_workbook_reads_as_it_shows() {
        let bytes = book(|w| {
            let date = Style::new().set_num_format("yyyy-mm-dd");
            let stamp = Style::new().set_num_format("yyyy/m/d h:mm");
            for (c, h) in ["姓名", "手机", "生日", "金额", "合计", "VIP", "备注"]
                .iter()
                .enumerate()
            {
                w.write_string(0, c as u16, *h)?;
            }
            w.write_string(1, 0, "张伟")?;
            w.write_number(1, 1, 13800138000.0)?;
            w.write_number_with_format(1, 2, 31118.0, &date)?; // 1985-03-12
            w.write_number(1, 3, 1234.5)?;
            w.write_formula(1, 4, Formula::new("=D2*2").set_result("2469"))?;
            w.write_boolean(1, 5, true)?;
            w.write_string(1, 6, "=不是公式，是文字")?;
            w.write_string(2, 0, "王芳")?;
            w.write_string(2, 1, "13912345678")?;
            w.write_number_with_format(2, 2, 45296.75, &stamp)?;
            w.write_formula(2, 4, Formula::new("=NA()").set_result("#N/A"))?;
            // Row 4 left empty; row 5 with a gap and nothing after column B.
            w.write_string(4, 0, "李娜")?;
            w.write_number(4, 1, 1.38001e10)?;
            Ok(())
        });
        let mut s = Source::from_bytes(bytes).expect("workbook");
        assert_eq!((s.format(), s.delimiter()), (Format::Xlsx, None));
        assert_eq!(
            s.headers(),
            ["姓名", "手机", "生日", "金额", "合计", "VIP", "备注"]
        );
        let got = rows(&mut s);
        let row = |v: &[&str]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert_eq!(
            got,
            [
                (
                    2,
                    row(&[
                        "张伟",
                        "13800138000",
                        "1985-03-12",
                        "1234.5",
                        "2469",
                        "TRUE",
                        "=不是公式，是文字"
                    ])
                ),
                (
                    3,
                    row(&[
                        "王芳",
                        "13912345678",
                        "2024-01-05 18:00",
                        "",
                        "#N/A",
                        "",
                        ""
                    ])
                ),
                (5, row(&["李娜", "13800100000", "", "", "", "", ""])),
            ]
        );
        // Checked like any file: the error value is refused where it is imported.
        let r = crate::dry_run(
            &book(|w| {
                w.write_string(0, 0, "姓名")?;
                w.write_string(0, 1, "手机")?;
                w.write_string(1, 0, "张伟")?;
                w.write_formula(
                    1,
                    1,
                    Formula::new("=VLOOKUP(A2,X:Y,2,0)").set_result("#N/A"),
                )?;
                Ok(())
            }),
            None,
        );
        let crate::Outcome::Rejected(p) = &r.rows[0].outcome else {
            panic!("{:?}", r.rows[0])
        };
        assert_eq!(p[0].kind, ProblemKind::CellError("#N/A".into()));
        assert!(p[0].message(Lang::ZhCn).contains("#N/A"));
    }

    #[test]
    fn a_worksheet_is_chosen_by_name_or_place_else_the_first_visible_one() {
        let mut b = Workbook::new();
        let notes = b.add_worksheet().set_name("填表说明").expect("name");
        notes
            .write_string(0, 0, "请从第二个工作表开始填写")
            .expect("cell");
        notes.set_hidden(true);
        let data = b.add_worksheet().set_name("客户").expect("name");
        // The active sheet cannot be hidden; Excel opens on this one.
        data.set_active(true);
        data.write_string(0, 0, "姓名").expect("cell");
        data.write_string(1, 0, "张伟").expect("cell");
        let old = b.add_worksheet().set_name("Old Data").expect("name");
        old.write_string(0, 0, "名字").expect("cell");
        let bytes = b.save_to_buffer().expect("workbook");
        let open = |sheet: Option<&str>| {
            Source::from_bytes_as(
                bytes.clone(),
                Limits::default(),
                crate::ReadAs {
                    sheet: sheet.map(str::to_owned),
                    ..crate::ReadAs::default()
                },
            )
        };
        // The hidden instructions are passed over.
        let s = open(None).expect("reads");
        assert_eq!(
            (s.sheet(), s.headers()),
            (Some("客户"), &["姓名".to_owned()][..])
        );
        assert_eq!(s.sheets(), ["填表说明", "客户", "Old Data"]);
        for (asked, got) in [
            ("Old Data", "Old Data"),
            (" old data ", "Old Data"),
            ("1", "填表说明"),
        ] {
            assert_eq!(
                open(Some(asked)).expect("reads").sheet(),
                Some(got),
                "{asked}"
            );
        }
        match open(Some("订单")) {
            Err(e @ FileError::NoSuchSheet { .. }) => {
                let zh = e.message(Lang::ZhCn);
                assert!(
                    zh.contains("订单") && zh.contains("填表说明、客户、Old Data"),
                    "{zh}"
                );
            }
            Err(e) => panic!("{e:?}"),
            Ok(_) => panic!("a sheet that is not there was read"),
        }
        assert!(open(Some("4")).is_err(), "there are three");
    }

    #[test]
    fn only_the_header_and_an_empty_sheet() {
        let mut s = Source::from_bytes(book(|w| {
            w.write_string(0, 0, "姓名")?;
            w.write_string(0, 1, "手机")?;
            Ok(())
        }))
        .expect("workbook");
        assert_eq!(s.headers(), ["姓名", "手机"]);
        assert!(s.next_record().is_none());
        let e = Source::from_bytes(book(|_| Ok(()))).err();
        assert_eq!(e, Some(FileError::Empty));
    }

    #[test]
    fn more_rows_than_allowed_stop_with_a_reason() {
        let bytes = book(|w| {
            for r in 0..10u32 {
                w.write_string(r, 0, format!("客户{r}"))?;
            }
            Ok(())
        });
        let limits = Limits {
            max_rows: 4,
            ..Limits::default()
        };
        let mut s = Source::from_bytes_with(bytes, limits).expect("workbook");
        let all: Vec<_> = s.by_ref().collect();
        assert_eq!(all.len(), 4, "rows 2 to 4, then the stop");
        assert_eq!(all[2].line, 4);
        assert_eq!(all[3].line, 5);
        assert_eq!(
            all[3].cells.clone().map_err(|p| p.kind),
            Err(ProblemKind::Stopped(FileError::TooManyRows { max: 4 }))
        );
        assert_eq!(s.stopped(), Some(&FileError::TooManyRows { max: 4 }));
    }

    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in parts {
            z.start_file(*name, SimpleFileOptions::default())
                .expect("part");
            z.write_all(data).expect("write");
        }
        z.finish().expect("zip").into_inner()
    }

    #[test]
    fn a_zip_bomb_is_refused_by_its_declared_sizes() {
        // 300 MB of zeros deflate to about 300 KB (1000:1).
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(9));
        z.start_file("[Content_Types].xml", opts).expect("part");
        z.write_all(b"<Types/>").expect("write");
        z.start_file("xl/worksheets/sheet1.xml", opts)
            .expect("part");
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..300 {
            z.write_all(&zeros).expect("write");
        }
        let bomb = z.finish().expect("zip").into_inner();
        assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
        let e = Source::from_bytes(bomb.clone()).err().expect("refused");
        let FileError::Ratio { part, ratio, limit } = &e else {
            panic!("{e:?}")
        };
        assert_eq!((part.as_str(), *limit), ("xl/worksheets/sheet1.xml", 200));
        assert!(*ratio > 200);
        assert!(e.message(Lang::ZhCn).contains("压缩炸弹"));
        // The total is checked too, whatever the ratios.
        let limits = Limits {
            max_ratio: u64::MAX,
            max_unpacked_bytes: 100 << 20,
            ..Limits::default()
        };
        assert_eq!(
            Source::from_bytes_with(bomb, limits).err(),
            Some(FileError::TooBig {
                part: None,
                size: (300 << 20) + 8,
                limit: 100 << 20
            })
        );
    }

    #[test]
    fn a_part_larger_than_it_declares_is_not_inflated_past_it() {
        let good = book(|w| {
            for r in 0..2000u32 {
                w.write_string(r, 0, format!("客户{r}"))?;
                w.write_number(r, 1, 13_800_000_000.0 + f64::from(r))?;
            }
            Ok(())
        });
        // Make the sheet declare 100 bytes, in its local and central headers.
        let mut lying = good.clone();
        let mut zip = zip::ZipArchive::new(Cursor::new(&good)).expect("zip");
        let i = zip
            .index_for_name("xl/worksheets/sheet1.xml")
            .expect("sheet");
        let part = zip.by_index_raw(i).expect("part");
        let (local, central) = (
            part.header_start() as usize,
            part.central_header_start() as usize,
        );
        assert!(part.size() > 10_000);
        drop(part);
        lying[local + 22..local + 26].copy_from_slice(&100u32.to_le_bytes());
        lying[central + 24..central + 28].copy_from_slice(&100u32.to_le_bytes());
        let outcome = match Source::from_bytes(lying) {
            Err(e) => Some(e),
            Ok(mut s) => {
                let all: Vec<_> = s.by_ref().collect();
                assert!(
                    all.len() < 10,
                    "read past the declared size: {} rows",
                    all.len()
                );
                s.stopped().cloned()
            }
        };
        assert!(
            matches!(outcome, Some(FileError::Xlsx { .. })),
            "{outcome:?}"
        );
    }

    /// The smallest parts calamine needs to open a workbook, with the given shared strings.
    fn workbook_with_strings(sst: &[u8]) -> Vec<u8> {
        zip_of(&[
            ("[Content_Types].xml", b"<Types/>"),
            (
                "_rels/.rels",
                br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
            ),
            (
                "xl/workbook.xml",
                br#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
            (
                "xl/_rels/workbook.xml.rels",
                br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
            (
                "xl/worksheets/sheet1.xml",
                br#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>"#,
            ),
            ("xl/sharedStrings.xml", sst),
        ])
    }

    #[test]
    fn the_shared_string_table_is_counted_before_calamine_reads_it() {
        let honest = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>姓名</t></si><si><t>张伟</t></si></sst>"#.as_bytes();
        let mut s = Source::from_bytes(workbook_with_strings(honest)).expect("workbook");
        assert_eq!(s.headers(), ["姓名"]);
        assert_eq!(rows(&mut s), [(2, vec!["张伟".to_owned()])]);
        // A billion strings claimed in a few bytes: calamine would reserve 24 GB for them.
        let liar = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="1000000000"><si><t>姓名</t></si><si><t>张伟</t></si></sst>"#.as_bytes();
        let e = Source::from_bytes(workbook_with_strings(liar)).err();
        assert!(
            matches!(&e, Some(FileError::Xlsx { detail }) if detail.contains("1000000000")),
            "{e:?}"
        );
        // Many small strings: more memory than their text.
        let mut many =
            br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#.to_vec();
        for i in 0..20_000 {
            many.extend_from_slice(format!("<si><t>{i}</t></si>").as_bytes());
        }
        many.extend_from_slice(b"</sst>");
        let limits = Limits {
            max_shared_strings_memory: 1 << 20,
            ..Limits::default()
        };
        let e = Source::from_bytes_with(workbook_with_strings(&many), limits).err();
        assert_eq!(
            e,
            Some(FileError::SharedStrings {
                strings: 20_000,
                memory: 20_000 * STRING_OVERHEAD + many.len() as u64,
                limit: 1 << 20
            })
        );
        assert!(Source::from_bytes(workbook_with_strings(&many)).is_ok());
    }

    #[test]
    fn zips_that_are_not_workbooks_and_broken_workbooks() {
        let docx = zip_of(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w:document/>"),
        ]);
        assert_eq!(Source::from_bytes(docx).err(), Some(FileError::NotXlsx));
        let plain = zip_of(&[("readme.txt", b"hello")]);
        assert_eq!(Source::from_bytes(plain).err(), Some(FileError::NotXlsx));
        let good = book(|w| {
            for r in 0..500u32 {
                w.write_string(r, 0, format!("客户{r}"))?;
            }
            Ok(())
        });
        for cut in [good.len() / 2, good.len() - 10] {
            let e = Source::from_bytes(good[..cut].to_vec())
                .err()
                .expect("refused");
            assert!(matches!(e, FileError::Xlsx { .. }), "{e:?}");
            assert!(e.message(Lang::En).contains("damaged or incomplete"));
        }
        // A workbook whose parts say one thing and whose sheet is garbage.
        let junk = zip_of(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/workbook.xml", b"not xml at all"),
        ]);
        let e = Source::from_bytes(junk).err().expect("refused");
        assert!(matches!(e, FileError::Xlsx { .. }), "{e:?}");
    }
}
