//! Imports of customer files as background jobs, saved column mappings, the review queue of
//! possible duplicates, and erasing a person's data on request.
//!
//! An upload is written to the upload folder as it arrives (never held in memory), checked in
//! the background (the dry run: what each row would do, against the database), and imported
//! when the user says so. Jobs live in the database, so a page reload or a restart of the
//! server loses nothing; an interrupted job resumes from its last chunk.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{IdPath, JsonBody, OrgCtx, PathParams, QueryParams};
use crate::imports::{file_sha256, run};
use crate::ApiState;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use guanxi_core::error::FieldError;
use guanxi_core::{CustomerId, DuplicateId, ImportJobId, ImportKind, Lang, Reason};
use guanxi_import::{
    fields_of, CustomField, DateOrder, Field, Mapping, Source, Target, TargetError,
};
use guanxi_store::{
    Ctx, DuplicateCandidate, DuplicateStatus, ImportJob, ImportMode, ImportPolicy, ImportRowNote,
    NewImportJob, ScanScope, Store,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

fn invalid(field: &str, reason: Reason) -> ApiError {
    ApiError::Validation(vec![FieldError::new(field, reason)])
}

fn lang_of(headers: &axum::http::HeaderMap, caller: Option<&crate::auth::Caller>) -> Lang {
    caller
        .and_then(|c| c.user.locale)
        .unwrap_or_else(|| crate::error::request_lang(headers))
}

/// A job as the API shows it: the job, its file's column headers and the mapping.
#[derive(Debug, Serialize)]
pub struct JobView {
    #[serde(flatten)]
    pub job: ImportJob,
    /// Percent of the file's bytes written (or checked), 0–100.
    pub percent: u8,
}

impl From<ImportJob> for JobView {
    fn from(job: ImportJob) -> Self {
        let percent = (job.bytes_done.min(job.file_size) * 100)
            .checked_div(job.file_size)
            .unwrap_or(0) as u8;
        Self { job, percent }
    }
}

/// Start a job in the background: it claims itself, so a second start of a running job is
/// refused by the store, not run twice.
pub fn spawn_job(store: Arc<dyn Store>, ctx: Ctx, job: &ImportJob) -> Result<(), ApiError> {
    let path = file_of(job)?;
    let mapping: Mapping =
        serde_json::from_value(job.mapping.clone()).map_err(|_| ApiError::Internal)?;
    let id = job.id;
    tokio::spawn(async move {
        match run(store, ctx, id, path.clone(), mapping, |_| {}).await {
            // The upload is kept while the job may still need it (a check waits for the
            // import, a failed or interrupted job for its resume); not after.
            Ok(j) if finished_with_file(&j) => {
                if let Err(e) = tokio::fs::remove_file(&path).await {
                    tracing::warn!(job = id.get(), error = %e, "an upload could not be removed");
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(job = id.get(), error = %e.message(Lang::En), "import job failed");
            }
        }
    });
    Ok(())
}

/// The file a job reads: refused (on `file`) once the retention rule has deleted it, before
/// anything about the job changes.
fn file_of(job: &ImportJob) -> Result<PathBuf, ApiError> {
    job.file_path
        .clone()
        .map(PathBuf::from)
        .ok_or_else(|| ApiError::Conflict(vec![FieldError::new("file", Reason::FileRemoved)]))
}

/// Delete the uploads under `upload_dir` whose jobs were last touched more than `keep` ago (a
/// check never imported, a job never resumed, or a file a crash left behind), and record it
/// on each job. Returns how many were deleted. Files outside the folder (the command line's
/// own files) are never touched. Each job is marked before its file goes, so that no job is
/// started on a file being deleted; a job resumed meanwhile keeps its file.
pub async fn remove_stale_uploads(
    store: &dyn Store,
    upload_dir: &Path,
    keep: std::time::Duration,
) -> Result<usize, ApiError> {
    const BATCH: u32 = 100;
    // Bounded: a sweep that finds more goes on at the next one.
    const BATCHES: usize = 100;
    let before =
        chrono::Utc::now() - chrono::Duration::from_std(keep).map_err(|_| ApiError::Internal)?;
    let mut under = upload_dir.to_string_lossy().into_owned();
    if !under.ends_with(std::path::MAIN_SEPARATOR) {
        under.push(std::path::MAIN_SEPARATOR);
    }
    let mut removed = 0;
    for _ in 0..BATCHES {
        let stale = store.stale_import_files(&under, before, BATCH).await?;
        for f in &stale {
            let ctx = Ctx::new(f.org);
            if store.remove_import_file(ctx, f.id, before).await?.is_none() {
                continue;
            }
            match tokio::fs::remove_file(&f.path).await {
                Ok(()) => removed += 1,
                // Already gone: the job that imported it removed it.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(job = f.id.get(), error = %e, "an old upload could not be removed");
                }
            }
        }
        if stale.len() < BATCH as usize {
            break;
        }
    }
    Ok(removed)
}

/// Whether a job is done with its file: imported, or cancelled.
fn finished_with_file(j: &ImportJob) -> bool {
    use guanxi_store::ImportStatus as St;
    matches!(
        (j.mode, j.status),
        (ImportMode::Import, St::Done) | (_, St::Cancelled)
    )
}

/// The mapping kept with a job: the columns' fields and the date order, the headers (for the
/// mapping editor, and so that a mapping saved from the job finds its columns by them) and the
/// delimiter the file was read with (so that every later read, the import after a check or a
/// resume, splits the rows the same way). Shared with the command line.
pub fn job_mapping(
    mapping: &Mapping,
    headers: &[String],
    delimiter: Option<u8>,
    sheet: Option<(&str, &[String])>,
) -> serde_json::Value {
    let mut v = serde_json::to_value(mapping).unwrap_or_default();
    v["headers"] = serde_json::json!(headers);
    if let Some(d) = delimiter {
        v["delimiter"] = serde_json::json!(char::from(d).to_string());
    }
    if let Some((sheet, sheets)) = sheet {
        v["sheet"] = serde_json::json!(sheet);
        v["sheets"] = serde_json::json!(sheets);
    }
    v
}

/// The worksheet a job's workbook was read from and the workbook's worksheets, if any.
pub fn sheet_of(mapping: &serde_json::Value) -> Option<(String, Vec<String>)> {
    let sheet = mapping["sheet"].as_str()?.to_owned();
    let sheets = serde_json::from_value(mapping["sheets"].clone()).unwrap_or_default();
    Some((sheet, sheets))
}

/// The organisation's custom fields of customers, as a mapping names them (shared with the
/// web UI and the command line).
pub async fn custom_fields(store: &dyn Store, ctx: Ctx) -> Result<Vec<CustomField>, ApiError> {
    Ok(store
        .list_field_defs(ctx)
        .await?
        .into_iter()
        .map(|d| CustomField {
            key: d.key,
            label_zh: d.label_zh,
            label_en: d.label_en,
            field_type: d.field_type,
            choices: d.choices,
        })
        .collect())
}

/// The delimiter kept with a job's mapping, if any (jobs made before it was kept guess).
pub fn delimiter_of(mapping: &serde_json::Value) -> Option<u8> {
    mapping["delimiter"]
        .as_str()
        .and_then(|d| match d.as_bytes() {
            [b] => Some(*b),
            _ => None,
        })
}

async fn save_upload(
    dir: &Path,
    max: u64,
    field: &mut axum::extract::multipart::Field<'_>,
) -> Result<(PathBuf, u64), ApiError> {
    tokio::fs::create_dir_all(dir).await.map_err(|e| {
        tracing::error!(error = %e, "the upload folder cannot be made");
        ApiError::Internal
    })?;
    let mut name = [0u8; 16];
    rand_name(&mut name);
    let path = dir.join(format!(
        "{}.upload",
        name.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ));
    let mut file = tokio::fs::File::create(&path).await.map_err(|e| {
        tracing::error!(error = %e, "an upload cannot be written");
        ApiError::Internal
    })?;
    let mut size = 0u64;
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(_) => {
                let _ = tokio::fs::remove_file(&path).await;
                return Err(ApiError::PayloadTooLarge);
            }
        };
        size += chunk.len() as u64;
        if size > max {
            drop(file);
            let _ = tokio::fs::remove_file(&path).await;
            return Err(invalid(
                "file",
                Reason::TooLong {
                    max: usize::try_from(max).unwrap_or(usize::MAX),
                },
            ));
        }
        if let Err(e) = file.write_all(&chunk).await {
            let _ = tokio::fs::remove_file(&path).await;
            tracing::error!(error = %e, "an upload cannot be written");
            return Err(ApiError::Internal);
        }
    }
    file.flush().await.map_err(|_| ApiError::Internal)?;
    Ok((path, size))
}

fn rand_name(out: &mut [u8; 16]) {
    use std::hash::{BuildHasher, Hasher};
    // Unique names for upload files: the time and a per-process random state.
    let s = std::collections::hash_map::RandomState::new();
    for (n, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = s.build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.write_usize(n);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
}

fn parse_policy(v: &str) -> Result<ImportPolicy, ApiError> {
    ImportPolicy::parse(v).ok_or_else(|| {
        invalid(
            "policy",
            Reason::NotOneOf {
                allowed: vec!["skip".into(), "fill".into(), "overwrite".into()],
            },
        )
    })
}

fn parse_dates(v: &str) -> Result<DateOrder, ApiError> {
    Ok(match v {
        "dmy" => DateOrder::DayMonthYear,
        "mdy" => DateOrder::MonthDayYear,
        "ymd" => DateOrder::YearMonthDay,
        _ => {
            return Err(invalid(
                "dates",
                Reason::NotOneOf {
                    allowed: vec!["dmy".into(), "mdy".into(), "ymd".into()],
                },
            ))
        }
    })
}

/// Upload a file of customers (CSV in any common encoding, .xlsx, .vcf) as
/// `multipart/form-data` with the parts `file`, and optionally `policy` (`skip`, `fill`,
/// `overwrite`), `dates` (`dmy`, `mdy`, `ymd`), `mapping_name` (a saved mapping) and `mode`
/// (`check`, the default: a dry run first; or `import`). The job runs in the background;
/// follow it with `GET /imports/{id}`.
#[utoipa::path(post, path = "/api/v1/imports", tag = "imports",
    responses(
        (status = 202, description = "The job, started"),
        (status = 413, description = "Larger than the upload limit", body = ErrorBody),
        (status = 422, description = "No file, or a file that cannot be read as a table", body = ErrorBody),
    ))]
pub async fn upload(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    headers: axum::http::HeaderMap,
    caller: Option<axum::Extension<crate::auth::Caller>>,
    form: Multipart,
) -> Result<Response, ApiError> {
    let lang = lang_of(&headers, caller.as_deref());
    let job = upload_job(&s, ctx, lang, form).await?;
    Ok((StatusCode::ACCEPTED, Json(JobView::from(job))).into_response())
}

/// Take a multipart upload (`file`, `policy`, `dates`, `mapping_name`, `mode`), keep the file
/// in the upload folder and start its job (shared with the web UI's upload form).
pub async fn upload_job(
    s: &ApiState,
    ctx: Ctx,
    lang: Lang,
    mut form: Multipart,
) -> Result<ImportJob, ApiError> {
    let dir = s.upload_dir.join(ctx.org.get().to_string());
    let mut saved: Option<(PathBuf, u64, String)> = None;
    let (mut policy, mut dates, mut mapping_name, mut mode, mut kind) = (
        ImportPolicy::FillEmpty,
        DateOrder::DayMonthYear,
        None,
        ImportMode::Check,
        ImportKind::Customers,
    );
    let mut read_as = guanxi_import::ReadAs::default();
    let result = async {
        while let Some(mut field) = form.next_field().await.map_err(|_| {
            invalid(
                "file",
                Reason::Malformed {
                    detail: "multipart/form-data".into(),
                },
            )
        })? {
            let name = field.name().unwrap_or("").to_owned();
            if name == "file" {
                if saved.is_some() {
                    return Err(invalid("file", Reason::TooMany { max: 1 }));
                }
                let file_name = field
                    .file_name()
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned())
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| "upload".into());
                let (path, size) = save_upload(&dir, s.max_upload_bytes, &mut field).await?;
                saved = Some((path, size, file_name));
                continue;
            }
            let text = field.text().await.map_err(|_| {
                invalid(
                    &name,
                    Reason::Malformed {
                        detail: "text".into(),
                    },
                )
            })?;
            let text = text.trim().to_owned();
            match name.as_str() {
                "policy" => policy = parse_policy(&text)?,
                "dates" => dates = parse_dates(&text)?,
                "kind" => {
                    kind = ImportKind::parse(&text).map_err(|_| {
                        invalid(
                            "kind",
                            Reason::NotOneOf {
                                allowed: ImportKind::ALL
                                    .iter()
                                    .map(|k| k.as_str().to_owned())
                                    .collect(),
                            },
                        )
                    })?
                }
                // The file's encoding and delimiter when the guess is wrong (empty: guess).
                "encoding" if text.is_empty() || text == "auto" => {}
                "encoding" => {
                    read_as.encoding =
                        Some(guanxi_import::ReadAs::encoding_named(&text).ok_or_else(|| {
                            invalid(
                                "encoding",
                                Reason::NotOneOf {
                                    allowed: ENCODINGS.iter().map(|e| (*e).to_owned()).collect(),
                                },
                            )
                        })?)
                }
                // The worksheet of a workbook, by name or place (empty: the first visible).
                "sheet" if text.is_empty() => {}
                "sheet" => {
                    if text.chars().count() > 100 {
                        return Err(invalid("sheet", Reason::TooLong { max: 100 }));
                    }
                    read_as.sheet = Some(text);
                }
                "delimiter" if text.is_empty() || text == "auto" => {}
                "delimiter" => {
                    read_as.delimiter = Some(
                        guanxi_import::ReadAs::delimiter_named(&text).ok_or_else(|| {
                            invalid(
                                "delimiter",
                                Reason::NotOneOf {
                                    allowed: DELIMITERS.iter().map(|e| (*e).to_owned()).collect(),
                                },
                            )
                        })?,
                    )
                }
                "mapping_name" if !text.is_empty() => mapping_name = Some(text),
                "mapping_name" => {}
                "mode" => {
                    mode = ImportMode::parse(&text).ok_or_else(|| {
                        invalid(
                            "mode",
                            Reason::NotOneOf {
                                allowed: vec!["check".into(), "import".into()],
                            },
                        )
                    })?
                }
                // Form helpers (the CSRF token is checked by the authorisation layer).
                "csrf" | "_csrf" => {}
                other => return Err(invalid(other, Reason::UnknownField)),
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        if let Some((path, _, _)) = &saved {
            let _ = tokio::fs::remove_file(path).await;
        }
        return Err(e);
    }
    let Some((path, size, file_name)) = saved else {
        return Err(invalid("file", Reason::Required));
    };
    let outcome = start_upload(
        s,
        ctx,
        lang,
        &path,
        size,
        file_name,
        Upload {
            kind,
            policy,
            dates,
            mapping_name,
            mode,
            read_as,
        },
    )
    .await;
    if outcome.is_err() {
        let _ = tokio::fs::remove_file(&path).await;
    }
    outcome
}

/// What an upload asks for besides its file.
#[derive(Clone, Debug)]
pub struct Upload {
    pub kind: ImportKind,
    pub policy: ImportPolicy,
    pub dates: DateOrder,
    pub mapping_name: Option<String>,
    pub mode: ImportMode,
    /// The encoding and delimiter chosen by hand, where the guess was wrong.
    pub read_as: guanxi_import::ReadAs,
}

/// The encodings an upload may name (`encoding`); empty or `auto` guesses.
pub const ENCODINGS: [&str; 5] = ["utf-8", "gb18030", "big5", "utf-16le", "utf-16be"];
/// The delimiters an upload may name (`delimiter`); empty or `auto` guesses.
pub const DELIMITERS: [&str; 4] = [",", ";", "tab", "|"];

/// A mapping that can import its kind: every field one of the kind's, and the fields a
/// record of the kind cannot do without.
pub fn check_mapping(mapping: &Mapping) -> Result<(), ApiError> {
    if let Some(n) = mapping
        .columns
        .iter()
        .position(|f| f.is_some_and(|f| !fields_of(mapping.kind).contains(&f)))
    {
        return Err(invalid(&format!("columns[{n}]"), Reason::NotAllowed));
    }
    if mapping.kind != ImportKind::Customers {
        if let Some(n) = mapping.custom.iter().position(Option::is_some) {
            return Err(invalid(&format!("columns[{n}]"), Reason::NotAllowed));
        }
    }
    let has = |f: Field| mapping.columns.contains(&Some(f));
    let who = has(Field::Name)
        || [Field::Mobile, Field::Phone, Field::Email, Field::Wechat]
            .into_iter()
            .any(has);
    let ok = match mapping.kind {
        ImportKind::Customers => has(Field::Name) || has(Field::Company),
        ImportKind::Leads => has(Field::Name) || has(Field::Company),
        ImportKind::Orders => who && has(Field::Date) && has(Field::Amount),
        ImportKind::Interactions => who && has(Field::Date),
    };
    if ok {
        Ok(())
    } else {
        Err(invalid("columns", Reason::Required))
    }
}

/// Make the job of a saved upload and start it.
pub async fn start_upload(
    s: &ApiState,
    ctx: Ctx,
    lang: Lang,
    path: &Path,
    size: u64,
    file_name: String,
    upload: Upload,
) -> Result<ImportJob, ApiError> {
    let Upload {
        kind,
        policy,
        dates,
        mapping_name,
        mode,
        read_as,
    } = upload;
    let p = path.to_owned();
    let read = tokio::task::spawn_blocking(move || -> Result<_, String> {
        let source = match Source::open_as(&p, guanxi_import::Limits::default(), read_as) {
            Ok(source) => source,
            Err(guanxi_import::FileError::NoSuchSheet { sheets, .. }) => {
                return Ok(Err(sheets));
            }
            Err(e) => {
                return Err(format!(
                    "{}\u{1f}{}",
                    e.message(Lang::ZhCn),
                    e.message(Lang::En)
                ))
            }
        };
        let sha = file_sha256(&p).map_err(|e| e.to_string())?;
        Ok(Ok((
            source.headers().to_vec(),
            source.format().as_str().to_owned(),
            source.encoding().to_owned(),
            source.delimiter(),
            sha,
            if kind == ImportKind::Customers {
                source.suggested_mapping()
            } else {
                Mapping::suggest_for(kind, source.headers())
            },
            source
                .sheet()
                .map(|sheet| (sheet.to_owned(), source.sheets().to_vec())),
        )))
    })
    .await
    .map_err(|_| ApiError::Internal)?;
    // A worksheet the workbook does not have is refused naming those it has.
    let read = match read {
        Ok(Err(sheets)) => {
            return Err(invalid("sheet", Reason::NotOneOf { allowed: sheets }));
        }
        Ok(Ok(v)) => Ok(v),
        Err(m) => Err(m),
    };
    let (headers, format, encoding, delimiter, sha, suggested, sheet) = read.map_err(|m| {
        let mut parts = m.split('\u{1f}');
        let zh = parts.next().unwrap_or("").to_owned();
        let en = parts.next().unwrap_or(&zh).to_owned();
        invalid(
            "file",
            Reason::Malformed {
                detail: if lang == Lang::ZhCn { zh } else { en },
            },
        )
    })?;
    let fields = if kind == ImportKind::Customers {
        custom_fields(s.store.as_ref(), ctx).await?
    } else {
        Vec::new()
    };
    let mapping = match mapping_name {
        Some(name) => {
            let saved = s
                .store
                .import_mappings(ctx)
                .await?
                .into_iter()
                .find(|m| m.name == name)
                .ok_or_else(|| invalid("mapping_name", Reason::NotFound))?;
            let saved_headers: Option<Vec<String>> =
                serde_json::from_value(saved.mapping["headers"].clone()).ok();
            let m: Mapping = serde_json::from_value(saved.mapping)
                .map_err(|_| invalid("mapping_name", Reason::NotFound))?;
            if m.kind != kind {
                return Err(invalid("mapping_name", Reason::NotAllowed));
            }
            // Columns are found by their headers, so a file whose columns moved is read
            // right; a mapping saved without headers needs the file's width.
            m.for_file(saved_headers.as_deref(), &headers, &fields)
                .map_err(|width| {
                    invalid(
                        "mapping_name",
                        Reason::WrongType {
                            expected: format!("{width} columns"),
                        },
                    )
                })
                .and_then(|m| check_mapping(&m).map(|()| m))?
        }
        None => {
            let mut m = suggested;
            m.dates = dates;
            m.suggest_custom(&headers, &fields, |_| true);
            m
        }
    };
    if kind != ImportKind::Customers && format == "vcard" {
        return Err(invalid("kind", Reason::NotAllowed));
    }
    let job = s
        .store
        .create_import_job(
            ctx,
            NewImportJob {
                kind,
                file_name,
                file_path: Some(path.to_string_lossy().into_owned()),
                file_size: size,
                file_sha256: sha,
                format,
                encoding,
                mapping: job_mapping(
                    &mapping,
                    &headers,
                    delimiter,
                    sheet
                        .as_ref()
                        .map(|(sheet, sheets)| (sheet.as_str(), sheets.as_slice())),
                ),
                policy,
                mode,
            },
        )
        .await?;
    spawn_job(s.store.clone(), ctx, &job)?;
    Ok(job)
}

/// The organisation's imports, newest first.
#[utoipa::path(get, path = "/api/v1/imports", tag = "imports",
    responses((status = 200, description = "Jobs")))]
pub async fn list(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<Vec<JobView>>, ApiError> {
    Ok(Json(
        s.store
            .import_jobs(ctx, 50)
            .await?
            .into_iter()
            .map(JobView::from)
            .collect(),
    ))
}

/// One import: where it stands (`status`, `interrupted`, `rows_done`, `percent`) and its
/// counts.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports",
    params(("id" = i64, Path, description = "Import job id")),
    responses(
        (status = 200, description = "The job"),
        (status = 404, description = "No such job in the organisation", body = ErrorBody),
    ))]
pub async fn get(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(
        s.store.import_job(ctx, ImportJobId(p.id)).await?.into(),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RowsQuery {
    /// `rejected`, `same_as`, `matched`, `updated`.
    pub outcome: Option<String>,
    /// Rows after this line of the file.
    pub after: Option<u64>,
    pub limit: Option<u32>,
}

/// The rows of a job's report that need a look, by line (at most 10,000 are kept per job;
/// the counts are complete).
#[utoipa::path(get, path = "/api/v1/imports/{id}/rows", tag = "imports",
    params(("id" = i64, Path, description = "Import job id"), RowsQuery),
    responses((status = 200, description = "Report rows")))]
pub async fn rows(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    QueryParams(q): QueryParams<RowsQuery>,
) -> Result<Json<Vec<ImportRowNote>>, ApiError> {
    Ok(Json(
        s.store
            .import_rows(
                ctx,
                ImportJobId(p.id),
                q.outcome,
                q.after.unwrap_or(0),
                q.limit.unwrap_or(100),
            )
            .await?,
    ))
}

/// A job's report as a CSV file that Excel opens (UTF-8 with a BOM): every row the report
/// keeps (at most 10,000), or those of one `outcome`, with the line, the outcome and the
/// reasons or changes in the user's language, so that refused rows can be fixed in the
/// spreadsheet they came from.
#[utoipa::path(get, path = "/api/v1/imports/{id}/rows.csv", tag = "imports",
    params(("id" = i64, Path, description = "Import job id"), RowsQuery),
    responses(
        (status = 200, description = "The report as CSV", content_type = "text/csv"),
        (status = 404, description = "No such job", body = ErrorBody),
    ))]
pub async fn rows_csv(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    headers: axum::http::HeaderMap,
    caller: Option<axum::Extension<crate::auth::Caller>>,
    PathParams(p): PathParams<IdPath>,
    QueryParams(q): QueryParams<RowsQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let lang = lang_of(&headers, caller.as_ref().map(|c| &c.0));
    let id = ImportJobId(p.id);
    // The job first: another organisation's id is a 404, not an empty file.
    let job = s.store.import_job(ctx, id).await?;
    // Its mapping names the fields (custom ones with the labels they had).
    let mapping: Mapping = serde_json::from_value(job.mapping).unwrap_or_default();
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let page = s
            .store
            .import_rows(ctx, id, q.outcome.clone(), after, 1000)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.line;
        let n = page.len();
        rows.extend(page);
        if n < 1000 || rows.len() >= guanxi_store::IMPORT_REPORT_ROWS_MAX as usize {
            break;
        }
    }
    let titles = match lang {
        Lang::ZhCn => ["行号", "结果", "客户编号", "说明"],
        Lang::En => ["line", "outcome", "customer", "details"],
    };
    let mut body = guanxi_import::export::BOM.to_vec();
    body.extend(guanxi_import::export::csv_rows([titles]));
    body.extend(guanxi_import::export::csv_rows(rows.iter().map(|r| {
        [
            r.line.to_string(),
            outcome_words(lang, &r.outcome).to_owned(),
            r.customer_id.map(|c| c.to_string()).unwrap_or_default(),
            row_words(lang, &mapping, &r.detail),
        ]
    })));
    let name = format!("import-{}-report.csv", p.id);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// An outcome of the report in words.
fn outcome_words(lang: Lang, outcome: &str) -> &str {
    let (zh, en) = match outcome {
        "rejected" => ("拒绝", "rejected"),
        "created" => ("新建客户", "new customer"),
        "same_as" => ("与前面的行合并", "same as an earlier row"),
        "matched" => ("匹配已有客户", "matched an existing customer"),
        "updated" => ("更新已有客户", "update to an existing customer"),
        "possible_duplicate" => ("疑似重复", "possible duplicate"),
        "customer_created" => ("新建了客户", "customer created"),
        other => (other, other),
    };
    lang.pick(zh, en)
}

/// What a report row says, in words: its reasons, the earlier line it repeats, what changed,
/// the customer it would create, other customers holding its contact points.
fn row_words(lang: Lang, mapping: &Mapping, d: &serde_json::Value) -> String {
    let mut out: Vec<String> = Vec::new();
    if let Some(reasons) = d["reasons"].as_array() {
        out.extend(reasons.iter().filter_map(|x| {
            x[lang.pick("zh", "en")]
                .as_str()
                .or_else(|| x.as_str())
                .map(str::to_owned)
        }));
    }
    if let Some(n) = d["first_line"].as_u64() {
        out.push(match lang {
            Lang::ZhCn => format!("同第 {n} 行"),
            Lang::En => format!("same as line {n}"),
        });
    }
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if let Some(changes) = d["changes"].as_object() {
        for (k, v) in changes {
            let label = if k == "contact_points_added" {
                lang.pick("新增联系方式", "contact points added").to_owned()
            } else {
                mapping.label_of(k, lang)
            };
            let colon = lang.colon();
            match v.as_array().map(Vec::as_slice) {
                Some([a, b]) if k != "contact_points_added" => {
                    out.push(format!("{label}{colon}{} → {}", text(a), text(b)))
                }
                Some(list) => {
                    let list: Vec<String> = list.iter().map(text).collect();
                    out.push(format!(
                        "{label}{colon}{}",
                        list.join(lang.pick("、", ", "))
                    ))
                }
                _ => out.push(format!("{label}{colon}{}", text(v))),
            }
        }
    }
    if let Some(name) = d["name"].as_str() {
        out.push(name.to_owned());
    }
    if let Some(others) = d["also_held_by"].as_array().filter(|a| !a.is_empty()) {
        let ids: Vec<String> = others.iter().map(|o| format!("#{o}")).collect();
        out.push(match lang {
            Lang::ZhCn => format!("其他联系方式属于客户 {}", ids.join("、")),
            Lang::En => format!("other contact points belong to {}", ids.join(", ")),
        });
    }
    out.join(lang.pick("；", "; "))
}

/// Run a checked job again: `mode` `import` imports it; `check` checks it again (after the
/// mapping or policy changed).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartImport {
    /// `import` or `check`.
    pub mode: String,
    /// `skip`, `fill` or `overwrite`; the job's when absent.
    pub policy: Option<String>,
    /// The field of each column (`name`, `mobile`, `email`, …, `custom.<key>` for a custom
    /// field of customers, or null to leave it out), in the order of the file's columns; the
    /// job's when absent.
    #[schema(value_type = Option<Vec<Option<String>>>)]
    pub columns: Option<Vec<Option<Target>>>,
    /// `dmy`, `mdy` or `ymd`.
    pub dates: Option<String>,
}

/// Import a checked file (or check it again with another mapping).
#[utoipa::path(post, path = "/api/v1/imports/{id}/start", tag = "imports",
    params(("id" = i64, Path, description = "Import job id")),
    request_body = StartImport,
    responses(
        (status = 202, description = "Started"),
        (status = 409, description = "The job is running, or has imported already", body = ErrorBody),
        (status = 422, description = "Invalid mapping or policy", body = ErrorBody),
    ))]
pub async fn start(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    JsonBody(body): JsonBody<StartImport>,
) -> Result<Response, ApiError> {
    let job = restart(&s, ctx, ImportJobId(p.id), body).await?;
    Ok((StatusCode::ACCEPTED, Json(JobView::from(job))).into_response())
}

/// Restart a job with a new mode, mapping or policy (shared with the web UI).
pub async fn restart(
    s: &ApiState,
    ctx: Ctx,
    id: ImportJobId,
    body: StartImport,
) -> Result<ImportJob, ApiError> {
    let job = s.store.import_job(ctx, id).await?;
    file_of(&job)?;
    let mode = ImportMode::parse(&body.mode).ok_or_else(|| {
        invalid(
            "mode",
            Reason::NotOneOf {
                allowed: vec!["check".into(), "import".into()],
            },
        )
    })?;
    let policy = match &body.policy {
        Some(p) => parse_policy(p)?,
        None => job.policy,
    };
    let headers: Vec<String> =
        serde_json::from_value(job.mapping["headers"].clone()).unwrap_or_default();
    let mut mapping: Mapping =
        serde_json::from_value(job.mapping.clone()).map_err(|_| ApiError::Internal)?;
    if let Some(columns) = body.columns {
        let fields = custom_fields(s.store.as_ref(), ctx).await?;
        mapping
            .set_targets(&columns, &fields)
            .map_err(|e| match e {
                TargetError::Width { expected } => invalid(
                    "columns",
                    Reason::WrongType {
                        expected: format!("{expected} columns"),
                    },
                ),
                TargetError::UnknownCustom(n) => invalid(
                    &format!("columns[{n}]"),
                    Reason::NotOneOf {
                        allowed: fields
                            .iter()
                            .map(|f| Target::Custom(f.key.clone()).name())
                            .collect(),
                    },
                ),
                TargetError::Twice(n) => invalid(&format!("columns[{n}]"), Reason::Conflict),
            })?;
        check_mapping(&mapping)?;
    }
    if let Some(d) = &body.dates {
        mapping.dates = parse_dates(d)?;
    }
    let job = s
        .store
        .restart_import_job(
            ctx,
            id,
            mode,
            job_mapping(
                &mapping,
                &headers,
                delimiter_of(&job.mapping),
                sheet_of(&job.mapping)
                    .as_ref()
                    .map(|(sheet, sheets)| (sheet.as_str(), sheets.as_slice())),
            ),
            policy,
        )
        .await?;
    spawn_job(s.store.clone(), ctx, &job)?;
    Ok(job)
}

/// Go on with an interrupted or failed job from its last chunk.
#[utoipa::path(post, path = "/api/v1/imports/{id}/resume", tag = "imports",
    params(("id" = i64, Path, description = "Import job id")),
    responses(
        (status = 202, description = "Resumed"),
        (status = 409, description = "The job is running or finished", body = ErrorBody),
    ))]
pub async fn resume(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Response, ApiError> {
    let job = resume_job(&s, ctx, ImportJobId(p.id)).await?;
    Ok((StatusCode::ACCEPTED, Json(JobView::from(job))).into_response())
}

/// Claim the job here (so that a refusal is an answer, not a log line), then run it.
pub async fn resume_job(s: &ApiState, ctx: Ctx, id: ImportJobId) -> Result<ImportJob, ApiError> {
    let job = s.store.import_job(ctx, id).await?;
    use guanxi_store::ImportStatus as St;
    let resumable =
        matches!(job.status, St::Failed) || (job.status == St::Running && job.interrupted);
    if !resumable {
        return Err(ApiError::Conflict(vec![FieldError::new(
            "status",
            Reason::Conflict,
        )]));
    }
    file_of(&job)?;
    spawn_job(s.store.clone(), ctx, &job)?;
    Ok(job)
}

/// Stop a running job: what it wrote stays.
#[utoipa::path(post, path = "/api/v1/imports/{id}/cancel", tag = "imports",
    params(("id" = i64, Path, description = "Import job id")),
    responses(
        (status = 200, description = "Cancelled"),
        (status = 409, description = "Not running", body = ErrorBody),
    ))]
pub async fn cancel(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(
        s.store
            .cancel_import_job(ctx, ImportJobId(p.id))
            .await?
            .into(),
    ))
}

/// Saved column mappings.
#[utoipa::path(get, path = "/api/v1/import-mappings", tag = "imports",
    responses((status = 200, description = "Mappings")))]
pub async fn list_mappings(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<Vec<guanxi_store::ImportMapping>>, ApiError> {
    Ok(Json(s.store.import_mappings(ctx).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveMapping {
    pub name: String,
    /// The mapping of a job to save under the name.
    pub job_id: i64,
}

/// Save a job's column mapping under a name, for the next file from the same system.
#[utoipa::path(post, path = "/api/v1/import-mappings", tag = "imports",
    request_body = SaveMapping,
    responses(
        (status = 200, description = "Saved"),
        (status = 422, description = "Invalid name", body = ErrorBody),
    ))]
pub async fn save_mapping(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<SaveMapping>,
) -> Result<Json<guanxi_store::ImportMapping>, ApiError> {
    let job = s.store.import_job(ctx, ImportJobId(body.job_id)).await?;
    Ok(Json(
        s.store
            .save_import_mapping(ctx, body.name, job.mapping)
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DuplicatesQuery {
    /// `open` (the default), `merged` or `dismissed`.
    pub status: Option<String>,
    pub limit: Option<u32>,
}

/// Pairs of customers that may be one person, best first (both within the caller's reach).
#[utoipa::path(get, path = "/api/v1/duplicates", tag = "imports",
    params(DuplicatesQuery),
    responses((status = 200, description = "Pairs")))]
pub async fn duplicates(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    QueryParams(q): QueryParams<DuplicatesQuery>,
) -> Result<Json<Vec<DuplicateCandidate>>, ApiError> {
    let status = match q.status.as_deref() {
        None => DuplicateStatus::Open,
        Some(v) => DuplicateStatus::parse(v).ok_or_else(|| {
            ApiError::InvalidQuery(vec![FieldError::new(
                "status",
                Reason::NotOneOf {
                    allowed: vec!["open".into(), "merged".into(), "dismissed".into()],
                },
            )])
        })?,
    };
    Ok(Json(
        s.store
            .duplicate_candidates(ctx, status, q.limit.unwrap_or(50))
            .await?,
    ))
}

/// Compare every customer of the organisation with the others, in the background; new pairs
/// appear in `GET /duplicates`. The answer is the scan's record, to follow at its `Location`
/// until it is `done` (with what it compared and found) or `failed` (with why). One scan runs
/// per organisation at a time: while one runs, the answer is that one.
#[utoipa::path(post, path = "/api/v1/duplicates/scan", tag = "imports",
    responses((status = 202, description = "Scanning: the scan's record")))]
pub async fn scan(State(s): State<ApiState>, OrgCtx(ctx): OrgCtx) -> Result<Response, ApiError> {
    let scan = start_scan(&s, ctx).await?;
    let location = format!("/api/v1/duplicates/scans/{}", scan.id);
    Ok((
        StatusCode::ACCEPTED,
        [(axum::http::header::LOCATION, location)],
        Json(scan),
    )
        .into_response())
}

/// Record a scan and run it in the background, beating while it runs (shared with the web UI).
/// A scan already running is the scan asked for: it is answered, not started twice.
pub async fn start_scan(s: &ApiState, ctx: Ctx) -> Result<guanxi_store::DuplicateScan, ApiError> {
    let scan = match s.store.start_duplicate_scan(ctx).await {
        Ok(scan) => scan,
        Err(guanxi_store::StoreError::Conflict { .. }) => {
            let running = s.store.duplicate_scans(ctx, 1).await?.into_iter().next();
            match running {
                Some(r) if r.status == guanxi_store::ScanStatus::Running => return Ok(r),
                // It ended meanwhile.
                _ => s.store.start_duplicate_scan(ctx).await?,
            }
        }
        Err(e) => return Err(e.into()),
    };
    let store = s.store.clone();
    let id = scan.id;
    tokio::spawn(async move {
        let _ = run_scan(store, ctx, id).await;
    });
    Ok(scan)
}

/// Run a scan that [`Store::start_duplicate_scan`] recorded, to its end: it beats while it
/// runs and is closed with what it compared and found, or with the kind of failure (the
/// details, which may name the database's internals, go to the log only). Shared with the
/// command line.
pub async fn run_scan(
    store: Arc<dyn Store>,
    ctx: Ctx,
    id: guanxi_core::DuplicateScanId,
) -> Result<guanxi_store::ScanStats, guanxi_store::StoreError> {
    // The heartbeat beats on a task of its own, so that a beat waiting for the database
    // (SQLite's write lock, held by the scan's own insert) never holds the scan up.
    let beat = tokio::spawn({
        let store = store.clone();
        async move {
            let every = std::time::Duration::from_secs(guanxi_store::SCAN_HEARTBEAT_SECS);
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                tick.tick().await;
                if let Err(e) = store.beat_duplicate_scan(ctx, id).await {
                    tracing::warn!(scan = id.get(), error = %e, "a duplicate scan could not beat");
                }
            }
        }
    });
    let outcome = store
        .scan_duplicates(ctx, ScanScope::All, "scan".into())
        .await;
    beat.abort();
    let recorded = outcome.as_ref().copied().map_err(|e| {
        tracing::warn!(scan = id.get(), error = %e, "duplicate scan failed");
        match e {
            guanxi_store::StoreError::Unavailable(_) => "unavailable".to_owned(),
            _ => "internal".to_owned(),
        }
    });
    if let Err(e) = store.finish_duplicate_scan(ctx, id, recorded).await {
        tracing::warn!(scan = id.get(), error = %e, "a duplicate scan could not be closed");
    }
    outcome
}

/// The organisation's scans for look-alikes, newest first (the last 20).
#[utoipa::path(get, path = "/api/v1/duplicates/scans", tag = "imports",
    responses((status = 200, description = "Scans")))]
pub async fn scans(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<Vec<guanxi_store::DuplicateScan>>, ApiError> {
    Ok(Json(s.store.duplicate_scans(ctx, 20).await?))
}

/// One scan: `running` (`interrupted` when its process stopped), `done` with `stats`, or
/// `failed` with `error`.
#[utoipa::path(get, path = "/api/v1/duplicates/scans/{id}", tag = "imports",
    params(("id" = i64, Path, description = "Scan id")),
    responses(
        (status = 200, description = "The scan"),
        (status = 404, description = "No such scan in the organisation", body = ErrorBody),
    ))]
pub async fn scan_status(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<guanxi_store::DuplicateScan>, ApiError> {
    Ok(Json(
        s.store
            .duplicate_scan(ctx, guanxi_core::DuplicateScanId(p.id))
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergePair {
    /// The customer that stays (one of the pair); the other is merged into it.
    pub keep: i64,
}

/// Merge the pair: the other customer's history moves to `keep` (the merge of
/// `POST /customers/{id}/merge`), and the pair is closed.
#[utoipa::path(post, path = "/api/v1/duplicates/{id}/merge", tag = "imports",
    params(("id" = i64, Path, description = "Pair id")),
    request_body = MergePair,
    responses(
        (status = 200, description = "Merged"),
        (status = 409, description = "Already decided", body = ErrorBody),
        (status = 422, description = "`keep` is not one of the pair", body = ErrorBody),
    ))]
pub async fn merge(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    JsonBody(body): JsonBody<MergePair>,
) -> Result<Json<DuplicateCandidate>, ApiError> {
    Ok(Json(
        merge_pair(&s, ctx, DuplicateId(p.id), body.keep).await?,
    ))
}

/// Merge a pair keeping `keep` (shared with the web UI).
pub async fn merge_pair(
    s: &ApiState,
    ctx: Ctx,
    id: DuplicateId,
    keep: i64,
) -> Result<DuplicateCandidate, ApiError> {
    let pair = s.store.duplicate_candidate(ctx, id).await?;
    if pair.status != DuplicateStatus::Open {
        return Err(ApiError::Conflict(vec![FieldError::new(
            "status",
            Reason::Conflict,
        )]));
    }
    let other = if pair.a.id.get() == keep {
        pair.b.id
    } else if pair.b.id.get() == keep {
        pair.a.id
    } else {
        return Err(invalid("keep", Reason::NotFound));
    };
    s.store
        .merge_customers(ctx, CustomerId(keep), other)
        .await?;
    Ok(s.store
        .decide_duplicate(ctx, id, DuplicateStatus::Merged)
        .await?)
}

/// Two different people after all: the pair leaves the queue and is not found again.
#[utoipa::path(post, path = "/api/v1/duplicates/{id}/dismiss", tag = "imports",
    params(("id" = i64, Path, description = "Pair id")),
    responses(
        (status = 200, description = "Dismissed"),
        (status = 409, description = "Already decided", body = ErrorBody),
    ))]
pub async fn dismiss(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<DuplicateCandidate>, ApiError> {
    Ok(Json(
        s.store
            .decide_duplicate(ctx, DuplicateId(p.id), DuplicateStatus::Dismissed)
            .await?,
    ))
}

/// Erase a person's data on request (PIPL / GDPR). Irreversible: name, contact points, notes,
/// the text of interactions, leads and tags go, and the customer leaves every list; orders
/// stay with the anonymous record. The audit log keeps that it happened, not the data.
#[utoipa::path(post, path = "/api/v1/customers/{id}/erase", tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    responses(
        (status = 204, description = "Erased"),
        (status = 404, description = "No such customer", body = ErrorBody),
    ))]
pub async fn erase(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<StatusCode, ApiError> {
    s.store.erase_customer(ctx, CustomerId(p.id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
