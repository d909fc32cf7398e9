//! A file of customers read as a stream of records, whatever it is: CSV or TSV in any common
//! encoding, an Excel workbook (.xlsx), or vCards (.vcf). The format is told from the
//! content, never from the file's name. Memory stays bounded by the longest row, whatever
//! the size of the file, and a file that is not what it seems (binary data, a zip bomb, an
//! endless line, a quote never closed) stops with a reason instead of filling memory.

use crate::mapping::Mapping;
use crate::row::{Problem, ProblemKind};
use crate::stream::{Counting, Decode, Lines, Overrun};
use encoding_rs::{Encoding, GB18030, GBK, UTF_16BE, UTF_16LE, UTF_8};
use guanxi_core::Lang;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// What kind of file a [`Source`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma-, tab-, semicolon- or bar-separated text.
    Csv,
    /// An Excel workbook (Office Open XML): its first worksheet.
    Xlsx,
    /// vCard 2.1, 3.0 or 4.0, one or many cards.
    Vcard,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Vcard => "vcard",
        }
    }
}

/// How far a file may go before it is refused. The defaults suit customer files of a
/// million rows; they are there to stop damaged and hostile files, not to ration real ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest run of text without a line break (a binary file has none).
    pub max_line_bytes: usize,
    /// Longest row (a CSV record with quoted line breaks; an unclosed quote makes the rest
    /// of the file one record).
    pub max_row_bytes: usize,
    /// The most an .xlsx may unpack to, all its parts together, by their declared sizes
    /// (the zip reader refuses to inflate a part past its declared size).
    pub max_unpacked_bytes: u64,
    /// The highest compression ratio allowed for a part larger than `ratio_from_bytes`.
    pub max_ratio: u64,
    pub ratio_from_bytes: u64,
    /// The largest shared string table, by its declared size.
    pub max_shared_strings_bytes: u64,
    /// The most memory the shared string table may take once read (calamine holds it
    /// whole): its text plus about 56 bytes a string.
    pub max_shared_strings_memory: u64,
    /// The largest central directory of an .xlsx (the zip reader holds it in memory).
    pub max_zip_directory_bytes: u64,
    /// Excel's own limits: a sheet beyond them is damaged.
    pub max_rows: u32,
    pub max_columns: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line_bytes: 1 << 20,
            max_row_bytes: 1 << 20,
            max_unpacked_bytes: 1 << 30,
            max_ratio: 200,
            ratio_from_bytes: 10 << 20,
            max_shared_strings_bytes: 256 << 20,
            max_shared_strings_memory: 320 << 20,
            max_zip_directory_bytes: 16 << 20,
            max_rows: 1_048_576,
            max_columns: 16_384,
        }
    }
}

/// Why a file cannot be read (at all, or past some point: see [`ProblemKind::Stopped`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileError {
    /// The operating system refused (no such file, no permission, a read error).
    Io {
        detail: String,
    },
    /// Nothing in it, or only blank lines.
    Empty,
    /// Binary content that is no table.
    NotText,
    /// An old binary Excel workbook (.xls), or a password-protected workbook (both are OLE
    /// compound files).
    LegacyExcel,
    /// A zip archive that is not an Excel workbook (a Word file, an OpenDocument sheet, …).
    NotXlsx,
    /// A workbook that would unpack to more than the limit (`part`: the one part too large,
    /// or `None` for all parts together). Sizes in bytes.
    TooBig {
        part: Option<String>,
        size: u64,
        limit: u64,
    },
    /// A part of a workbook compressed far more than spreadsheets ever are: a zip bomb.
    Ratio {
        part: String,
        ratio: u64,
        limit: u64,
    },
    /// A shared string table that would take more memory than the limit (in bytes).
    SharedStrings {
        strings: u64,
        memory: u64,
        limit: u64,
    },
    /// A damaged or truncated workbook (the reader's own words in `detail`).
    Xlsx {
        detail: String,
    },
    /// A workbook without a worksheet.
    NoWorksheet,
    /// The worksheet asked for is not in the workbook (these are).
    NoSuchSheet {
        name: String,
        sheets: Vec<String>,
    },
    TooManyRows {
        max: u32,
    },
    TooManyColumns {
        max: u32,
    },
    /// No line break for more than `max` bytes.
    LineTooLong {
        max: usize,
    },
    /// One row longer than `max` bytes (a quote never closed).
    RowTooLong {
        max: usize,
    },
}

/// A size in words: `1 MB`, `1.5 GB`, `64 KB`, `100 B`.
fn size(bytes: u64) -> String {
    let units = [(1u64 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")];
    for (unit, name) in units {
        if bytes >= unit {
            let v = bytes as f64 / unit as f64;
            return if (v - v.round()).abs() < 0.05 {
                format!("{} {name}", v.round())
            } else {
                format!("{v:.1} {name}")
            };
        }
    }
    format!("{bytes} B")
}

impl FileError {
    pub(crate) fn io(e: io::Error) -> Self {
        FileError::Io {
            detail: e.to_string(),
        }
    }

    /// The reason in the user's language.
    pub fn message(&self, lang: Lang) -> String {
        use Lang::{En, ZhCn};
        match (self, lang) {
            (FileError::Io { detail }, ZhCn) => format!("无法读取文件（{detail}）"),
            (FileError::Io { detail }, En) => format!("the file cannot be read ({detail})"),
            (FileError::Empty, _) => lang
                .pick(
                    "文件是空的：没有表头，也没有数据",
                    "the file is empty: no header and no rows",
                )
                .to_owned(),
            (FileError::NotText, _) => lang
                .pick(
                    "这不是表格文件：内容是二进制数据，既不是 CSV 或文本表格，也不是 Excel（.xlsx）或名片（.vcf）文件",
                    "this is not a table: the content is binary, neither CSV or text nor an Excel workbook (.xlsx) nor vCards (.vcf)",
                )
                .to_owned(),
            (FileError::LegacyExcel, _) => lang
                .pick(
                    "这是旧版 Excel 文件（.xls）或设置了密码的工作簿，无法直接读取；请在 Excel 中另存为 .xlsx（不设密码）或“CSV UTF-8”格式后再导入",
                    "this is an old Excel workbook (.xls) or a password-protected one, which cannot be read; in Excel, save it as .xlsx (without a password) or as “CSV UTF-8” and import that",
                )
                .to_owned(),
            (FileError::NotXlsx, _) => lang
                .pick(
                    "这是一个 zip 压缩包，但不是 Excel 工作簿（.xlsx）；WPS、Numbers 或 LibreOffice 的表格请先另存为 .xlsx 或 CSV",
                    "this is a zip archive but not an Excel workbook (.xlsx); save sheets from WPS, Numbers or LibreOffice as .xlsx or CSV first",
                )
                .to_owned(),
            (FileError::TooBig { part: Some(p), size: s, limit }, ZhCn) => format!(
                "工作簿中的 {p} 解压后有 {}，超过上限 {}，可能是“压缩炸弹”，已拒绝读取",
                size(*s),
                size(*limit)
            ),
            (FileError::TooBig { part: Some(p), size: s, limit }, En) => format!(
                "{p} in the workbook would unpack to {}, more than the limit of {}; it may be a zip bomb and was not read",
                size(*s),
                size(*limit)
            ),
            (FileError::TooBig { part: None, size: s, limit }, ZhCn) => format!(
                "工作簿解压后共有 {}，超过上限 {}，可能是“压缩炸弹”，已拒绝读取",
                size(*s),
                size(*limit)
            ),
            (FileError::TooBig { part: None, size: s, limit }, En) => format!(
                "the workbook would unpack to {}, more than the limit of {}; it may be a zip bomb and was not read",
                size(*s),
                size(*limit)
            ),
            (FileError::Ratio { part, ratio, limit }, ZhCn) => format!(
                "工作簿中的 {part} 压缩比高达 {ratio}:1（正常表格不超过 {limit}:1），像是“压缩炸弹”，已拒绝读取"
            ),
            (FileError::Ratio { part, ratio, limit }, En) => format!(
                "{part} in the workbook is compressed {ratio}:1 (real sheets stay under {limit}:1), like a zip bomb; it was not read"
            ),
            (FileError::SharedStrings { strings, memory, limit }, ZhCn) => format!(
                "工作簿中有 {strings} 个不同的文字单元格，读取需要约 {} 内存，超过上限 {}；请在 Excel 中另存为“CSV UTF-8”后再导入",
                size(*memory),
                size(*limit)
            ),
            (FileError::SharedStrings { strings, memory, limit }, En) => format!(
                "the workbook holds {strings} different texts, which would take about {} of memory, more than the limit of {}; save it as “CSV UTF-8” in Excel and import that",
                size(*memory),
                size(*limit)
            ),
            (FileError::Xlsx { detail }, ZhCn) => format!(
                "Excel 文件已损坏或不完整（{detail}）；请用 Excel 打开后重新保存，再导入"
            ),
            (FileError::Xlsx { detail }, En) => format!(
                "the Excel file is damaged or incomplete ({detail}); open it in Excel, save it again and import that"
            ),
            (FileError::NoWorksheet, _) => lang
                .pick("工作簿里没有工作表", "the workbook has no worksheet")
                .to_owned(),
            (FileError::NoSuchSheet { name, sheets }, ZhCn) => format!(
                "工作簿里没有名为“{name}”的工作表；现有的工作表：{}",
                sheets.join("、")
            ),
            (FileError::NoSuchSheet { name, sheets }, En) => format!(
                "the workbook has no worksheet named “{name}”; it has: {}",
                sheets.join(", ")
            ),
            (FileError::TooManyRows { max }, ZhCn) => {
                format!("工作表超过 {max} 行（Excel 的上限），文件可能已损坏")
            }
            (FileError::TooManyRows { max }, En) => format!(
                "the sheet has more than {max} rows (Excel's limit); the file may be damaged"
            ),
            (FileError::TooManyColumns { max }, ZhCn) => {
                format!("工作表超过 {max} 列（Excel 的上限），文件可能已损坏")
            }
            (FileError::TooManyColumns { max }, En) => format!(
                "the sheet has more than {max} columns (Excel's limit); the file may be damaged"
            ),
            (FileError::LineTooLong { max }, ZhCn) => format!(
                "有一行超过 {} 仍没有换行，这不像表格文件（可能是二进制文件，或文件已损坏）",
                size(*max as u64)
            ),
            (FileError::LineTooLong { max }, En) => format!(
                "a line runs on for more than {} without a line break: this does not look like a table (a binary or damaged file?)",
                size(*max as u64)
            ),
            (FileError::RowTooLong { max }, ZhCn) => format!(
                "有一行数据超过 {}，通常是某个引号没有配对，后面的内容都被当成了同一个单元格；请检查这一行起的引号",
                size(*max as u64)
            ),
            (FileError::RowTooLong { max }, En) => format!(
                "a row is longer than {}, usually because a quote is never closed and everything after it became one cell; check the quotes from this line on",
                size(*max as u64)
            ),
        }
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for FileError {}

/// One row of a file as read, before it is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Where the row starts: the file's line (the header is line 1; quoted line breaks
    /// count), the sheet's row number for .xlsx, the line of `BEGIN:VCARD` for a vCard.
    pub line: u64,
    /// The cells, or why the row cannot be read.
    pub cells: Result<Vec<String>, Problem>,
    /// Remarks that do not refuse the row (a vCard birthday without a year, …).
    pub notes: Vec<Problem>,
}

/// What a source reads from: a file or bytes in memory.
pub(crate) trait Input: Read + Seek + Send {}
impl<T: Read + Seek + Send> Input for T {}

type Text = Decode<Counting<Box<dyn Input>>>;

struct CsvRows {
    reader: csv::Reader<Lines<Text>>,
    record: csv::StringRecord,
    max_line: usize,
    max_row: usize,
}

enum Rows {
    Csv(Box<CsvRows>),
    Vcard(Box<crate::vcard::Cards<BufReader<Text>>>),
    Xlsx(crate::xlsx::Rows),
}

/// A file as a stream of [`Record`]s: first its [`headers`](Source::headers), then one
/// record per row with [`next_record`](Source::next_record) (or as an iterator).
pub struct Source {
    format: Format,
    encoding: &'static str,
    delimiter: Option<u8>,
    headers: Vec<String>,
    rows: Rows,
    read: Arc<AtomicU64>,
    total: u64,
    malformed: Arc<AtomicBool>,
    stopped: Option<FileError>,
}

/// How much of the start of a file tells its format, encoding and delimiter.
const SAMPLE: usize = 64 * 1024;
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// How to read a file when its guess would be wrong: the encoding and the delimiter a person
/// chose for a text file (`None`: detected, as usual; a byte order mark still decides the
/// encoding), and the worksheet of a workbook (by name or place from 1; `None`: the first
/// visible one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadAs {
    pub encoding: Option<&'static Encoding>,
    pub delimiter: Option<u8>,
    pub sheet: Option<String>,
}

impl ReadAs {
    /// The encodings a person may choose, by the names people use for them (`utf-8`, `gbk`,
    /// `gb18030`, `big5`, `utf-16le`, `utf-16be`, and WHATWG's names, which jobs keep).
    pub fn encoding_named(name: &str) -> Option<&'static Encoding> {
        let enc = Encoding::for_label(name.trim().as_bytes())?;
        [
            UTF_8,
            encoding_rs::GBK,
            encoding_rs::GB18030,
            encoding_rs::BIG5,
            UTF_16LE,
            UTF_16BE,
        ]
        .contains(&enc)
        // GBK files are read as GB18030, its superset, as detection does.
        .then(|| {
            if enc == encoding_rs::GBK {
                encoding_rs::GB18030
            } else {
                enc
            }
        })
    }

    /// A delimiter a person may choose: `,` `;` `|` or a tab (also written `tab` or `\t`).
    pub fn delimiter_named(name: &str) -> Option<u8> {
        match name {
            "," | "comma" => Some(b','),
            ";" | "semicolon" => Some(b';'),
            "|" | "pipe" => Some(b'|'),
            "\t" | "\\t" | "tab" => Some(b'\t'),
            _ => None,
        }
    }
}

impl Source {
    /// Open a file with the default [`Limits`].
    pub fn open(path: &Path) -> Result<Source, FileError> {
        Self::open_with(path, Limits::default())
    }

    pub fn open_with(path: &Path, limits: Limits) -> Result<Source, FileError> {
        Self::open_as(path, limits, ReadAs::default())
    }

    /// Open a file read as `read_as` says where a guess would be wrong.
    pub fn open_as(path: &Path, limits: Limits, read_as: ReadAs) -> Result<Source, FileError> {
        let file = std::fs::File::open(path).map_err(FileError::io)?;
        let meta = file.metadata().map_err(FileError::io)?;
        if meta.is_dir() {
            return Err(FileError::Io {
                detail: "a folder, not a file".into(),
            });
        }
        Self::from_input(Box::new(file), meta.len(), limits, read_as)
    }

    /// Read a file already in memory, with the default [`Limits`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Source, FileError> {
        Self::from_bytes_with(bytes, Limits::default())
    }

    pub fn from_bytes_with(bytes: Vec<u8>, limits: Limits) -> Result<Source, FileError> {
        Self::from_bytes_as(bytes, limits, ReadAs::default())
    }

    pub fn from_bytes_as(
        bytes: Vec<u8>,
        limits: Limits,
        read_as: ReadAs,
    ) -> Result<Source, FileError> {
        let total = bytes.len() as u64;
        Self::from_input(Box::new(Cursor::new(bytes)), total, limits, read_as)
    }

    fn from_input(
        mut input: Box<dyn Input>,
        total: u64,
        limits: Limits,
        read_as: ReadAs,
    ) -> Result<Source, FileError> {
        let mut sample = Vec::with_capacity(SAMPLE);
        (&mut input)
            .take(SAMPLE as u64)
            .read_to_end(&mut sample)
            .map_err(FileError::io)?;
        let complete = sample.len() < SAMPLE;
        input.seek(SeekFrom::Start(0)).map_err(FileError::io)?;
        let read = Arc::new(AtomicU64::new(0));
        let malformed = Arc::new(AtomicBool::new(false));
        if sample.is_empty() {
            return Err(FileError::Empty);
        }
        if sample.starts_with(b"PK\x03\x04") {
            let (headers, rows) = crate::xlsx::open(input, read.clone(), limits, read_as.sheet)?;
            return Ok(Source {
                format: Format::Xlsx,
                encoding: UTF_8.name(),
                delimiter: None,
                headers,
                rows: Rows::Xlsx(rows),
                read,
                total,
                malformed,
                stopped: None,
            });
        }
        if sample.starts_with(OLE_MAGIC) {
            return Err(FileError::LegacyExcel);
        }
        if sample.starts_with(b"PK\x05\x06") {
            return Err(FileError::NotXlsx);
        }
        let encoding = match (Encoding::for_bom(&sample), read_as.encoding) {
            (None, Some(chosen)) => chosen,
            _ => detect_encoding(&sample, complete)?,
        };
        let (head, _) = encoding.decode_with_bom_removal(&sample);
        let body = head.trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace());
        if body.is_empty() && complete {
            return Err(FileError::Empty);
        }
        let is_vcard = body
            .get(..11)
            .is_some_and(|b| b.eq_ignore_ascii_case("BEGIN:VCARD"));
        let text = Decode::new(
            Counting::new(input, read.clone()),
            encoding,
            malformed.clone(),
        );
        let base = |format, delimiter, headers, rows| Source {
            format,
            encoding: encoding.name(),
            delimiter,
            headers,
            rows,
            read: read.clone(),
            total,
            malformed: malformed.clone(),
            stopped: None,
        };
        if is_vcard {
            let cards = crate::vcard::Cards::new(BufReader::new(text), limits.max_line_bytes);
            return Ok(base(
                Format::Vcard,
                None,
                crate::vcard::HEADERS.map(str::to_owned).to_vec(),
                Rows::Vcard(Box::new(cards)),
            ));
        }
        // The delimiter from whole lines of the sample.
        let whole = if complete {
            &head[..]
        } else {
            head.rfind('\n').map_or(&head[..], |end| &head[..end])
        };
        let delimiter = read_as
            .delimiter
            .unwrap_or_else(|| crate::decode::sniff_delimiter(whole));
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(SAMPLE)
            .from_reader(Lines::new(
                text,
                limits.max_line_bytes,
                limits.max_row_bytes,
            ));
        let mut rows = CsvRows {
            reader,
            record: csv::StringRecord::new(),
            max_line: limits.max_line_bytes,
            max_row: limits.max_row_bytes,
        };
        let header = match rows.next() {
            None => return Err(FileError::Empty),
            Some((_, Err(e))) => return Err(e),
            Some((_, Ok(cells))) => cells,
        };
        let headers = header
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').trim().to_owned())
            .collect();
        Ok(base(
            Format::Csv,
            Some(delimiter),
            headers,
            Rows::Csv(Box::new(rows)),
        ))
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The encoding's WHATWG name (`UTF-8`, `UTF-16LE`, `gb18030`, `Big5`, …); `UTF-8` for
    /// .xlsx (its XML is Unicode).
    pub fn encoding(&self) -> &'static str {
        self.encoding
    }

    /// A workbook's worksheets, in its order (empty for other files).
    pub fn sheets(&self) -> &[String] {
        match &self.rows {
            Rows::Xlsx(r) => &r.sheets,
            _ => &[],
        }
    }

    /// The worksheet read (`None` for other files).
    pub fn sheet(&self) -> Option<&str> {
        match &self.rows {
            Rows::Xlsx(r) => r.sheet.as_deref(),
            _ => None,
        }
    }

    /// The CSV delimiter; `None` for .xlsx and vCards.
    pub fn delimiter(&self) -> Option<u8> {
        self.delimiter
    }

    /// The column names: the first row (trimmed), or for vCards the fixed
    /// [`crate::vcard::HEADERS`].
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The mapping suggested for these headers (for vCards: each column to its field).
    pub fn suggested_mapping(&self) -> Mapping {
        Mapping::suggest(&self.headers)
    }

    /// The mapping suggested for these headers in a file of `kind`.
    pub fn suggested_mapping_for(&self, kind: guanxi_core::ImportKind) -> Mapping {
        Mapping::suggest_for(kind, &self.headers)
    }

    /// Some bytes so far did not fit the encoding and became U+FFFD.
    pub fn malformed(&self) -> bool {
        self.malformed.load(Ordering::Relaxed)
    }

    /// Bytes of the file read so far (for a progress bar: compare with
    /// [`total_bytes`](Source::total_bytes)).
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed).min(self.total)
    }

    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    /// Why reading stopped before the end of the file, if it did (the last record said so
    /// too, as a [`ProblemKind::Stopped`]).
    pub fn stopped(&self) -> Option<&FileError> {
        self.stopped.as_ref()
    }

    /// The next row, or `None` at the end (or after reading had to stop).
    pub fn next_record(&mut self) -> Option<Record> {
        if self.stopped.is_some() {
            return None;
        }
        let width = self.headers.len();
        let (line, cells, notes) = match &mut self.rows {
            Rows::Csv(rows) => {
                let (line, cells) = rows.next()?;
                (line, cells, Vec::new())
            }
            Rows::Vcard(cards) => {
                let card = cards.next()?;
                let (cells, notes) = match card.card {
                    Ok(c) => {
                        let (cells, notes) = crate::vcard::table_row(&c);
                        (Ok(cells), [card.notes, notes].concat())
                    }
                    Err(p) => {
                        if let ProblemKind::Stopped(e) = &p.kind {
                            self.stopped = Some(e.clone());
                        }
                        (Err(p), card.notes)
                    }
                };
                return Some(Record {
                    line: card.line,
                    cells,
                    notes,
                });
            }
            Rows::Xlsx(rows) => {
                let (line, cells) = rows.next()?;
                let cells = cells.map(|mut c| {
                    // Sheets leave out empty cells: a short row is padded, and empty cells
                    // past the header are not cells.
                    if c.len() < width {
                        c.resize(width, String::new());
                    }
                    while c.len() > width && c.last().is_some_and(String::is_empty) {
                        c.pop();
                    }
                    c
                });
                (line, cells, Vec::new())
            }
        };
        let cells = match cells {
            Ok(c) => Ok(c),
            Err(e) => {
                self.stopped = Some(e.clone());
                Err(Problem::row(ProblemKind::Stopped(e)))
            }
        };
        Some(Record { line, cells, notes })
    }
}

impl Iterator for Source {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        self.next_record()
    }
}

impl CsvRows {
    /// The next record with its line, or the error that ends reading.
    fn next(&mut self) -> Option<(u64, Result<Vec<String>, FileError>)> {
        let at = self.reader.position().byte();
        self.reader.get_mut().mark = at;
        let result = self.reader.read_record(&mut self.record);
        let lines = self.reader.get_mut();
        let line = lines.line_at(at);
        match result {
            Ok(false) => None,
            Ok(true) => Some((line, Ok(self.record.iter().map(str::to_owned).collect()))),
            Err(e) => {
                let err = match (lines.overrun, e.kind()) {
                    (Some(Overrun::Line), _) => FileError::LineTooLong { max: self.max_line },
                    (Some(Overrun::Row), _) => FileError::RowTooLong { max: self.max_row },
                    (None, csv::ErrorKind::Io(io)) => FileError::Io {
                        detail: io.to_string(),
                    },
                    (None, _) => FileError::Io {
                        detail: e.to_string(),
                    },
                };
                Some((line, Err(err)))
            }
        }
    }
}

/// The encoding of a text file from its first bytes: the byte order mark; UTF-16 without
/// one by its zero bytes; UTF-8 when the bytes are valid UTF-8; else the guess of Firefox's
/// detector (GBK read as GB18030, its superset). Other bytes with zeros are no text.
fn detect_encoding(sample: &[u8], complete: bool) -> Result<&'static Encoding, FileError> {
    if let Some((enc, _)) = Encoding::for_bom(sample) {
        return Ok(enc);
    }
    if sample.contains(&0) {
        let pairs = sample.len() / 2;
        let zeros_at = |parity: usize| {
            sample
                .iter()
                .skip(parity)
                .step_by(2)
                .filter(|b| **b == 0)
                .count()
        };
        let (even, odd) = (zeros_at(0), zeros_at(1));
        // In UTF-16 every ASCII character (digits, commas, line ends) has a zero byte, on
        // the same side; other characters rarely do. Binary data has zeros on both sides.
        if odd * 100 >= pairs && odd >= even * 8 {
            return Ok(UTF_16LE);
        }
        if even * 100 >= pairs && even >= odd * 8 {
            return Ok(UTF_16BE);
        }
        return Err(FileError::NotText);
    }
    match std::str::from_utf8(sample) {
        Ok(_) => return Ok(UTF_8),
        // Cut in the middle of a character by the sample's end.
        Err(e) if !complete && e.error_len().is_none() => return Ok(UTF_8),
        Err(_) => {}
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(sample, complete);
    let enc = detector.guess(None, false);
    Ok(if enc == GBK { GB18030 } else { enc })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(bytes: &[u8]) -> Source {
        Source::from_bytes(bytes.to_vec()).expect("readable")
    }

    fn records(s: &mut Source) -> Vec<(u64, Vec<String>)> {
        s.by_ref()
            .map(|r| (r.line, r.cells.expect("cells")))
            .collect()
    }

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if big_endian { b"\xFE\xFF" } else { b"\xFF\xFE" });
        }
        for u in text.encode_utf16() {
            out.extend_from_slice(&if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    }

    const ZH: &str = "姓名,手机,公司\r\n张伟,13800138000,杭州华信科技有限公司\r\n王芳,13912345678,深圳宏达贸易有限公司\r\n";

    #[test]
    fn a_chosen_encoding_and_delimiter_win_over_the_guess_but_not_over_a_bom() {
        // Big5 bytes are mostly valid GB18030 too; what a person chooses is what is read.
        let big5 = encoding_rs::BIG5
            .encode("姓名;電話\n陳美玲;0912345678\n")
            .0
            .into_owned();
        let as_gb = ReadAs {
            encoding: ReadAs::encoding_named("gb18030"),
            ..ReadAs::default()
        };
        let wrong = Source::from_bytes_as(big5.clone(), Limits::default(), as_gb).expect("gb");
        assert_eq!(wrong.encoding(), "gb18030");
        assert_ne!(wrong.headers(), ["姓名", "電話"], "read as mainland text");
        let chosen = ReadAs {
            encoding: ReadAs::encoding_named("big5"),
            delimiter: ReadAs::delimiter_named(";"),
            ..ReadAs::default()
        };
        let mut s = Source::from_bytes_as(big5, Limits::default(), chosen.clone()).expect("chosen");
        assert_eq!(s.encoding(), "Big5");
        assert_eq!(s.headers(), ["姓名", "電話"]);
        let row = s.next_record().expect("row").cells.expect("cells");
        assert_eq!(row, ["陳美玲", "0912345678"]);
        // A byte order mark is not a guess.
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("姓名,手机\n张伟,13800138000\n".as_bytes());
        let s = Source::from_bytes_as(bom, Limits::default(), chosen).expect("bom");
        assert_eq!(s.encoding(), "UTF-8");
        assert_eq!(ReadAs::encoding_named("GBK"), Some(encoding_rs::GB18030));
        assert_eq!(ReadAs::encoding_named("latin1"), None, "not offered");
        assert_eq!(ReadAs::delimiter_named("tab"), Some(b'\t'));
        assert_eq!(ReadAs::delimiter_named("x"), None);
    }

    #[test]
    fn every_encoding_reads_the_same_rows() {
        let want = vec![
            (
                2,
                vec![
                    "张伟".to_owned(),
                    "13800138000".into(),
                    "杭州华信科技有限公司".into(),
                ],
            ),
            (
                3,
                vec![
                    "王芳".to_owned(),
                    "13912345678".into(),
                    "深圳宏达贸易有限公司".into(),
                ],
            ),
        ];
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(ZH.as_bytes());
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("UTF-8", ZH.as_bytes().to_vec(), "UTF-8"),
            ("UTF-8 with BOM", bom, "UTF-8"),
            ("GBK", encoding_rs::GBK.encode(ZH).0.into_owned(), "gb18030"),
            ("UTF-16LE", utf16(ZH, false, true), "UTF-16LE"),
            ("UTF-16BE", utf16(ZH, true, true), "UTF-16BE"),
            ("UTF-16LE without BOM", utf16(ZH, false, false), "UTF-16LE"),
            ("UTF-16BE without BOM", utf16(ZH, true, false), "UTF-16BE"),
        ];
        for (what, bytes, encoding) in cases {
            let mut s = open(&bytes);
            assert_eq!(s.format(), Format::Csv, "{what}");
            assert_eq!(s.encoding(), encoding, "{what}");
            assert_eq!(s.headers(), ["姓名", "手机", "公司"], "{what}");
            assert_eq!(records(&mut s), want, "{what}");
            assert!(!s.malformed(), "{what}");
            assert_eq!(s.bytes_read(), s.total_bytes(), "{what}: all read");
        }
        // Chinese text in UTF-16 without a BOM: few ASCII characters, still told apart.
        let words =
            "姓名,公司,城市\n张伟,杭州华信科技有限公司,杭州\n王芳,深圳宏达贸易有限公司,深圳\n";
        for big_endian in [false, true] {
            let mut s = open(&utf16(words, big_endian, false));
            assert_eq!(
                records(&mut s)[1].1,
                ["王芳", "深圳宏达贸易有限公司", "深圳"]
            );
        }
        let trad = "姓名,電話,地址\n陳大文,0912345678,臺北市信義區\n林小美,0922333444,高雄市\n";
        let mut s = open(&encoding_rs::BIG5.encode(trad).0);
        assert_eq!(s.encoding(), "Big5");
        assert_eq!(records(&mut s)[1].1, ["林小美", "0922333444", "高雄市"]);
    }

    #[test]
    fn gbk_past_the_sample_is_still_gbk() {
        // The detector decides on the first 64 KiB; the decoding goes on in pieces, and a
        // character cut by a piece's end is not lost.
        let mut text = String::from("姓名,备注\n");
        for i in 0..20_000 {
            text.push_str(&format!("客户{i},第{i}位客户，很重要\n"));
        }
        let bytes = encoding_rs::GBK.encode(&text).0.into_owned();
        assert!(bytes.len() > 4 * SAMPLE);
        let mut s = open(&bytes);
        assert_eq!(s.encoding(), "gb18030");
        let rows = records(&mut s);
        assert_eq!(rows.len(), 20_000);
        assert_eq!(
            rows[19_999],
            (
                20_001,
                vec!["客户19999".to_owned(), "第19999位客户，很重要".into()]
            )
        );
        assert!(!s.malformed());
    }

    #[test]
    fn bytes_that_do_not_decode_are_known_as_reading_goes() {
        // Valid UTF-8 in the sample, a stray byte far after it.
        let mut bytes = b"name,note\n".to_vec();
        for i in 0..10_000 {
            bytes.extend_from_slice(format!("n{i},fine\n").as_bytes());
        }
        bytes.extend_from_slice(b"bad,caf\xE9\n");
        let mut s = open(&bytes);
        assert_eq!(s.encoding(), "UTF-8");
        assert!(!s.malformed());
        let last = s.by_ref().last().expect("rows");
        assert!(s.malformed());
        assert_eq!(last.cells.expect("cells"), ["bad", "caf\u{FFFD}"]);
    }

    #[test]
    fn quoted_newlines_blank_lines_and_ragged_rows_keep_their_lines() {
        let text = "姓名,备注,城市\r\n\
                    张伟,\"老客户，\r\n每年续约\",杭州\r\n\
                    \r\n\
                    \r\n\
                    王芳,\"一\n二\n三\",深圳\n\
                    李娜,只有两列\n\
                    赵强,a,b,多一列\n\
                    最后一行,没有换行,结尾";
        let mut s = open(text.as_bytes());
        let rows = records(&mut s);
        let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, [2, 6, 9, 10, 11]);
        assert_eq!(rows[0].1[1], "老客户，\r\n每年续约");
        assert_eq!(rows[1].1[1], "一\n二\n三");
        assert_eq!(rows[2].1.len(), 2, "ragged rows come as they are");
        assert_eq!(rows[3].1.len(), 4);
        assert_eq!(rows[4].1, ["最后一行", "没有换行", "结尾"]);
    }

    #[test]
    fn delimiters_are_sniffed() {
        let mut s = open("姓名\t手机\n张伟\t13800138000\n".as_bytes());
        assert_eq!(s.delimiter(), Some(b'\t'));
        assert_eq!(records(&mut s)[0].1, ["张伟", "13800138000"]);
        let s = open(b"name;phone;city\na;1;x\n");
        assert_eq!(s.delimiter(), Some(b';'));
    }

    #[test]
    fn empty_files_and_header_only() {
        for empty in [&b""[..], b"\xEF\xBB\xBF", b"\n\r\n  \n", b"\xFF\xFE"] {
            let e = Source::from_bytes(empty.to_vec()).err();
            assert_eq!(e, Some(FileError::Empty), "{empty:?}");
        }
        let msg = FileError::Empty.message(Lang::ZhCn);
        assert!(msg.contains("空"), "{msg}");
        let mut s = open("姓名,手机\r\n".as_bytes());
        assert_eq!(s.headers(), ["姓名", "手机"]);
        assert!(s.next_record().is_none());
    }

    #[test]
    fn a_line_without_an_end_stops_with_a_reason() {
        let limits = Limits {
            max_line_bytes: 1000,
            ..Limits::default()
        };
        // In the header: the file cannot be read at all.
        let e = Source::from_bytes_with(vec![b'x'; 5000], limits).err();
        assert_eq!(e, Some(FileError::LineTooLong { max: 1000 }));
        // Later: the rows before come, then the row that says why reading stopped.
        let mut bytes = b"name,note\na,b\nc,".to_vec();
        bytes.extend(std::iter::repeat_n(b'y', 5000));
        bytes.extend_from_slice(b"\nd,e\n");
        let mut s = Source::from_bytes_with(bytes, limits).expect("header");
        let first = s.next_record().expect("row");
        assert_eq!(
            (first.line, first.cells),
            (2, Ok(vec!["a".into(), "b".into()]))
        );
        let stop = s.next_record().expect("the stop");
        assert_eq!(stop.line, 3);
        let Err(p) = stop.cells else {
            panic!("a problem")
        };
        assert_eq!(
            p.kind,
            ProblemKind::Stopped(FileError::LineTooLong { max: 1000 })
        );
        assert!(p.message(Lang::ZhCn).contains("没有换行"));
        assert!(p.message(Lang::En).contains("line break"));
        assert!(s.next_record().is_none());
        assert_eq!(s.stopped(), Some(&FileError::LineTooLong { max: 1000 }));
    }

    #[test]
    fn two_gigabytes_without_a_line_break_are_not_read_into_memory() {
        // A reader that makes up an endless line: if the source kept it, this test would
        // run out of memory long before it ends.
        struct Endless(u64);
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(usize::try_from(self.0).unwrap_or(usize::MAX));
                buf[..n].fill(b'a');
                self.0 -= n as u64;
                Ok(n)
            }
        }
        impl Seek for Endless {
            fn seek(&mut self, _: SeekFrom) -> io::Result<u64> {
                self.0 = 2 << 30;
                Ok(0)
            }
        }
        let e = Source::from_input(
            Box::new(Endless(2 << 30)),
            2 << 30,
            Limits::default(),
            ReadAs::default(),
        )
        .err();
        assert_eq!(e, Some(FileError::LineTooLong { max: 1 << 20 }));
    }

    #[test]
    fn an_unclosed_quote_stops_instead_of_swallowing_the_file() {
        let limits = Limits {
            max_row_bytes: 2000,
            ..Limits::default()
        };
        let mut text = String::from("姓名,备注\n张伟,\"没有闭合的引号\n");
        for i in 0..1000 {
            text.push_str(&format!("客户{i},正常\n"));
        }
        let mut s = Source::from_bytes_with(text.into_bytes(), limits).expect("header");
        let r = s.next_record().expect("the stop");
        assert_eq!(r.line, 2);
        assert_eq!(
            r.cells.map_err(|p| p.kind),
            Err(ProblemKind::Stopped(FileError::RowTooLong { max: 2000 }))
        );
        assert!(s.next_record().is_none());
    }

    #[test]
    fn files_that_are_no_tables() {
        let mut binary = b"\x7FELF\x02\x01\x01\x00\x00\x00".to_vec();
        binary.extend((0..5000u32).map(|i| (i * 7 % 251) as u8));
        assert_eq!(Source::from_bytes(binary).err(), Some(FileError::NotText));
        let mut xls = OLE_MAGIC.to_vec();
        xls.extend([0u8; 600]);
        let e = Source::from_bytes(xls).err().expect("refused");
        assert_eq!(e, FileError::LegacyExcel);
        assert!(e.message(Lang::ZhCn).contains(".xlsx"));
        let e = Source::open(Path::new("/nonexistent/客户.csv")).err();
        assert!(matches!(e, Some(FileError::Io { .. })), "{e:?}");
    }

    #[test]
    fn opens_files_from_disk_with_progress() {
        let dir = std::env::temp_dir().join(format!("guanxi-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("客户.csv");
        let mut text = String::from("姓名,手机\n");
        for i in 0..50_000 {
            text.push_str(&format!("客户{i},138{i:08}\n"));
        }
        std::fs::write(&path, &text).expect("write");
        let mut s = Source::open(&path).expect("open");
        assert_eq!(s.total_bytes(), text.len() as u64);
        let mut seen = Vec::new();
        while let Some(r) = s.next_record() {
            if r.line % 10_000 == 0 {
                seen.push(s.bytes_read());
            }
        }
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        assert!(
            seen[0] < s.total_bytes(),
            "progress is partial while reading"
        );
        assert_eq!(s.bytes_read(), s.total_bytes());
        std::fs::remove_dir_all(&dir).expect("clean");
    }

    #[test]
    fn every_file_error_speaks_both_languages() {
        let all = [
            FileError::Io { detail: "x".into() },
            FileError::Empty,
            FileError::NotText,
            FileError::LegacyExcel,
            FileError::NotXlsx,
            FileError::TooBig {
                part: Some("xl/sharedStrings.xml".into()),
                size: 300 << 20,
                limit: 256 << 20,
            },
            FileError::TooBig {
                part: None,
                size: 3 << 30,
                limit: 1 << 30,
            },
            FileError::Ratio {
                part: "xl/worksheets/sheet1.xml".into(),
                ratio: 1000,
                limit: 200,
            },
            FileError::SharedStrings {
                strings: 9_000_000,
                memory: 600 << 20,
                limit: 320 << 20,
            },
            FileError::Xlsx { detail: "x".into() },
            FileError::NoWorksheet,
            FileError::NoSuchSheet {
                name: "Data".into(),
                sheets: vec!["Sheet1".into(), "Notes".into()],
            },
            FileError::TooManyRows { max: 1_048_576 },
            FileError::TooManyColumns { max: 16_384 },
            FileError::LineTooLong { max: 1 << 20 },
            FileError::RowTooLong { max: 1 << 20 },
        ];
        let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for e in all {
            let (zh, en) = (e.message(Lang::ZhCn), e.message(Lang::En));
            assert!(han(&zh), "{zh}");
            assert!(!han(&en) && !en.is_empty(), "{en}");
        }
        assert_eq!(size(1 << 20), "1 MB");
        assert_eq!(size(3 << 29), "1.5 GB");
        assert_eq!(size(100), "100 B");
    }
}
