//! `guanxi import`: bringing customer files in. For now the dry run of a CSV file — its
//! encoding, delimiter, the suggested column mapping and, row by row, what an import would do
//! and why a row would be refused — without touching the database.

use anyhow::Context;
use guanxi_core::Lang;
use guanxi_import::{dry_run, DateOrder, Mapping, Outcome};
use std::path::PathBuf;

/// Largest file read in one piece (the streaming import is still to come).
const FILE_MAX: u64 = 512 * 1024 * 1024;

#[derive(clap::Subcommand, Debug)]
pub enum ImportCommand {
    /// Import a CSV file of customers into an organisation: rows that match a customer by
    /// phone, e-mail or WeChat id follow `--policy`, the others become customers. All or
    /// nothing; refused rows are listed and left out.
    Customers {
        file: PathBuf,
        /// The organisation's id (`guanxi admin list-orgs`).
        #[arg(long)]
        org: i64,
        /// `skip`, `fill` (fill empty fields, add missing contact points) or `overwrite`.
        #[arg(long, default_value = "fill")]
        policy: String,
        #[arg(long, default_value = "dmy")]
        dates: String,
        #[arg(long, default_value = "zh-CN")]
        lang: String,
    },
    /// Read a CSV file of customers and report what an import would do (nothing is written).
    Check {
        file: PathBuf,
        /// How the file writes dates that are not year-first: `dmy` (5/1/2024 is 5 January)
        /// or `mdy`.
        #[arg(long, default_value = "dmy")]
        dates: String,
        /// The language of the report: `zh-CN` or `en`.
        #[arg(long, default_value = "zh-CN")]
        lang: String,
        /// Rows of problems to list (all are counted).
        #[arg(long, default_value_t = 50)]
        show: usize,
        /// Also look up each row's phone, e-mail and WeChat id among this organisation's
        /// customers (needs the database; still writes nothing).
        #[arg(long)]
        org: Option<i64>,
    },
}

/// Read a file into its report with the date order asked for.
fn read(file: &std::path::Path, dates: &str) -> anyhow::Result<guanxi_import::Report> {
    let dates = match dates {
        "mdy" => DateOrder::MonthDayYear,
        "dmy" => DateOrder::DayMonthYear,
        "ymd" => DateOrder::YearMonthDay,
        other => anyhow::bail!("--dates {other}: use dmy, mdy or ymd"),
    };
    let size = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    if size > FILE_MAX {
        anyhow::bail!(
            "{} is {} MB; files of up to {} MB are read for now",
            file.display(),
            size >> 20,
            FILE_MAX >> 20
        );
    }
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let first = dry_run(&bytes, None);
    let mapping = Mapping {
        dates,
        ..first.mapping
    };
    Ok(dry_run(&bytes, Some(mapping)))
}

/// Import the rows of a file that can be imported, in one transaction.
pub async fn import_customers(
    settings: &guanxi_config::Settings,
    cmd: ImportCommand,
) -> anyhow::Result<()> {
    let (file, org, policy, dates, lang) = match cmd {
        ImportCommand::Customers {
            file,
            org,
            policy,
            dates,
            lang,
        } => (file, org, policy, dates, lang),
        ImportCommand::Check {
            file,
            dates,
            lang,
            show,
            org: Some(org),
        } => return check_against(settings, &file, org, &dates, &lang, show).await,
        other => return run(other),
    };
    let lang = Lang::from_tag(&lang).unwrap_or(Lang::ZhCn);
    let policy = match policy.as_str() {
        "skip" => guanxi_store::ImportPolicy::Skip,
        "fill" => guanxi_store::ImportPolicy::FillEmpty,
        "overwrite" => guanxi_store::ImportPolicy::Overwrite,
        other => anyhow::bail!("--policy {other}: use skip, fill or overwrite"),
    };
    let report = read(&file, &dates)?;
    print!("{}", render(&report, lang, 50));
    let rows: Vec<guanxi_store::ImportCustomer> = report
        .rows
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Create(row) | Outcome::SameAs { row, .. } => Some(row),
            _ => None,
        })
        .map(|r| guanxi_store::ImportCustomer {
            name: r.name.clone(),
            company: r.company.clone(),
            title: r.title.clone(),
            contacts: r.contacts.clone(),
            city: r.city.clone(),
            birthday: r.birthday,
            tags: r.tags.clone(),
            note: r.note.clone(),
        })
        .collect();
    let store = crate::server::open_store(settings).await?;
    let org = guanxi_store::Store::get_org(&store, guanxi_core::OrgId(org))
        .await
        .with_context(|| format!("organisation {org}"))?;
    let started = std::time::Instant::now();
    let n = rows.len();
    let results =
        guanxi_store::Store::import_customers(&store, guanxi_store::Ctx::new(org.id), rows, policy)
            .await
            .context("importing")?;
    let created = results
        .iter()
        .filter(|r| matches!(r, guanxi_store::ImportResult::Created { .. }))
        .count();
    let updated = results
        .iter()
        .filter(|r| matches!(r, guanxi_store::ImportResult::Matched { updated: true, .. }))
        .count();
    let secs = started.elapsed().as_secs_f64();
    match lang {
        Lang::ZhCn => println!(
            "已导入 {n} 行（{secs:.1} 秒）：新建 {created}，匹配已有客户 {}（其中更新 {updated}）",
            n - created
        ),
        Lang::En => println!(
            "Imported {n} rows in {secs:.1} s: {created} created, {} matched existing customers ({updated} updated)",
            n - created
        ),
    }
    Ok(())
}

pub fn run(cmd: ImportCommand) -> anyhow::Result<()> {
    match cmd {
        ImportCommand::Customers { .. } => {
            anyhow::bail!("importing needs the database: run it through the command line")
        }
        ImportCommand::Check {
            file,
            dates,
            lang,
            show,
            ..
        } => {
            let lang = Lang::from_tag(&lang).unwrap_or(Lang::ZhCn);
            let report = read(&file, &dates)?;
            print!("{}", render(&report, lang, show));
            Ok(())
        }
    }
}

/// The report as text in `lang`.
pub fn render(r: &guanxi_import::Report, lang: Lang, show: usize) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let delimiter = match r.delimiter {
        b'\t' => "Tab".to_owned(),
        d => (d as char).to_string(),
    };
    let _ = writeln!(
        out,
        "{}: {}{} · {}: {delimiter}",
        lang.pick("编码", "Encoding"),
        r.encoding,
        if r.malformed {
            lang.pick("（有无法识别的字节）", " (some bytes did not decode)")
        } else {
            ""
        },
        lang.pick("分隔符", "Delimiter"),
    );
    let _ = writeln!(out, "{}:", lang.pick("列对应", "Columns"));
    for (h, f) in r.headers.iter().zip(&r.mapping.columns) {
        let target = match f {
            Some(f) => guanxi_import::field_label(*f, lang).to_owned(),
            None => lang.pick("（不导入）", "(left out)").to_owned(),
        };
        let _ = writeln!(out, "  {h} → {target}");
    }
    let (create, same, rejected, skipped) = r.counts();
    let _ = writeln!(
        out,
        "{}",
        match lang {
            Lang::ZhCn => format!(
                "共 {} 行：新建或匹配 {create}，与前面的行相同 {same}，拒绝 {rejected}，空行 {skipped}",
                r.rows.len()
            ),
            Lang::En => format!(
                "{} rows: {create} to create or match, {same} the same as an earlier row, {rejected} refused, {skipped} empty",
                r.rows.len()
            ),
        }
    );
    let mut listed = 0;
    for row in &r.rows {
        if listed >= show {
            break;
        }
        match &row.outcome {
            Outcome::Rejected(problems) => {
                listed += 1;
                let reasons: Vec<String> = problems.iter().map(|p| p.message(lang)).collect();
                let _ = match lang {
                    Lang::ZhCn => writeln!(out, "  第 {} 行：{}", row.line, reasons.join("；")),
                    Lang::En => writeln!(out, "  line {}: {}", row.line, reasons.join("; ")),
                };
            }
            Outcome::SameAs { line, key, .. } => {
                listed += 1;
                let _ = match lang {
                    Lang::ZhCn => writeln!(
                        out,
                        "  第 {} 行：与第 {line} 行是同一位客户（{key}）",
                        row.line
                    ),
                    Lang::En => writeln!(
                        out,
                        "  line {}: the same customer as line {line} ({key})",
                        row.line
                    ),
                };
            }
            Outcome::Create(_) | Outcome::Skipped => {}
        }
    }
    out
}

/// The dry run, with each row that would be created looked up among the organisation's
/// customers: the ones that would match are listed with the customer they would join.
async fn check_against(
    settings: &guanxi_config::Settings,
    file: &std::path::Path,
    org: i64,
    dates: &str,
    lang: &str,
    show: usize,
) -> anyhow::Result<()> {
    use guanxi_store::{ContactLookup, Store};
    let lang = Lang::from_tag(lang).unwrap_or(Lang::ZhCn);
    let report = read(file, dates)?;
    print!("{}", render(&report, lang, show));
    let store = crate::server::open_store(settings).await?;
    let org = store
        .get_org(guanxi_core::OrgId(org))
        .await
        .with_context(|| format!("organisation {org}"))?;
    let ctx = guanxi_store::Ctx::new(org.id);
    let (mut matched, mut listed) = (0usize, 0usize);
    for row in &report.rows {
        let Outcome::Create(r) = &row.outcome else {
            continue;
        };
        let mut found = None;
        for c in &r.contacts {
            if let Some(key) = ContactLookup::from_value(c) {
                if let Some(hit) = store.lookup(ctx, &key).await?.into_iter().next() {
                    found = Some((hit.id, hit.name, c.display.clone()));
                    break;
                }
            }
        }
        if let Some((id, name, via)) = found {
            matched += 1;
            if listed < show {
                listed += 1;
                match lang {
                    Lang::ZhCn => {
                        println!("  第 {} 行：匹配已有客户 #{id} {name}（{via}）", row.line)
                    }
                    Lang::En => {
                        println!("  line {}: matches customer #{id} {name} ({via})", row.line)
                    }
                }
            }
        }
    }
    match lang {
        Lang::ZhCn => println!("其中 {matched} 行会匹配已有客户，其余新建"),
        Lang::En => println!(
            "Of the rows to import, {matched} match existing customers; the others are new"
        ),
    }
    Ok(())
}
