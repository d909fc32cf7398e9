//! Running an import job: the file is read and checked on a blocking thread (`guanxi-import`),
//! chunks of decided rows go to the store, which writes each chunk with the job's progress in
//! one transaction. The command line and the server's background jobs both run imports here;
//! a job that stopped (killed process, failed database) resumes from its last chunk.

use guanxi_core::{ImportJobId, ImportKind, Lang};
use guanxi_import::{Limits, Mapping, Outcome, ReadAs, RecordRow, RowReport, Source};
use guanxi_store::{
    ChunkRow, Ctx, ImportChunk, ImportCounts, ImportCustomer, ImportCustomerRef, ImportInteraction,
    ImportJob, ImportLead, ImportMode, ImportOrder, ImportOrderLine, RecordChunk, RecordItem, Said,
    ScanScope, Store, StoreError,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Records per chunk of a file of leads, orders or interactions: large enough for set-wise
/// lookups, small enough that a resumed import repeats little and progress moves every
/// fraction of a second. Customer files take the store's own size
/// ([`Store::import_chunk_rows`]), which is larger on SQLite.
pub const CHUNK_ROWS: usize = 10_000;

/// Where an import stands while it runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    /// Records of the file written (including those before a resume).
    pub rows: u64,
    pub bytes: u64,
    pub total_bytes: u64,
    /// What this run did (a resumed run starts from the job's counts).
    pub counts: ImportCounts,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The file cannot be read as a table (empty, a zip bomb, not a spreadsheet …).
    #[error("{}", .0.zh)]
    File(Said),
    /// The file is not the one the job started with.
    #[error("the file changed since the import started")]
    Changed,
    #[error("reading the file: {0}")]
    Io(String),
}

impl RunError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Self::File(s) => lang.pick(&s.zh, &s.en).to_owned(),
            Self::Changed => lang
                .pick(
                    "文件在导入开始后被修改过，无法继续导入；请重新上传",
                    "the file changed since the import started, so it cannot resume; upload it again",
                )
                .to_owned(),
            Self::Io(e) => match lang {
                Lang::ZhCn => format!("读取文件失败：{e}"),
                Lang::En => format!("reading the file failed: {e}"),
            },
            Self::Store(e) => e.to_string(),
        }
    }
}

/// Hex SHA-256 of a file, read in blocks.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn said(f: impl Fn(Lang) -> String) -> Said {
    Said {
        zh: f(Lang::ZhCn),
        en: f(Lang::En),
    }
}

/// A checked row as the store takes it.
fn chunk_row(r: RowReport) -> ChunkRow {
    let line = r.line;
    let to = |row: guanxi_import::ImportRow| ImportCustomer {
        name: row.name,
        company: row.company,
        title: row.title,
        contacts: row.contacts,
        city: row.city,
        birthday: row.birthday,
        tags: row.tags,
        note: row.note,
        custom: row.custom,
    };
    match r.outcome {
        Outcome::Create(row) => ChunkRow::Import { line, row: to(row) },
        Outcome::SameAs {
            line: first, row, ..
        } => ChunkRow::SameAs {
            line,
            first_line: first,
            row: to(row),
        },
        Outcome::Rejected(problems) => ChunkRow::Rejected {
            line,
            reasons: problems.iter().map(|p| said(|l| p.message(l))).collect(),
        },
        // A checker for customers gives no records; an empty row is skipped.
        Outcome::Skipped | Outcome::Record(_) => ChunkRow::Skipped { line },
    }
}

/// An import reads its file through once before it writes anything: a file that cannot be
/// read to its end (an unclosed quote that swallows the rest, a broken archive) fails the job
/// with nothing written, instead of after the chunks before the break, which would have left
/// an import that no resume can finish. Reading costs a few seconds at a million rows.
fn read_through(path: &Path, read_as: ReadAs) -> Result<(), RunError> {
    let mut source = Source::open_as(path, Limits::default(), read_as)
        .map_err(|e| RunError::File(said(|l| e.message(l))))?;
    while source.next_record().is_some() {}
    match source.stopped() {
        Some(e) => Err(RunError::File(said(|l| e.message(l)))),
        None => Ok(()),
    }
}

/// How a job's file is read, every time: with the encoding and delimiter it was first read
/// with (detected, or chosen by hand at the upload), so that a check, its import and a resume
/// split and decode the rows alike.
pub fn read_as_of(job: &ImportJob) -> ReadAs {
    ReadAs {
        encoding: ReadAs::encoding_named(&job.encoding),
        delimiter: crate::routes::imports::delimiter_of(&job.mapping),
        sheet: crate::routes::imports::sheet_of(&job.mapping).map(|(sheet, _)| sheet),
    }
}

/// One chunk from the reader thread: its rows and the bytes read when it ends.
type Batch = (Vec<ChunkRow>, u64);

/// Run (or resume) a job on the file at `path` with `mapping`. Calls `progress` after every
/// chunk. Claims the job first, so two processes never run one job; on a failure the job is
/// marked failed (and can be resumed).
pub async fn run(
    store: Arc<dyn Store>,
    ctx: Ctx,
    id: ImportJobId,
    path: PathBuf,
    mapping: Mapping,
    mut progress: impl FnMut(&Progress) + Send,
) -> Result<ImportJob, RunError> {
    let job = store.claim_import_job(ctx, id).await?;
    let ran = match job.kind {
        ImportKind::Customers => {
            run_claimed(&*store, ctx, &job, path, mapping, &mut progress).await
        }
        _ => run_records(&*store, ctx, &job, path, mapping, &mut progress).await,
    };
    match ran {
        Ok(()) => {}
        Err(RunError::Store(StoreError::Conflict { field, .. })) if field == "status" => {
            // Cancelled while running: what was written stays, as the user was told.
            return Ok(store.import_job(ctx, id).await?);
        }
        Err(e) => {
            let msg = e.message(Lang::ZhCn) + " / " + &e.message(Lang::En);
            // The job records the failure; if even that fails, the heartbeat runs out and the
            // job shows as interrupted.
            let _ = store.finish_import_job(ctx, id, 0, Some(msg)).await;
            return Err(e);
        }
    }
    // Rows that only look like existing customers go to the review queue.
    let duplicates = match store.import_first_customer(ctx, id).await? {
        Some(_) if job.mode == ImportMode::Check => 0,
        Some(first) => {
            store
                .scan_duplicates(ctx, ScanScope::From(first), format!("import:{}", id.get()))
                .await?
                .found
        }
        None => 0,
    };
    Ok(store.finish_import_job(ctx, id, duplicates, None).await?)
}

async fn run_claimed(
    store: &dyn Store,
    ctx: Ctx,
    job: &ImportJob,
    path: PathBuf,
    mapping: Mapping,
    progress: &mut (impl FnMut(&Progress) + Send),
) -> Result<(), RunError> {
    let expected = job.file_sha256.clone();
    let skip = job.rows_done;
    let importing = job.mode == ImportMode::Import;
    let read_as = read_as_of(job);
    let chunk_rows = store
        .import_chunk_rows()
        .clamp(1, guanxi_store::IMPORT_CHUNK_MAX);
    // One chunk waits while the store writes another: the reader checks a chunk in a fraction
    // of the time the store takes to write it, and a waiting chunk holds tens of megabytes.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Batch, RunError>>(1);
    let reader = tokio::task::spawn_blocking(move || {
        let send = |b: Result<Batch, RunError>| tx.blocking_send(b).is_ok();
        let sha = match file_sha256(&path) {
            Ok(s) => s,
            Err(e) => return send(Err(RunError::Io(e.to_string()))),
        };
        if sha != expected {
            return send(Err(RunError::Changed));
        }
        if importing {
            if let Err(e) = read_through(&path, read_as.clone()) {
                return send(Err(e));
            }
        }
        let mut source = match Source::open_as(&path, Limits::default(), read_as) {
            Ok(s) => s,
            Err(e) => return send(Err(RunError::File(said(|l| e.message(l))))),
        };
        let mut checker = guanxi_import::Checker::new(mapping);
        let mut seen = 0u64;
        let mut rows = Vec::with_capacity(chunk_rows);
        while let Some(rec) = source.next_record() {
            // Rows written before a resume are read again only to know the file's earlier
            // phones and e-mails (rows that repeat them are merged, not created).
            let report = checker.check(rec);
            seen += 1;
            if seen <= skip {
                continue;
            }
            rows.push(chunk_row(report));
            if rows.len() == chunk_rows {
                let full = std::mem::replace(&mut rows, Vec::with_capacity(chunk_rows));
                if !send(Ok((full, source.bytes_read()))) {
                    return false;
                }
            }
        }
        // A file that cannot be read on (a line of more than a megabyte, a broken archive)
        // fails the job with its reason; what was written stays and the job can be looked at.
        if let Some(e) = source.stopped() {
            let e = RunError::File(said(|l| e.message(l)));
            if !rows.is_empty() && !send(Ok((rows, source.bytes_read()))) {
                return false;
            }
            return send(Err(e));
        }
        if !rows.is_empty() {
            return send(Ok((rows, source.bytes_read())));
        }
        true
    });
    let mut p = Progress {
        rows: job.rows_done,
        bytes: job.bytes_done,
        total_bytes: job.file_size,
        counts: ImportCounts::default(),
    };
    while let Some(batch) = rx.recv().await {
        let (rows, bytes) = batch?;
        let n = rows.len() as u64;
        let counts = store
            .import_chunk(
                ctx,
                job.id,
                ImportChunk {
                    from_row: p.rows,
                    bytes_done: bytes,
                    rows,
                },
            )
            .await?;
        p.rows += n;
        p.bytes = bytes;
        p.counts.add(&counts);
        progress(&p);
    }
    reader
        .await
        .map_err(|e| RunError::Io(format!("the reader stopped: {e}")))?;
    Ok(())
}

fn customer_ref(c: guanxi_import::CustomerRef) -> ImportCustomerRef {
    ImportCustomerRef {
        name: c.name,
        company: c.company,
        contacts: c.contacts,
    }
}

/// What the reader hands over: a record, or an order still taking lines.
#[allow(clippy::large_enum_variant)]
enum Taken {
    Item(RecordItem),
    Order { line: u64, order: ImportOrder },
}

/// A checked row of a file of leads, orders or interactions as the store takes it.
fn record_item(r: RowReport) -> Taken {
    let line = r.line;
    match r.outcome {
        Outcome::Record(RecordRow::Lead(l)) => Taken::Item(RecordItem::Lead {
            line,
            lead: ImportLead {
                name: l.name,
                company: l.company,
                title: l.title,
                phone: l.phone,
                email: l.email,
                wechat: l.wechat,
                region: l.region,
                source: l.source,
                note: l.note,
            },
        }),
        Outcome::Record(RecordRow::Order(o)) => Taken::Order {
            line,
            order: ImportOrder {
                customer: customer_ref(o.customer),
                external_id: o.order_no,
                placed: o.placed,
                currency: o.currency,
                status: o.status,
                note: o.note,
                lines: vec![ImportOrderLine {
                    description: o.product.unwrap_or_else(|| "—".into()),
                    quantity: o.quantity,
                    amount: o.amount,
                }],
            },
        },
        Outcome::Record(RecordRow::Interaction(i)) => Taken::Item(RecordItem::Interaction {
            line,
            interaction: ImportInteraction {
                customer: customer_ref(i.customer),
                occurred: i.occurred,
                channel: i.channel,
                direction: i.direction,
                subject: i.subject,
                body: i.body,
                duration_seconds: i.duration_seconds,
            },
        }),
        Outcome::Rejected(problems) => Taken::Item(RecordItem::Rejected {
            line,
            reasons: problems.iter().map(|p| said(|l| p.message(l))).collect(),
        }),
        // A customer row cannot come out of a checker for records; an empty row is skipped.
        Outcome::Skipped | Outcome::Create(_) | Outcome::SameAs { .. } => {
            Taken::Item(RecordItem::Skipped { line })
        }
    }
}

/// One chunk of records from the reader thread: its items, the rows of the file they cover
/// and the bytes read when it ends.
type RecordBatch = (Vec<RecordItem>, u64, u64);

/// Put a finished order into the chunk, remembering where its number is.
fn close_order(
    items: &mut Vec<RecordItem>,
    in_chunk: &mut HashMap<String, usize>,
    line: u64,
    order: ImportOrder,
) {
    if let Some(no) = &order.external_id {
        in_chunk.insert(no.clone(), items.len());
    }
    items.push(RecordItem::Order { line, order });
}

/// Why a row of an order already written is refused.
fn scattered_order(lang: Lang, no: &str, first: u64) -> String {
    match lang {
        Lang::ZhCn => format!(
            "订单 {no} 已从第 {first} 行起导入，这一行没有跟它的其他行排在一起（或该订单超过 1000 行）；请按订单号排序后再导入这些行"
        ),
        Lang::En => format!(
            "order {no} was already imported from line {first}; this row is not next to its other rows (or the order has more than 1,000); sort the file by order number and import these rows again"
        ),
    }
}

/// Run a job of leads, orders or interactions. Rows with the same order number are one order
/// (a line each; rows not next to the others join it within their chunk, later ones are
/// refused); a chunk never splits an order of up to 1,000 lines, so a resumed import starts at
/// an order's first row.
async fn run_records(
    store: &dyn Store,
    ctx: Ctx,
    job: &ImportJob,
    path: PathBuf,
    mapping: Mapping,
    progress: &mut (impl FnMut(&Progress) + Send),
) -> Result<(), RunError> {
    let expected = job.file_sha256.clone();
    let skip = job.rows_done;
    let importing = job.mode == ImportMode::Import;
    let read_as = read_as_of(job);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<RecordBatch, RunError>>(2);
    let reader = tokio::task::spawn_blocking(move || {
        let send = |b: Result<RecordBatch, RunError>| tx.blocking_send(b).is_ok();
        let sha = match file_sha256(&path) {
            Ok(s) => s,
            Err(e) => return send(Err(RunError::Io(e.to_string()))),
        };
        if sha != expected {
            return send(Err(RunError::Changed));
        }
        if importing {
            if let Err(e) = read_through(&path, read_as.clone()) {
                return send(Err(e));
            }
        }
        let mut source = match Source::open_as(&path, Limits::default(), read_as) {
            Ok(s) => s,
            Err(e) => return send(Err(RunError::File(said(|l| e.message(l))))),
        };
        let width = source.headers().len();
        let mut checker = guanxi_import::Checker::with_width(mapping, width);
        let mut seen = 0u64;
        let mut items: Vec<RecordItem> = Vec::with_capacity(CHUNK_ROWS);
        // Rows of the file in `items`, and the order still taking lines with its rows.
        let mut rows = 0u64;
        let mut open: Option<(u64, ImportOrder, u64)> = None;
        // Every order number of the file so far, with its first line; and those of the orders
        // in `items`, with their place. A row of an order whose rows are not next to each other
        // joins it while it is in the same chunk; once its order has been written it is refused
        // with the line to look at (it used to be reported as an order already there, and its
        // lines were lost).
        let mut first_lines: HashMap<String, u64> = HashMap::new();
        let mut in_chunk: HashMap<String, usize> = HashMap::new();
        while let Some(rec) = source.next_record() {
            let report = checker.check(rec);
            seen += 1;
            if seen <= skip {
                if let Outcome::Record(RecordRow::Order(o)) = &report.outcome {
                    if let Some(no) = &o.order_no {
                        first_lines.entry(no.clone()).or_insert(report.line);
                    }
                }
                continue;
            }
            match record_item(report) {
                Taken::Order { line, order } => {
                    let no = order.external_id.clone();
                    let same = match (&open, &no) {
                        (Some((_, o, _)), Some(no)) => o.external_id.as_deref() == Some(no),
                        _ => false,
                    };
                    if same {
                        if let Some((_, o, n)) = open.as_mut() {
                            o.lines.extend(order.lines);
                            *n += 1;
                        }
                    } else if let Some(at) = no.as_ref().and_then(|no| in_chunk.get(no)) {
                        if let Some(RecordItem::Order { order: o, .. }) = items.get_mut(*at) {
                            o.lines.extend(order.lines);
                        }
                        rows += 1;
                    } else if let Some((no, first)) =
                        no.as_ref().and_then(|no| Some((no, *first_lines.get(no)?)))
                    {
                        items.push(RecordItem::Rejected {
                            line,
                            reasons: vec![said(|l| scattered_order(l, no, first))],
                        });
                        rows += 1;
                    } else {
                        if let Some((l, o, n)) = open.take() {
                            close_order(&mut items, &mut in_chunk, l, o);
                            rows += n;
                        }
                        if let Some(no) = &no {
                            first_lines.insert(no.clone(), line);
                        }
                        open = Some((line, order, 1));
                    }
                }
                Taken::Item(item) => {
                    if let Some((l, o, n)) = open.take() {
                        close_order(&mut items, &mut in_chunk, l, o);
                        rows += n;
                    }
                    items.push(item);
                    rows += 1;
                }
            }
            // An order of hundreds of lines is kept whole; past that it goes on in the next.
            let long_order = open.as_ref().is_some_and(|o| o.2 >= 1000);
            if rows as usize >= CHUNK_ROWS || long_order {
                if long_order {
                    if let Some((l, o, n)) = open.take() {
                        close_order(&mut items, &mut in_chunk, l, o);
                        rows += n;
                    }
                }
                in_chunk.clear();
                let full = std::mem::replace(&mut items, Vec::with_capacity(CHUNK_ROWS));
                if !send(Ok((full, rows, source.bytes_read()))) {
                    return false;
                }
                rows = 0;
            }
        }
        if let Some((l, o, n)) = open.take() {
            close_order(&mut items, &mut in_chunk, l, o);
            rows += n;
        }
        if let Some(e) = source.stopped() {
            let e = RunError::File(said(|l| e.message(l)));
            if rows > 0 && !send(Ok((items, rows, source.bytes_read()))) {
                return false;
            }
            return send(Err(e));
        }
        if rows > 0 {
            return send(Ok((items, rows, source.bytes_read())));
        }
        true
    });
    let mut p = Progress {
        rows: job.rows_done,
        bytes: job.bytes_done,
        total_bytes: job.file_size,
        counts: ImportCounts::default(),
    };
    while let Some(batch) = rx.recv().await {
        let (items, rows, bytes) = batch?;
        let counts = store
            .import_record_chunk(
                ctx,
                job.id,
                RecordChunk {
                    from_row: p.rows,
                    rows,
                    bytes_done: bytes,
                    items,
                },
            )
            .await?;
        p.rows += rows;
        p.bytes = bytes;
        p.counts.add(&counts);
        progress(&p);
    }
    reader
        .await
        .map_err(|e| RunError::Io(format!("the reader stopped: {e}")))?;
    Ok(())
}
