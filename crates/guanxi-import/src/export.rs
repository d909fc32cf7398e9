//! Writing files that Excel opens correctly.
//!
//! CSV: UTF-8 with a byte order mark (without it Excel reads Chinese as the local code page
//! and shows garbage), CRLF line ends, and cells that a spreadsheet would take for a formula
//! (`=`, `+`, `-`, `@` first) prefixed with `'` so that an exported name can never run as a
//! formula (CSV injection).
//!
//! .xlsx ([`xlsx`]): every cell a text cell in the text number format, so that phone numbers
//! never become `1.38E+10`, nothing is ever a formula (a value starting with `=` is text), and
//! Excel keeps them text when they are edited; a bold header row that stays in view; columns
//! as wide as their contents (from the header and the first rows). Rows are written with
//! rust_xlsxwriter's constant-memory mode (each row goes to a temporary file as it is
//! written), so an export of any length holds one row at a time until the file is packed.

use guanxi_core::Lang;

/// The byte order mark that tells Excel the file is UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A cell made safe for spreadsheets.
pub fn safe_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// A cell as it was before an export guarded it (`'+86 138…` → `+86 138…`): Guanxi's own CSV
/// exports go back in as they came out. A `'=` stays as it is, text (without its `'`, the
/// import would refuse it as a formula); a `'` before anything else stays too.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// Rows as CSV (CRLF, quoted where needed), cells made safe. Prefix [`BOM`] once per file.
pub fn csv_rows<I, R, S>(rows: I) -> Vec<u8>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        let cells: Vec<String> = row
            .into_iter()
            .map(|c| safe_cell(c.as_ref()).into_owned())
            .collect();
        // Writing to a Vec cannot fail.
        let _ = w.write_record(&cells);
    }
    w.into_inner().unwrap_or_default()
}

/// Why an .xlsx export failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportError {
    /// More rows or columns than a sheet holds.
    TooManyRows {
        max: u32,
    },
    TooManyColumns {
        max: u16,
    },
    /// The writer failed (no room for its temporary file, …), in its own words.
    Writer(String),
}

impl ExportError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (ExportError::TooManyRows { max }, Lang::ZhCn) => {
                format!("Excel 工作表最多 {max} 行，数据太多，请分批导出或导出为 CSV")
            }
            (ExportError::TooManyRows { max }, Lang::En) => {
                format!("an Excel sheet holds at most {max} rows; export in parts or as CSV")
            }
            (ExportError::TooManyColumns { max }, Lang::ZhCn) => {
                format!("Excel 工作表最多 {max} 列")
            }
            (ExportError::TooManyColumns { max }, Lang::En) => {
                format!("an Excel sheet holds at most {max} columns")
            }
            (ExportError::Writer(detail), Lang::ZhCn) => format!("无法生成 Excel 文件（{detail}）"),
            (ExportError::Writer(detail), Lang::En) => {
                format!("the Excel file could not be written ({detail})")
            }
        }
    }
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for ExportError {}

impl From<rust_xlsxwriter::XlsxError> for ExportError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        ExportError::Writer(e.to_string())
    }
}

/// Excel's limits: rows of a sheet (the header is one), columns, characters in a cell.
const SHEET_ROWS: u32 = 1_048_576;
const SHEET_COLUMNS: u16 = 16_384;
const CELL_CHARS: usize = 32_767;
/// Rows looked at for column widths.
const WIDTH_ROWS: usize = 200;

/// How wide a value shows, in Excel's width units (about one digit): Chinese, Japanese and
/// Korean characters take two.
fn shown_width(v: &str) -> usize {
    v.lines()
        .map(|l| {
            l.chars()
                .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0)
}

/// A sheet of text: the header row, then the rows, every cell text (see the module's
/// documentation). A cell longer than Excel's 32,767 characters is cut there.
pub fn xlsx<I>(headers: &[String], rows: I) -> Result<Vec<u8>, ExportError>
where
    I: IntoIterator<Item = Vec<String>>,
{
    use rust_xlsxwriter::{Format, Workbook};
    let mut rows = rows.into_iter();
    let first: Vec<Vec<String>> = rows.by_ref().take(WIDTH_ROWS).collect();
    let columns = first
        .iter()
        .map(Vec::len)
        .chain([headers.len()])
        .max()
        .unwrap_or(0);
    if columns > usize::from(SHEET_COLUMNS) {
        return Err(ExportError::TooManyColumns { max: SHEET_COLUMNS });
    }
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory()?;
    let text = Format::new().set_num_format("@");
    let bold = Format::new().set_num_format("@").set_bold();
    for c in 0..columns {
        let widest = first
            .iter()
            .filter_map(|r| r.get(c))
            .chain(headers.get(c))
            .map(|v| shown_width(v))
            .max()
            .unwrap_or(0);
        let col =
            u16::try_from(c).map_err(|_| ExportError::TooManyColumns { max: SHEET_COLUMNS })?;
        sheet.set_column_width(col, (widest + 2).clamp(6, 60) as f64)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let cell = |v: &str| -> String {
        match v.char_indices().nth(CELL_CHARS) {
            Some((cut, _)) => v[..cut].to_owned(),
            None => v.to_owned(),
        }
    };
    for (c, h) in headers.iter().enumerate() {
        let col =
            u16::try_from(c).map_err(|_| ExportError::TooManyColumns { max: SHEET_COLUMNS })?;
        sheet.write_string_with_format(0, col, cell(h), &bold)?;
    }
    for (i, row) in first.into_iter().chain(rows).enumerate() {
        let r = u32::try_from(i + 1)
            .ok()
            .filter(|r| *r < SHEET_ROWS)
            .ok_or(ExportError::TooManyRows { max: SHEET_ROWS })?;
        if row.len() > usize::from(SHEET_COLUMNS) {
            return Err(ExportError::TooManyColumns { max: SHEET_COLUMNS });
        }
        for (c, v) in row.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            let col =
                u16::try_from(c).map_err(|_| ExportError::TooManyColumns { max: SHEET_COLUMNS })?;
            sheet.write_string_with_format(r, col, cell(v), &text)?;
        }
    }
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// What an export guards, the import reads back as it was (a value that itself
        /// starts with `'` and a formula character is the one it cannot tell apart).
        #[test]
        fn a_guarded_cell_reads_back_as_itself(cell in "\\PC{0,12}") {
            prop_assume!(!cell.starts_with(['\'', '=']));
            let guarded = safe_cell(&cell);
            prop_assert_eq!(unguard(&guarded), cell.as_str());
        }
    }

    #[test]
    fn an_exported_phone_goes_back_in() {
        let file = csv_rows([["姓名", "手机"], ["张伟", "+86 138 0013 8000"]]);
        assert!(String::from_utf8_lossy(&file).contains("'+86"), "guarded");
        let r = crate::dry_run(&file, None);
        assert_eq!(r.counts(), (1, 0, 0, 0));
        assert_eq!(unguard("'它"), "'它", "an apostrophe before text stays");
        // A cell that would be a formula stays text with its mark, and is imported so.
        let file = csv_rows([["姓名", "备注"], ["张伟", "=重要="]]);
        let r = crate::dry_run(&file, None);
        assert_eq!(r.counts(), (1, 0, 0, 0), "not refused as a formula");
    }

    #[test]
    fn xlsx_cells_stay_text() {
        use calamine::{Data, Reader};
        let headers: Vec<String> = ["姓名", "手机", "备注", "金额", "生日"]
            .map(String::from)
            .to_vec();
        let long = "很长的备注".repeat(8000);
        let rows = vec![
            vec![
                "张伟".to_owned(),
                "13800138000".into(),
                "=HYPERLINK(\"http://x\")".into(),
                "1.5".into(),
                "2024-01-05".into(),
            ],
            vec![
                "王芳".to_owned(),
                "0012345".into(),
                "老客户，\n每年续约".into(),
                "".into(),
                "1.38001E+10".into(),
            ],
            vec![
                "李娜".to_owned(),
                "+86 139 1234 5678".into(),
                long.clone(),
                "-1".into(),
                "TRUE".into(),
            ],
        ];
        let bytes = xlsx(&headers, rows.clone()).expect("xlsx");
        let mut book: calamine::Xlsx<_> =
            calamine::Xlsx::new(std::io::Cursor::new(bytes.clone())).expect("readable");
        let sheet = book.worksheet_range("Sheet1").expect("sheet");
        let got: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
        assert_eq!(
            got[0],
            headers
                .iter()
                .map(|h| Data::String(h.clone()))
                .collect::<Vec<_>>()
        );
        for (i, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let want = if v.is_empty() {
                    Data::Empty
                } else if v.chars().count() > 32_767 {
                    Data::String(v.chars().take(32_767).collect())
                } else {
                    Data::String(v.clone())
                };
                assert_eq!(got[i + 1][c], want, "row {i} column {c}");
            }
        }
        let formulas = book.worksheet_formula("Sheet1").expect("formulas");
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "no formulas"
        );
        // The header is bold and stays in view; columns are as wide as their contents.
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet1.xml").expect("sheet"),
            &mut xml,
        )
        .expect("xml");
        assert!(
            xml.contains(r#"ySplit="1""#) && xml.contains(r#"state="frozen""#),
            "{xml}"
        );
        assert!(xml.contains("<cols>"));
        let mut styles = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/styles.xml").expect("styles"),
            &mut styles,
        )
        .expect("xml");
        assert!(styles.contains("<b/>"), "{styles}");
        // And the importer reads it back the same.
        let mut s =
            crate::Source::from_bytes(xlsx(&headers, rows.clone()).expect("xlsx")).expect("source");
        assert_eq!(s.headers(), headers);
        let back = s.next_record().expect("row").cells.expect("cells");
        assert_eq!(back, rows[0]);
    }

    #[test]
    fn xlsx_refuses_what_a_sheet_cannot_hold() {
        let wide = vec![String::from("x"); 16_385];
        assert_eq!(
            xlsx(&wide, Vec::new()).err(),
            Some(ExportError::TooManyColumns { max: 16_384 })
        );
        let e = ExportError::TooManyRows { max: 1_048_576 };
        assert!(e.message(Lang::ZhCn).contains("1048576"));
        assert!(e.message(Lang::En).contains("1048576"));
    }

    #[test]
    fn excel_safe_csv() {
        let out = csv_rows([
            vec!["姓名", "备注"],
            vec!["张伟", "老客户，\n每年续约"],
            vec!["=HYPERLINK(\"http://x\")", "-1"],
        ]);
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(
            text,
            "姓名,备注\r\n张伟,\"老客户，\n每年续约\"\r\n\"'=HYPERLINK(\"\"http://x\"\")\",'-1\r\n"
        );
        // Read back by the importer: the same cells (the formula guard stays visible).
        let mut file = BOM.to_vec();
        file.extend_from_slice(text.as_bytes());
        let r = crate::dry_run(&file, None);
        assert_eq!(r.encoding, "UTF-8");
        assert_eq!(r.headers, ["姓名", "备注"]);
    }
}
