//! Writing CSV that Excel opens correctly: UTF-8 with a byte order mark (without it Excel reads
//! Chinese as the local code page and shows garbage), CRLF line ends, and cells that a
//! spreadsheet would take for a formula (`=`, `+`, `-`, `@` first) prefixed with `'` so that
//! an exported name can never run as a formula (CSV injection).

/// The byte order mark that tells Excel the file is UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A cell made safe for spreadsheets.
pub fn safe_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
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

#[cfg(test)]
mod tests {
    use super::*;

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
