//! Generate customer files and time reading them, for the numbers in the issue "Data in and
//! out" (a million rows in under a minute, under 500 MB).
//!
//! ```text
//! cargo build --release -p guanxi-import --example import_bench
//! import_bench gen utf8|gbk|xlsx|xlsx-shared|vcf ROWS PATH
//! import_bench read PATH         # Source alone
//! import_bench check PATH        # Source + Checker + Tally, streaming
//! import_bench dry-run PATH      # the whole file in memory, every row kept
//! import_bench range PATH.xlsx   # calamine's whole-sheet reading, for comparison
//! import_bench phones N          # the phone parser: fast path against the phonenumber crate
//! ```
//! Each prints the time, the time per row and the peak memory of the process.

use guanxi_import::{Checker, Outcome, Source, Tally};
use std::io::Write;
use std::time::Instant;

/// xorshift64: repeatable rows without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡",
    "欧阳",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞",
];
const CITIES: &[&str] = &[
    "北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京",
];
const TRADES: &[&str] = &[
    "科技", "贸易", "物流", "餐饮", "咨询", "建材", "医药", "教育",
];
const PREFIXES: &[&str] = &[
    "130", "135", "138", "139", "150", "152", "158", "166", "177", "181", "186", "189", "199",
];

/// One customer: name, mobile, e-mail, company, title, city. About 1% of rows repeat an
/// earlier mobile, 0.5% have a number Excel wrote as 1.38001E+10, 0.5% no name.
fn customer(rng: &mut Rng, i: usize, phones: &mut Vec<String>) -> [String; 6] {
    let name = match rng.below(200) {
        0 => String::new(),
        _ => format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN)),
    };
    let phone = match rng.below(200) {
        0 => "1.38001E+10".to_owned(),
        1 | 2 if !phones.is_empty() => phones[rng.below(phones.len() as u64) as usize].clone(),
        3 => {
            let p = format!("{}{:08}", rng.pick(PREFIXES), rng.below(100_000_000));
            format!("+86 {} {} {}", &p[..3], &p[3..7], &p[7..])
        }
        _ => format!("{}{:08}", rng.pick(PREFIXES), rng.below(100_000_000)),
    };
    if phones.len() < 10_000 {
        phones.push(phone.clone());
    }
    let mail = format!("user{i}.{}@example.cn", rng.below(1000));
    let company = format!(
        "{}{}{}有限公司",
        rng.pick(CITIES),
        rng.pick(&["华信", "宏达", "远航", "新星", "东方", "金桥"]),
        rng.pick(TRADES)
    );
    let title = rng
        .pick(&["经理", "总监", "采购", "工程师", "销售", ""])
        .to_owned();
    let city = rng.pick(CITIES).to_owned();
    [name, phone, mail, company, title, city]
}

const HEADER: [&str; 6] = ["姓名", "手机", "邮箱", "公司", "职务", "城市"];

fn generate(kind: &str, rows: usize, path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut phones = Vec::new();
    match kind {
        "utf8" | "gbk" => {
            let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
            let mut line = HEADER.join(",") + "\r\n";
            for i in 0..=rows {
                if i > 0 {
                    line = customer(&mut rng, i, &mut phones).join(",") + "\r\n";
                }
                if kind == "gbk" {
                    out.write_all(&encoding_rs::GBK.encode(&line).0)?;
                } else {
                    out.write_all(line.as_bytes())?;
                }
            }
            out.flush()?;
        }
        "xlsx" | "xlsx-shared" => {
            // Phones as numbers, as they usually are in sheets people make. `xlsx-shared`
            // keeps strings in a shared table, as Excel does.
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = if kind == "xlsx" {
                book.add_worksheet_with_constant_memory()?
            } else {
                book.add_worksheet_with_low_memory()?
            };
            for (c, h) in HEADER.iter().enumerate() {
                sheet.write_string(0, c as u16, *h)?;
            }
            for i in 1..=rows {
                let r = u32::try_from(i)?;
                let cells = customer(&mut rng, i, &mut phones);
                for (c, v) in cells.iter().enumerate() {
                    let digits = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
                    match v.parse::<f64>() {
                        Ok(n) if c == 1 && digits => sheet.write_number(r, c as u16, n)?,
                        _ => sheet.write_string(r, c as u16, v)?,
                    };
                }
            }
            book.save(path)?;
        }
        "vcf" => {
            let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
            for i in 1..=rows {
                let [name, phone, mail, company, title, _] = customer(&mut rng, i, &mut phones);
                let card = guanxi_import::vcard::Card {
                    uid: format!("urn:uuid:{i}"),
                    name,
                    org: Some(company),
                    title: Some(title).filter(|t| !t.is_empty()),
                    phones: vec![(phone, true)],
                    emails: vec![mail],
                    ..Default::default()
                };
                out.write_all(guanxi_import::vcard::card(&card).as_bytes())?;
            }
            out.flush()?;
        }
        other => return Err(format!("unknown kind {other}").into()),
    }
    Ok(())
}

/// The process's peak resident memory, in MB (Linux).
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let started = Instant::now();
    let (rows, what) = match args.get(1).map(String::as_str) {
        Some("gen") if args.len() == 5 => {
            generate(&args[2], args[3].parse()?, &args[4])?;
            (args[3].parse::<u64>()?, format!("generated {}", args[4]))
        }
        Some("check") if args.len() == 3 => {
            let mut source = Source::open(std::path::Path::new(&args[2]))?;
            let mut checker = Checker::new(source.suggested_mapping());
            let mut tally = Tally::default();
            let mut first_refusal = None;
            while let Some(record) = source.next_record() {
                let row = checker.check(record);
                if first_refusal.is_none() {
                    if let Outcome::Rejected(p) = &row.outcome {
                        first_refusal = Some(format!(
                            "line {}: {}",
                            row.line,
                            p[0].message(guanxi_core::Lang::En)
                        ));
                    }
                }
                tally.add(&row);
            }
            println!(
                "{} {} · {tally:?} · {} keys · first refusal: {}",
                source.format().as_str(),
                source.encoding(),
                checker.keys(),
                first_refusal.unwrap_or_default()
            );
            (tally.rows(), "checked (streaming)".to_owned())
        }
        Some("read") if args.len() == 3 => {
            // Reading alone, to tell reading from checking.
            let mut source = Source::open(std::path::Path::new(&args[2]))?;
            let mut n = 0u64;
            while let Some(r) = source.next_record() {
                n += u64::from(r.cells.is_ok());
            }
            (n, "read (no checks)".to_owned())
        }
        Some("phones") if args.len() == 3 => {
            // The phone parser alone: the fast path for mainland mobiles against the
            // phonenumber crate (`parse_in`, the slow path) on the same numbers.
            let n: u64 = args[2].parse()?;
            let mut rng = Rng(7);
            let numbers: Vec<String> = (0..n)
                .map(|_| format!("{}{:08}", rng.pick(PREFIXES), rng.below(100_000_000)))
                .collect();
            let t = Instant::now();
            let fast = numbers
                .iter()
                .filter(|p| guanxi_core::PhoneNumber::parse(p).is_ok())
                .count();
            let fast_t = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let slow = numbers
                .iter()
                .filter(|p| {
                    guanxi_core::PhoneNumber::parse_in(p, phonenumber::country::Id::CN).is_ok()
                })
                .count();
            let slow_t = t.elapsed().as_secs_f64();
            println!(
                "parse: {:.2} µs/number; phonenumber crate: {:.2} µs/number ({fast} and {slow} valid)",
                fast_t * 1e6 / n as f64,
                slow_t * 1e6 / n as f64
            );
            (n, "phones".to_owned())
        }
        Some("range") if args.len() == 3 => {
            // For comparison: calamine's whole-sheet `worksheet_range`, which the importer
            // does not use (it streams with `worksheet_cells_reader`).
            use calamine::Reader;
            let mut book: calamine::Xlsx<_> = calamine::open_workbook(&args[2])?;
            let name = book.sheet_names().first().cloned().unwrap_or_default();
            let range = book.worksheet_range(&name)?;
            (
                range.height() as u64,
                "whole sheet in memory (worksheet_range)".to_owned(),
            )
        }
        Some("dry-run") if args.len() == 3 => {
            let bytes = std::fs::read(&args[2])?;
            let report = guanxi_import::dry_run(&bytes, None);
            println!("{:?}", report.counts());
            (report.rows.len() as u64, "dry run (in memory)".to_owned())
        }
        _ => {
            eprintln!(
                "import_bench gen utf8|gbk|xlsx|xlsx-shared|vcf ROWS PATH | read PATH | check PATH | dry-run PATH"
            );
            std::process::exit(2);
        }
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{what}: {rows} rows in {secs:.2} s, {:.2} µs/row, peak {:.0} MB",
        secs * 1e6 / rows.max(1) as f64,
        peak_mb()
    );
    Ok(())
}
