//! `guanxi import`: bringing customer files (CSV, Excel .xlsx, vCard) in. `check` is the dry
//! run — encoding, delimiter, the column mapping and, row by row, what an import would do and
//! why a row would be refused — without writing anything. `customers` runs the import as a
//! resumable job with a progress bar; `resume` goes on with one that stopped; `jobs` lists
//! them; `duplicates` scans the organisation for customers that only look alike.

use anyhow::Context;
use guanxi_core::{ImportJobId, ImportKind, Lang, OrgId};
use guanxi_import::{DateOrder, Limits, Mapping, Outcome, ReadAs, Source};
use guanxi_store::{Ctx, ImportJob, ImportPolicy, NewImportJob, Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(clap::Subcommand, Debug)]
pub enum ImportCommand {
    /// Import a file of customers (CSV in any common encoding, .xlsx or .vcf) into an
    /// organisation as a resumable job: rows that match a customer by phone, e-mail or WeChat
    /// id follow `--policy`, the others become customers, refused rows are reported.
    Customers {
        file: PathBuf,
        /// The organisation's id (`guanxi admin list-orgs`).
        #[arg(long)]
        org: i64,
        /// `skip`, `fill` (fill empty fields, add missing contact points) or `overwrite`.
        #[arg(long, default_value = "fill")]
        policy: String,
        /// How the file writes dates that are not year-first: `dmy` (5/1/2024 is 5 January)
        /// or `mdy`.
        #[arg(long, default_value = "dmy")]
        dates: String,
        /// A mapping saved in the web UI (by name) instead of the one suggested by the header.
        #[arg(long)]
        mapping: Option<String>,
        #[command(flatten)]
        read: ReadArgs,
        #[arg(long, default_value = "zh-CN")]
        lang: String,
        /// No progress bar (for logs and scripts).
        #[arg(long)]
        quiet: bool,
    },
    /// Import a file of leads (姓名, 公司, 手机, 邮箱, 来源 …). A lead with the number,
    /// e-mail or WeChat id of an existing lead is reported as matched, not created twice.
    Leads(RecordArgs),
    /// Import a file of orders (订单号, 下单时间, 金额, 状态, 商品, 数量, and the buyer's name or
    /// phone). Consecutive rows with one order number are one order; an order number seen
    /// before is matched, not created again; buyers nobody knows become customers.
    Orders(RecordArgs),
    /// Import a file of interactions (时间, 方式, 内容, and the customer's name or phone), such
    /// as a call centre's log; the same contact imported twice is matched.
    Interactions(RecordArgs),
    /// Go on with an import that stopped (the process was killed, the database failed).
    Resume {
        job: i64,
        #[arg(long)]
        org: i64,
        #[arg(long, default_value = "zh-CN")]
        lang: String,
        #[arg(long)]
        quiet: bool,
    },
    /// The organisation's imports, newest first.
    Jobs {
        #[arg(long)]
        org: i64,
        #[arg(long, default_value = "zh-CN")]
        lang: String,
    },
    /// Compare every customer of the organisation with the others and queue the pairs that
    /// look like one person (same name and company, phone numbers one digit apart …) for
    /// review in the web UI.
    Duplicates {
        #[arg(long)]
        org: i64,
        #[arg(long, default_value = "zh-CN")]
        lang: String,
    },
    /// Read a file and report what an import would do (nothing is written).
    Check {
        file: PathBuf,
        /// What the file holds: customers, leads, orders or interactions.
        #[arg(long, default_value = "customers")]
        kind: String,
        /// How the file writes dates that are not year-first: `dmy` or `mdy`.
        #[arg(long, default_value = "dmy")]
        dates: String,
        #[command(flatten)]
        read: ReadArgs,
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

/// The arguments of `guanxi import leads | orders | interactions`.
#[derive(clap::Args, Debug)]
pub struct RecordArgs {
    file: PathBuf,
    /// The organisation's id (`guanxi admin list-orgs`).
    #[arg(long)]
    org: i64,
    /// How the file writes dates that are not year-first: `dmy` (5/1/2024 is 5 January) or
    /// `mdy`.
    #[arg(long, default_value = "dmy")]
    dates: String,
    /// A mapping saved in the web UI (by name) instead of the one suggested by the header.
    #[arg(long)]
    mapping: Option<String>,
    #[command(flatten)]
    read: ReadArgs,
    #[arg(long, default_value = "zh-CN")]
    lang: String,
    /// No progress bar (for logs and scripts).
    #[arg(long)]
    quiet: bool,
}

/// How to read a text file when the guess would be wrong.
#[derive(clap::Args, Debug, Default)]
pub struct ReadArgs {
    /// The file's encoding, when the guess is wrong: utf-8, gbk (gb18030), big5, utf-16le or
    /// utf-16be (a byte order mark still wins).
    #[arg(long)]
    encoding: Option<String>,
    /// The delimiter, when the guess is wrong: `,` `;` `|` or `tab`.
    #[arg(long)]
    delimiter: Option<String>,
    /// The worksheet of an Excel workbook, by name or number from 1 (the first visible one
    /// when not given).
    #[arg(long)]
    sheet: Option<String>,
}

impl ReadArgs {
    fn read_as(&self) -> anyhow::Result<ReadAs> {
        Ok(ReadAs {
            encoding: match &self.encoding {
                None => None,
                Some(e) => Some(ReadAs::encoding_named(e).with_context(|| {
                    format!("--encoding {e}: use utf-8, gbk, big5, utf-16le or utf-16be")
                })?),
            },
            delimiter: match &self.delimiter {
                None => None,
                Some(d) => Some(
                    ReadAs::delimiter_named(d)
                        .with_context(|| format!("--delimiter {d}: use , ; | or tab"))?,
                ),
            },
            sheet: self.sheet.clone(),
        })
    }
}

fn kind_of(kind: &str) -> anyhow::Result<ImportKind> {
    ImportKind::parse(kind)
        .map_err(|_| anyhow::anyhow!("--kind {kind}: use customers, leads, orders or interactions"))
}

fn date_order(dates: &str) -> anyhow::Result<DateOrder> {
    Ok(match dates {
        "mdy" => DateOrder::MonthDayYear,
        "dmy" => DateOrder::DayMonthYear,
        "ymd" => DateOrder::YearMonthDay,
        other => anyhow::bail!("--dates {other}: use dmy, mdy or ymd"),
    })
}

fn lang_of(tag: &str) -> Lang {
    Lang::from_tag(tag).unwrap_or(Lang::ZhCn)
}

/// Open a file as a table, with the reason in `lang` when it cannot be read.
fn open(file: &Path, read_as: ReadAs, lang: Lang) -> anyhow::Result<Source> {
    Source::open_as(file, Limits::default(), read_as)
        .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e.message(lang)))
}

/// The dry run, streamed: counts of every outcome and the first `show` rows that need a look.
struct Checked {
    text: String,
    creatable: Vec<(u64, guanxi_import::ImportRow)>,
}

/// How `check_file` reads and reports a file.
struct CheckWith<'a> {
    kind: ImportKind,
    dates: &'a str,
    read_as: ReadAs,
    lang: Lang,
    show: usize,
    keep_rows: bool,
    /// The organisation's custom fields (none without a database).
    custom: &'a [guanxi_import::CustomField],
}

fn check_file(file: &Path, with: CheckWith<'_>) -> anyhow::Result<Checked> {
    use std::fmt::Write as _;
    let CheckWith {
        kind,
        dates,
        read_as,
        lang,
        show,
        keep_rows,
        custom,
    } = with;
    let mut source = open(file, read_as, lang)?;
    let mut mapping = if kind == ImportKind::Customers {
        source.suggested_mapping()
    } else {
        Mapping::suggest_for(kind, source.headers())
    };
    mapping.dates = date_order(dates)?;
    mapping.suggest_custom(source.headers(), custom, |_| true);
    let mut out = String::new();
    let delimiter = match source.delimiter() {
        Some(b'\t') => "Tab".to_owned(),
        Some(d) => (d as char).to_string(),
        None => "—".to_owned(),
    };
    let _ = writeln!(
        out,
        "{}: {} · {}: {} · {}: {delimiter}",
        lang.pick("格式", "Format"),
        source.format().as_str(),
        lang.pick("编码", "Encoding"),
        source.encoding(),
        lang.pick("分隔符", "Delimiter"),
    );
    if let Some(sheet) = source.sheet() {
        let _ = writeln!(
            out,
            "{}: {sheet} ({})",
            lang.pick("工作表", "Worksheet"),
            source.sheets().join(lang.pick("、", ", "))
        );
    }
    let _ = writeln!(out, "{}:", lang.pick("列对应", "Columns"));
    for (i, h) in source.headers().iter().enumerate() {
        let target = match (
            mapping.columns.get(i).copied().flatten(),
            mapping.custom_at(i),
        ) {
            (Some(f), _) => guanxi_import::field_label(f, lang).to_owned(),
            (None, Some(c)) => c.label(lang).to_owned(),
            (None, None) => lang.pick("（不导入）", "(left out)").to_owned(),
        };
        let _ = writeln!(out, "  {h} → {target}");
    }
    let mut checker = guanxi_import::Checker::with_width(mapping, source.headers().len());
    let (mut create, mut same, mut rejected, mut skipped) = (0u64, 0u64, 0u64, 0u64);
    let mut listed = 0;
    let mut list = String::new();
    let mut creatable = Vec::new();
    while let Some(rec) = source.next_record() {
        let row = checker.check(rec);
        match &row.outcome {
            Outcome::Create(r) => {
                create += 1;
                if keep_rows {
                    creatable.push((row.line, r.clone()));
                }
            }
            Outcome::Record(_) => create += 1,
            Outcome::Skipped => skipped += 1,
            Outcome::Rejected(problems) => {
                rejected += 1;
                if listed < show {
                    listed += 1;
                    let reasons: Vec<String> = problems.iter().map(|p| p.message(lang)).collect();
                    let _ = match lang {
                        Lang::ZhCn => {
                            writeln!(list, "  第 {} 行：{}", row.line, reasons.join("；"))
                        }
                        Lang::En => writeln!(list, "  line {}: {}", row.line, reasons.join("; ")),
                    };
                }
            }
            Outcome::SameAs { line, key, .. } => {
                same += 1;
                if listed < show {
                    listed += 1;
                    let _ = match lang {
                        Lang::ZhCn => writeln!(
                            list,
                            "  第 {} 行：与第 {line} 行是同一位客户（{key}）",
                            row.line
                        ),
                        Lang::En => writeln!(
                            list,
                            "  line {}: the same customer as line {line} ({key})",
                            row.line
                        ),
                    };
                }
            }
        }
    }
    if source.malformed() {
        let _ = writeln!(
            out,
            "{}",
            lang.pick(
                "注意：有些字节不符合识别出的编码，已显示为 �",
                "Note: some bytes did not fit the detected encoding and show as �"
            )
        );
    }
    let total = create + same + rejected + skipped;
    let _ = writeln!(
        out,
        "{}",
        match lang {
            Lang::ZhCn => format!(
                "共 {total} 行：新建或匹配 {create}，与前面的行相同 {same}，拒绝 {rejected}，空行 {skipped}"
            ),
            Lang::En => format!(
                "{total} rows: {create} to create or match, {same} the same as an earlier row, {rejected} refused, {skipped} empty"
            ),
        }
    );
    out.push_str(&list);
    Ok(Checked {
        text: out,
        creatable,
    })
}

/// `guanxi import check` without a database.
pub fn run(cmd: ImportCommand) -> anyhow::Result<()> {
    match cmd {
        ImportCommand::Check {
            file,
            kind,
            dates,
            read,
            lang,
            show,
            ..
        } => {
            let checked = check_file(
                &file,
                CheckWith {
                    kind: kind_of(&kind)?,
                    dates: &dates,
                    read_as: read.read_as()?,
                    lang: lang_of(&lang),
                    show,
                    keep_rows: false,
                    custom: &[],
                },
            )?;
            print!("{}", checked.text);
            Ok(())
        }
        _ => anyhow::bail!("this command needs the database"),
    }
}

/// The commands that need the database.
pub async fn run_with_store(
    settings: &guanxi_config::Settings,
    cmd: ImportCommand,
) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = Arc::new(crate::server::open_store(settings).await?);
    match cmd {
        ImportCommand::Check {
            file,
            kind,
            dates,
            read,
            lang,
            show,
            org: Some(org),
        } if kind == "customers" => {
            check_against(&*store, &file, org, &dates, read.read_as()?, &lang, show).await
        }
        ImportCommand::Check { .. } => run(cmd),
        ImportCommand::Customers {
            file,
            org,
            policy,
            dates,
            mapping,
            read,
            lang,
            quiet,
        } => {
            let policy = ImportPolicy::parse(&policy)
                .with_context(|| format!("--policy {policy}: use skip, fill or overwrite"))?;
            let args = RecordArgs {
                file,
                org,
                dates,
                mapping,
                read,
                lang,
                quiet,
            };
            import_file(store, ImportKind::Customers, policy, args).await
        }
        ImportCommand::Leads(args) => {
            import_file(store, ImportKind::Leads, ImportPolicy::Skip, args).await
        }
        ImportCommand::Orders(args) => {
            import_file(store, ImportKind::Orders, ImportPolicy::Skip, args).await
        }
        ImportCommand::Interactions(args) => {
            import_file(store, ImportKind::Interactions, ImportPolicy::Skip, args).await
        }
        ImportCommand::Resume {
            job,
            org,
            lang,
            quiet,
        } => {
            let lang = lang_of(&lang);
            let ctx = org_ctx(&*store, org).await?;
            let job = store.import_job(ctx, ImportJobId(job)).await?;
            if job.file_removed_at.is_some() {
                anyhow::bail!(
                    "{}",
                    lang.pick(
                        "这个任务上传的文件已超过保留期限并被删除，无法继续；请重新上传文件",
                        "the job's uploaded file was deleted after the retention period, so it cannot resume; upload the file again"
                    )
                );
            }
            let path = job
                .file_path
                .clone()
                .context("the job does not say where its file is")?;
            let mapping: Mapping =
                serde_json::from_value(job.mapping.clone()).context("the job's mapping")?;
            run_job(store, ctx, job, PathBuf::from(path), mapping, lang, quiet).await
        }
        ImportCommand::Jobs { org, lang } => {
            let lang = lang_of(&lang);
            let ctx = org_ctx(&*store, org).await?;
            for j in store.import_jobs(ctx, 50).await? {
                println!(
                    "#{} {} {} · {} · {}",
                    j.id,
                    j.created_at.format("%Y-%m-%d %H:%M"),
                    j.file_name,
                    status_label(&j, lang),
                    summary(&j, lang)
                );
            }
            Ok(())
        }
        ImportCommand::Duplicates { org, lang } => {
            let lang = lang_of(&lang);
            let ctx = org_ctx(&*store, org).await?;
            let started = std::time::Instant::now();
            // Recorded like a scan started on the page: the page shows it running, then what
            // it found; one that is already running (there, or in another terminal) is not
            // started twice.
            let scan = match store.start_duplicate_scan(ctx).await {
                Ok(scan) => scan,
                Err(StoreError::Conflict { .. }) => {
                    let running = store.duplicate_scans(ctx, 1).await?.into_iter().next();
                    anyhow::bail!(match (lang, running) {
                        (Lang::ZhCn, Some(r)) =>
                            format!("已有一次扫描正在进行（#{}），请等待其完成后再试", r.id),
                        (Lang::En, Some(r)) =>
                            format!("scan #{} is already running; wait for it to end", r.id),
                        (Lang::ZhCn, None) => "已有一次扫描正在进行，请等待其完成后再试".to_owned(),
                        (Lang::En, None) =>
                            "a scan is already running; wait for it to end".to_owned(),
                    });
                }
                Err(e) => return Err(e.into()),
            };
            let s = guanxi_api::import_jobs::run_scan(store.clone(), ctx, scan.id).await?;
            let secs = started.elapsed().as_secs_f64();
            match lang {
                Lang::ZhCn => println!(
                    "比对了 {} 位客户（{} 组同名），新发现疑似重复 {} 对，用时 {secs:.1} 秒；请在“疑似重复”页面处理",
                    s.customers, s.groups, s.found
                ),
                Lang::En => println!(
                    "Compared {} customers ({} groups with one name), {} new possible duplicate pairs in {secs:.1} s; review them under \"Possible duplicates\"",
                    s.customers, s.groups, s.found
                ),
            }
            Ok(())
        }
    }
}

/// Make a job for a file and import it at once, with a progress bar.
async fn import_file(
    store: Arc<dyn Store>,
    kind: ImportKind,
    policy: ImportPolicy,
    args: RecordArgs,
) -> anyhow::Result<()> {
    let RecordArgs {
        file,
        org,
        dates,
        mapping,
        read,
        lang,
        quiet,
    } = args;
    let read_as = read.read_as()?;
    let lang = lang_of(&lang);
    let ctx = org_ctx(&*store, org).await?;
    let file =
        std::fs::canonicalize(&file).with_context(|| format!("reading {}", file.display()))?;
    let source = open(&file, read_as, lang)?;
    if kind != ImportKind::Customers && source.format() == guanxi_import::Format::Vcard {
        anyhow::bail!(
            "{}",
            lang.pick(
                "vCard 名片只能导入为客户",
                "a vCard file can only be imported as customers"
            )
        );
    }
    let fields = if kind == ImportKind::Customers {
        guanxi_api::import_jobs::custom_fields(&*store, ctx)
            .await
            .map_err(|e| anyhow::anyhow!("custom fields: {e:?}"))?
    } else {
        Vec::new()
    };
    let mapping = match mapping {
        Some(name) => {
            let saved = store
                .import_mappings(ctx)
                .await?
                .into_iter()
                .find(|m| m.name == name)
                .with_context(|| format!("no saved mapping named {name:?}"))?;
            let saved_headers: Option<Vec<String>> =
                serde_json::from_value(saved.mapping["headers"].clone()).ok();
            let m: Mapping = serde_json::from_value(saved.mapping)
                .context("the saved mapping cannot be read")?;
            if m.kind != kind {
                anyhow::bail!(
                    "the mapping {name:?} is for {}, not {}",
                    m.kind.label(Lang::En),
                    kind.label(Lang::En)
                );
            }
            // Columns are found by their headers (a mapping saved without them goes by
            // position and needs the file's width).
            m.for_file(saved_headers.as_deref(), source.headers(), &fields)
                .map_err(|width| {
                    anyhow::anyhow!(
                        "the mapping {name:?} has {width} columns, the file {}",
                        source.headers().len()
                    )
                })?
        }
        None => {
            let mut m = if kind == ImportKind::Customers {
                source.suggested_mapping()
            } else {
                Mapping::suggest_for(kind, source.headers())
            };
            m.dates = date_order(&dates)?;
            m.suggest_custom(source.headers(), &fields, |_| true);
            m
        }
    };
    if let Err(e) = guanxi_api::import_jobs::check_mapping(&mapping) {
        let fields: Vec<String> = e
            .fields()
            .iter()
            .map(|f| format!("{}: {}", f.field, f.reason.message(lang)))
            .collect();
        anyhow::bail!(
            "{} {}",
            lang.pick(
                "表头对应不出导入所需的列（订单需要日期、金额和客户的姓名或电话；沟通记录需要日期和客户的姓名或电话）：",
                "the header does not give the columns an import needs (orders: a date, an amount and the customer's name or phone; interactions: a date and the customer's name or phone):"
            ),
            fields.join("; ")
        );
    }
    let size = std::fs::metadata(&file)?.len();
    let sha = guanxi_api::imports::file_sha256(&file)?;
    let job = store
        .create_import_job(
            ctx,
            NewImportJob {
                kind,
                file_name: file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "import".into()),
                file_path: Some(file.to_string_lossy().into_owned()),
                file_size: size,
                file_sha256: sha,
                format: source.format().as_str().to_owned(),
                encoding: source.encoding().to_owned(),
                mapping: guanxi_api::import_jobs::job_mapping(
                    &mapping,
                    source.headers(),
                    source.delimiter(),
                    source.sheet().map(|sheet| (sheet, source.sheets())),
                ),
                policy,
                mode: guanxi_store::ImportMode::Import,
            },
        )
        .await?;
    drop(source);
    match lang {
        Lang::ZhCn => eprintln!(
            "导入任务 #{}（中断后可用 guanxi import resume {} --org {org} 继续）",
            job.id, job.id
        ),
        Lang::En => eprintln!(
            "Import job #{} (if it stops, go on with: guanxi import resume {} --org {org})",
            job.id, job.id
        ),
    }
    run_job(store, ctx, job, file, mapping, lang, quiet).await
}

async fn org_ctx(store: &dyn Store, org: i64) -> anyhow::Result<Ctx> {
    let org = store
        .get_org(OrgId(org))
        .await
        .with_context(|| format!("organisation {org}"))?;
    Ok(Ctx::new(org.id))
}

pub fn status_label(j: &ImportJob, lang: Lang) -> &'static str {
    use guanxi_store::ImportStatus as S;
    // A job whose upload the retention rule deleted cannot go on.
    let can_go_on = j.file_removed_at.is_none();
    match (j.status, j.interrupted) {
        (S::Running, true) if can_go_on => {
            lang.pick("已中断（可继续）", "interrupted (can resume)")
        }
        (S::Running, true) => lang.pick("已中断（文件已删除）", "interrupted (file deleted)"),
        (S::Running, false) => lang.pick("进行中", "running"),
        (S::Done, _) => lang.pick("已完成", "done"),
        (S::Failed, _) if can_go_on => lang.pick("失败（可继续）", "failed (can resume)"),
        (S::Failed, _) => lang.pick("失败（文件已删除）", "failed (file deleted)"),
        (S::Cancelled, _) => lang.pick("已取消", "cancelled"),
    }
}

pub fn summary(j: &ImportJob, lang: Lang) -> String {
    let c = &j.counts;
    if j.kind != ImportKind::Customers {
        let what = j.kind.label(lang);
        return match lang {
            Lang::ZhCn => format!(
                "{} 行：新建{what} {}，已存在 {}，拒绝 {}，空行 {}，为其新建客户 {}",
                j.rows_done, c.created, c.matched, c.rejected, c.skipped, c.customers
            ),
            Lang::En => format!(
                "{} rows: {} {what} created, {} already there, {} refused, {} empty, {} customers created for them",
                j.rows_done, c.created, c.matched, c.rejected, c.skipped, c.customers
            ),
        };
    }
    match lang {
        Lang::ZhCn => format!(
            "{} 行：新建 {}（另建公司 {}），匹配已有客户 {}（更新 {}），与前面的行合并 {}，拒绝 {}，空行 {}，疑似重复 {}",
            j.rows_done, c.created, c.companies, c.matched, c.updated, c.same_as, c.rejected, c.skipped, c.duplicates
        ),
        Lang::En => format!(
            "{} rows: {} created ({} companies added), {} matched existing customers ({} updated), {} merged into earlier rows, {} refused, {} empty, {} possible duplicates",
            j.rows_done, c.created, c.companies, c.matched, c.updated, c.same_as, c.rejected, c.skipped, c.duplicates
        ),
    }
}

async fn run_job(
    store: Arc<dyn Store>,
    ctx: Ctx,
    job: ImportJob,
    file: PathBuf,
    mapping: Mapping,
    lang: Lang,
    quiet: bool,
) -> anyhow::Result<()> {
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(job.file_size.max(1))
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {percent:>3}% {msg} · ETA {eta} ({elapsed})",
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    bar.set_position(job.bytes_done);
    let started = std::time::Instant::now();
    let first = job.rows_done;
    let id = job.id;
    let result = guanxi_api::imports::run(store.clone(), ctx, id, file, mapping, |p| {
        bar.set_position(p.bytes);
        let secs = started.elapsed().as_secs_f64().max(0.001);
        let rate = (p.rows - first) as f64 / secs;
        bar.set_message(match lang {
            Lang::ZhCn => format!("{} 行，{rate:.0} 行/秒", p.rows),
            Lang::En => format!("{} rows, {rate:.0} rows/s", p.rows),
        });
    })
    .await;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    match result {
        Ok(job) => {
            println!(
                "#{} {} ({secs:.1} s) · {}",
                job.id,
                status_label(&job, lang),
                summary(&job, lang)
            );
            for n in store
                .import_rows(ctx, id, Some("rejected".into()), 0, 20)
                .await?
            {
                let reasons: Vec<String> = n.detail["reasons"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|r| {
                                r[if lang == Lang::ZhCn { "zh" } else { "en" }].as_str()
                            })
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                match lang {
                    Lang::ZhCn => println!("  第 {} 行：{}", n.line, reasons.join("；")),
                    Lang::En => println!("  line {}: {}", n.line, reasons.join("; ")),
                }
            }
            Ok(())
        }
        Err(e) => anyhow::bail!("{}", e.message(lang)),
    }
}

/// The dry run, with each row that would be created looked up among the organisation's
/// customers: the ones that would match are listed with the customer they would join.
async fn check_against(
    store: &dyn Store,
    file: &Path,
    org: i64,
    dates: &str,
    read_as: ReadAs,
    lang: &str,
    show: usize,
) -> anyhow::Result<()> {
    use guanxi_store::ContactLookup;
    let lang = lang_of(lang);
    let ctx = org_ctx(store, org).await?;
    // The organisation's custom fields are columns like the others.
    let custom = guanxi_api::import_jobs::custom_fields(store, ctx)
        .await
        .map_err(|e| anyhow::anyhow!("custom fields: {e:?}"))?;
    let checked = check_file(
        file,
        CheckWith {
            kind: ImportKind::Customers,
            dates,
            read_as,
            lang,
            show,
            keep_rows: true,
            custom: &custom,
        },
    )?;
    print!("{}", checked.text);
    let (mut matched, mut listed) = (0usize, 0usize);
    for (line, r) in &checked.creatable {
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
                    Lang::ZhCn => println!("  第 {line} 行：匹配已有客户 #{id} {name}（{via}）"),
                    Lang::En => println!("  line {line}: matches customer #{id} {name} ({via})"),
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
