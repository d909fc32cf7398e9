//! Imports of customer files (导入): the upload form and the organisation's imports, the job
//! page (progress that refreshes while it runs, the counts in words, the mapping editor after a
//! check, resume and cancel, the row-by-row report), and the review queue of possible
//! duplicates (疑似重复). The steps are the API's own (`guanxi_api::import_jobs`), so a form
//! refuses exactly what the API refuses.

use super::login::go;
use super::{group_digits, Viewer};
use crate::i18n::Msg;
use crate::layout;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use guanxi_api::import_jobs::{self, JobView, StartImport};
use guanxi_api::{ApiError, ApiState};
use guanxi_core::{DuplicateId, FieldError, ImportJobId, ImportKind, Lang, Reason};
use guanxi_import::{CustomField, Field, Mapping, Target};
use guanxi_store::{
    DuplicateCandidate, DuplicateScan, DuplicateSide, DuplicateStatus, ImportCounts, ImportJob,
    ImportMapping, ImportMode, ImportPolicy, ImportRowNote, ImportStatus, ScanStatus,
};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;

/// Report rows shown on the job page.
const REPORT_ROWS: usize = 200;
/// Most columns the mapping form takes.
const MAX_COLUMNS: usize = 10_000;
/// Seconds between reloads of a running job's page.
const REFRESH_SECS: &str = "2";

/// The outcomes of the report, for the filter links.
const OUTCOMES: [(&str, Msg); 7] = [
    ("rejected", Msg::OutcomeRejected),
    ("created", Msg::OutcomeCreated),
    ("same_as", Msg::OutcomeSameAs),
    ("matched", Msg::OutcomeMatched),
    ("updated", Msg::OutcomeUpdated),
    ("possible_duplicate", Msg::OutcomeDuplicate),
    ("customer_created", Msg::OutcomeCustomerCreated),
];

/// The outcomes a job of `kind` can have.
fn outcomes_of(kind: ImportKind) -> &'static [&'static str] {
    match kind {
        ImportKind::Customers => &[
            "rejected",
            "created",
            "same_as",
            "matched",
            "updated",
            "possible_duplicate",
        ],
        _ => &["rejected", "matched", "customer_created"],
    }
}

/// What the file holds, in words.
fn kind_msg(kind: ImportKind) -> Msg {
    match kind {
        ImportKind::Customers => Msg::KindCustomers,
        ImportKind::Leads => Msg::KindLeads,
        ImportKind::Orders => Msg::KindOrders,
        ImportKind::Interactions => Msg::KindInteractions,
    }
}

const POLICIES: [(ImportPolicy, Msg, Msg); 3] = [
    (ImportPolicy::Skip, Msg::PolicySkip, Msg::PolicySkipHint),
    (
        ImportPolicy::FillEmpty,
        Msg::PolicyFill,
        Msg::PolicyFillHint,
    ),
    (
        ImportPolicy::Overwrite,
        Msg::PolicyOverwrite,
        Msg::PolicyOverwriteHint,
    ),
];

/// Encodings a person may choose when the guess is wrong (the API's `encoding`).
/// (value, Chinese label, English label): the names of encodings are not translated.
const ENCODING_CHOICES: [(&str, &str, &str); 5] = [
    ("utf-8", "UTF-8", "UTF-8"),
    (
        "gb18030",
        "GBK / GB18030（简体中文）",
        "GBK / GB18030 (Simplified Chinese)",
    ),
    ("big5", "Big5（繁体中文）", "Big5 (Traditional Chinese)"),
    ("utf-16le", "UTF-16 LE", "UTF-16 LE"),
    ("utf-16be", "UTF-16 BE", "UTF-16 BE"),
];

/// Delimiters a person may choose (the API's `delimiter`).
const DELIMITER_CHOICES: [(&str, Msg); 4] = [
    (",", Msg::DelimiterComma),
    (";", Msg::DelimiterSemicolon),
    ("tab", Msg::DelimiterTab),
    ("|", Msg::DelimiterPipe),
];

const DATE_ORDERS: [(&str, Msg); 3] = [
    ("dmy", Msg::DatesDmy),
    ("mdy", Msg::DatesMdy),
    ("ymd", Msg::DatesYmd),
];

/// A count in words: `{n}` in the message becomes the grouped number.
fn count(msg: Msg, l: Lang, n: u64) -> String {
    msg.t(l)
        .replace("{n}", &group_digits(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// Where a job stands, in words.
pub(crate) fn status_msg(job: &ImportJob) -> Msg {
    match (job.status, job.mode) {
        // Without its file (the retention rule) it cannot go on.
        (ImportStatus::Running, _) if job.interrupted && job.file_removed_at.is_some() => {
            Msg::ImportStopped
        }
        (ImportStatus::Running, _) if job.interrupted => Msg::ImportInterrupted,
        (ImportStatus::Running, ImportMode::Check) => Msg::ImportChecking,
        (ImportStatus::Running, ImportMode::Import) => Msg::ImportRunning,
        (ImportStatus::Done, ImportMode::Check) => Msg::ImportChecked,
        (ImportStatus::Done, ImportMode::Import) => Msg::ImportDone,
        (ImportStatus::Failed, _) => Msg::ImportFailed,
        (ImportStatus::Cancelled, _) => Msg::ImportCancelled,
    }
}

fn outcome_msg(outcome: &str) -> Option<Msg> {
    OUTCOMES
        .iter()
        .find(|(o, _)| *o == outcome)
        .map(|(_, m)| *m)
}

/// An outcome in words for a job of `kind` (a record that is already here was not matched
/// with a customer, it is the same record).
fn outcome_label(kind: ImportKind, outcome: &str) -> Option<Msg> {
    match (kind, outcome) {
        (ImportKind::Customers, _) => outcome_msg(outcome),
        (_, "matched") => Some(Msg::OutcomeRecordMatched),
        _ => outcome_msg(outcome),
    }
}

/// What a job did (or, after a check, would do), one count a line. `compact` leaves out
/// zeros (the list of imports).
fn counts_list(
    l: Lang,
    kind: ImportKind,
    c: &ImportCounts,
    mode: ImportMode,
    id: Option<&str>,
    compact: bool,
) -> Markup {
    let show = |n: u64| !compact || n > 0;
    if kind != ImportKind::Customers {
        return html! {
            ul.counts.compact[compact] id=[id] {
                @if show(c.created) { li.created { (count(Msg::CountRecordsCreated, l, c.created)) } }
                @if show(c.matched) { li.matched { (count(Msg::CountRecordsMatched, l, c.matched)) } }
                @if show(c.customers) { li.customers { (count(Msg::CountCustomersMade, l, c.customers)) } }
                @if show(c.rejected) { li.rejected { (count(Msg::CountRejected, l, c.rejected)) } }
                @if show(c.skipped) { li.skipped { (count(Msg::CountSkipped, l, c.skipped)) } }
            }
        };
    }
    html! {
        ul.counts.compact[compact] id=[id] {
            @if show(c.created) {
                li.created {
                    (count(Msg::CountCreated, l, c.created))
                    @if c.companies > 0 { (count(Msg::CountCompanies, l, c.companies)) }
                }
            }
            @if show(c.matched) {
                li.matched {
                    (count(Msg::CountMatched, l, c.matched))
                    @if c.updated > 0 { (count(Msg::CountUpdated, l, c.updated)) }
                }
            }
            @if show(c.same_as) { li.same-as { (count(Msg::CountSameAs, l, c.same_as)) } }
            @if show(c.rejected) { li.rejected { (count(Msg::CountRejected, l, c.rejected)) } }
            @if show(c.skipped) { li.skipped { (count(Msg::CountSkipped, l, c.skipped)) } }
            // A check does not look for look-alikes; an import does, when it has finished.
            @if mode == ImportMode::Import && show(c.duplicates) {
                li.duplicates { (count(Msg::CountDuplicates, l, c.duplicates)) }
            }
        }
    }
}

/// The name of a field of the forms on these pages, for the error box.
fn field_name(l: Lang, field: &str, headers: &[String]) -> String {
    if let Some(n) = field
        .strip_prefix("columns[")
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|n| n.parse::<usize>().ok())
    {
        return headers
            .get(n)
            .cloned()
            .unwrap_or_else(|| format!("#{}", n + 1));
    }
    let msg = match field {
        "file" => Msg::ImportFile,
        "policy" => Msg::ImportPolicy,
        "dates" => Msg::DateOrder,
        "mapping_name" => Msg::SavedMapping,
        "columns" => Msg::ColumnMapping,
        "name" => Msg::MappingName,
        "status" => Msg::Status,
        _ => return field.to_owned(),
    };
    msg.t(l).to_owned()
}

/// What went wrong, field by field, in the viewer's language.
fn error_box(l: Lang, e: &ApiError, headers: &[String]) -> Markup {
    html! {
        div.alert.bad role="alert" #import-error {
            (e.message(l))
            @if !e.fields().is_empty() {
                ul { @for f in e.fields() { li { (field_name(l, &f.field, headers)) ": " (f.reason.message(l)) } } }
            }
        }
    }
}

fn policy_field(l: Lang, id: &str, current: ImportPolicy) -> Markup {
    let hint = format!("{id}-hint");
    html! {
        div.field.policy {
            label for=(id) { (Msg::ImportPolicy.t(l)) }
            select id=(id) name="policy" aria-describedby=(hint) {
                @for (p, m, _) in POLICIES { option value=(p.as_str()) selected[p == current] { (m.t(l)) } }
            }
            div.muted id=(hint) {
                p { (Msg::ImportPolicyHint.t(l)) }
                dl.props.policies {
                    @for (_, m, h) in POLICIES { dt { (m.t(l)) } dd { (h.t(l)) } }
                }
            }
        }
    }
}

fn dates_field(l: Lang, id: &str, current: &str) -> Markup {
    let hint = format!("{id}-hint");
    html! {
        div.field {
            label for=(id) { (Msg::DateOrder.t(l)) }
            select id=(id) name="dates" aria-describedby=(hint) {
                @for (d, m) in DATE_ORDERS { option value=(d) selected[d == current] { (m.t(l)) } }
            }
            span.muted id=(hint) { (Msg::DateOrderHint.t(l)) }
        }
    }
}

/// The date order a stored mapping uses, as the forms write it.
fn dates_of(mapping: &serde_json::Value) -> &'static str {
    match mapping["dates"].as_str() {
        Some("day_month_year") => "dmy",
        Some("month_day_year") => "mdy",
        _ => "ymd",
    }
}

/// The file's header cells kept with the job.
fn headers_of(job: &ImportJob) -> Vec<String> {
    serde_json::from_value(job.mapping["headers"].clone()).unwrap_or_default()
}

/// The mapping kept with the job.
fn mapping_of(job: &ImportJob) -> Mapping {
    let mut m: Mapping = serde_json::from_value(job.mapping.clone()).unwrap_or_default();
    m.kind = job.kind;
    m
}

/// A field's name for a select: the import crate's name, with a capital in English.
fn field_option(f: Field, l: Lang) -> String {
    let name = guanxi_import::field_label(f, l);
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A job's error, recorded in both languages (`zh / en`), in the viewer's.
fn job_error(l: Lang, e: &str) -> &str {
    match e.split_once(" / ") {
        Some((zh, en)) => l.pick(zh, en),
        None => e,
    }
}

fn parse_id(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok()
}

// ---------------------------------------------------------------- the upload page

/// `/imports`: the upload form and the organisation's imports, newest first.
pub async fn list(State(s): State<ApiState>, v: Viewer) -> Response {
    list_page(&s, &v, None).await
}

async fn list_page(s: &ApiState, v: &Viewer, err: Option<&ApiError>) -> Response {
    let l = v.lang;
    let jobs = match s.store.import_jobs(v.ctx, 50).await {
        Ok(j) => j,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let mappings = s.store.import_mappings(v.ctx).await.unwrap_or_default();
    let status = err.map(|e| e.status()).unwrap_or(StatusCode::OK);
    (
        status,
        layout::page(
            &v.shell(),
            Msg::ImportTitle.t(l),
            list_content(v, &jobs, &mappings, err),
        ),
    )
        .into_response()
}

/// The upload form and the list of imports.
pub(crate) fn list_content(
    v: &Viewer,
    jobs: &[ImportJob],
    mappings: &[ImportMapping],
    err: Option<&ApiError>,
) -> Markup {
    let l = v.lang;
    // The upload is not read ahead by the CSRF check (it may be large): the token rides in
    // the query string instead.
    let action = match v.csrf.as_deref() {
        Some(t) => format!("/imports?_csrf={}", crate::encode(t)),
        None => "/imports".to_owned(),
    };
    html! {
        h1 { (Msg::ImportTitle.t(l)) }
        @if let Some(e) = err { (error_box(l, e, &[])) }
        form.card #upload-form method="post" action=(action) enctype="multipart/form-data" {
            p.alert #check-first { (Msg::CheckFirst.t(l)) }
            div.field {
                label for="import-kind" { (Msg::ImportKindLabel.t(l)) }
                select #import-kind name="kind" aria-describedby="import-kind-hint" {
                    @for k in ImportKind::ALL { option value=(k.as_str()) { (kind_msg(*k).t(l)) } }
                }
                span.muted #import-kind-hint { (Msg::ImportKindHint.t(l)) }
            }
            div.form-grid {
                div.field {
                    label for="import-file" { (Msg::ImportFile.t(l)) " (" (Msg::Required.t(l)) ")" }
                    input #import-file type="file" name="file" accept=".csv,.tsv,.txt,.xlsx,.vcf"
                        required aria-describedby="import-file-hint";
                    span.muted #import-file-hint { (Msg::ImportFileHint.t(l)) }
                }
                (dates_field(l, "import-dates", "dmy"))
                div.field {
                    label for="import-encoding" { (Msg::FileEncoding.t(l)) }
                    select #import-encoding name="encoding" aria-describedby="import-encoding-hint" {
                        option value="" selected { (Msg::DetectAuto.t(l)) }
                        @for (v, zh, en) in ENCODING_CHOICES { option value=(v) { (l.pick(zh, en)) } }
                    }
                    span.muted #import-encoding-hint { (Msg::FileEncodingHint.t(l)) }
                }
                div.field {
                    label for="import-delimiter" { (Msg::Delimiter.t(l)) }
                    select #import-delimiter name="delimiter" {
                        option value="" selected { (Msg::DetectAuto.t(l)) }
                        @for (v, label) in DELIMITER_CHOICES { option value=(v) { (label.t(l)) } }
                    }
                }
                div.field {
                    label for="import-sheet" { (Msg::Worksheet.t(l)) }
                    input #import-sheet type="text" name="sheet" maxlength="100"
                        placeholder=(Msg::WorksheetFirst.t(l)) aria-describedby="import-sheet-hint";
                    span.muted #import-sheet-hint { (Msg::WorksheetHint.t(l)) }
                }
                @if !mappings.is_empty() {
                    div.field {
                        label for="import-mapping" { (Msg::SavedMapping.t(l)) }
                        select #import-mapping name="mapping_name" {
                            option value="" { (Msg::SuggestMapping.t(l)) }
                            @for m in mappings { option value=(m.name) { (m.name) } }
                        }
                    }
                }
            }
            (policy_field(l, "import-policy", ImportPolicy::FillEmpty))
            p.muted #policy-customers-only { (Msg::ImportPolicy.t(l)) (Msg::PolicyCustomersOnly.t(l)) }
            input type="hidden" name="mode" value="check";
            p { button #upload type="submit" { (Msg::UploadAndCheck.t(l)) } }
        }
        section.card aria-labelledby="imports-h" {
            h2 #imports-h { (Msg::ImportHistory.t(l)) }
            @if jobs.is_empty() { p.empty { (Msg::NoImports.t(l)) } }
            @else {
                table.list #imports {
                    thead { tr {
                        th scope="col" { (Msg::ImportFile.t(l)) }
                        th scope="col" { (Msg::UploadedAt.t(l)) }
                        th scope="col" { (Msg::Status.t(l)) }
                        th scope="col" { (Msg::ImportKindLabel.t(l)) }
                        th.wide scope="col" { (Msg::ImportSummary.t(l)) }
                    } }
                    tbody { @for j in jobs { tr {
                        td { a href={"/imports/" (j.id)} { (j.file_name) } }
                        td { (v.when(j.created_at)) }
                        td { span.pill.job-status { (status_msg(j).t(l)) } }
                        td { (kind_msg(j.kind).t(l)) }
                        td.wide.wrap { (counts_list(l, j.kind, &j.counts, j.mode, None, true)) }
                    } } }
                }
            }
        }
    }
}

/// `POST /imports`: keep the file and start checking it; on to the job's page. A refusal
/// shows the upload page again with the reason.
pub async fn upload(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    match import_jobs::upload_job(&s, v.ctx, v.lang, form).await {
        Ok(job) => go(&headers, &format!("/imports/{}", job.id)),
        Err(e) => list_page(&s, &v, Some(&e)).await,
    }
}

// ---------------------------------------------------------------- the job page

#[derive(Debug, Default, Deserialize)]
pub struct JobParams {
    outcome: Option<String>,
    /// The mapping was just saved.
    saved: Option<String>,
}

/// `/imports/{id}`: where the job stands, what it did, and what comes next.
pub async fn show(
    State(s): State<ApiState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(p): Query<JobParams>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return crate::page_error(v.lang, ApiError::RouteNotFound);
    };
    job_page(&s, &v, ImportJobId(id), &p, None).await
}

async fn job_page(
    s: &ApiState,
    v: &Viewer,
    id: ImportJobId,
    p: &JobParams,
    err: Option<ApiError>,
) -> Response {
    let l = v.lang;
    let job = match s.store.import_job(v.ctx, id).await {
        Ok(j) => j,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let outcome = p
        .outcome
        .as_deref()
        .filter(|o| outcomes_of(job.kind).contains(o));
    let limit = u32::try_from(REPORT_ROWS + 1).unwrap_or(u32::MAX);
    let rows = s
        .store
        .import_rows(v.ctx, id, outcome.map(str::to_owned), 0, limit)
        .await
        .unwrap_or_default();
    // A checked job of customers offers the organisation's custom fields in its mapping.
    let custom = if job.kind == ImportKind::Customers && job.mode == ImportMode::Check {
        import_jobs::custom_fields(s.store.as_ref(), v.ctx)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let content = job_content(
        v,
        &job,
        &rows,
        outcome,
        p.saved.is_some(),
        err.as_ref(),
        &custom,
    );
    let status = err.as_ref().map(|e| e.status()).unwrap_or(StatusCode::OK);
    let mut res = (status, layout::page(&v.shell(), &job.file_name, content)).into_response();
    // While it runs, the page reloads itself (no script needed), and stops when it is over.
    if job.status == ImportStatus::Running && !job.interrupted {
        res.headers_mut().insert(
            HeaderName::from_static("refresh"),
            HeaderValue::from_static(REFRESH_SECS),
        );
    }
    res
}

/// The job page's content.
pub(crate) fn job_content(
    v: &Viewer,
    job: &ImportJob,
    rows: &[ImportRowNote],
    outcome: Option<&str>,
    saved: bool,
    err: Option<&ApiError>,
    custom: &[CustomField],
) -> Markup {
    let l = v.lang;
    let csrf = v.csrf.as_deref();
    let mapping = mapping_of(job);
    let percent = JobView::from(job.clone()).percent;
    let running = job.status == ImportStatus::Running && !job.interrupted;
    // A job whose upload the retention rule deleted can be read, not run again.
    let has_file = job.file_removed_at.is_none();
    let resumable = has_file
        && (job.status == ImportStatus::Failed
            || (job.status == ImportStatus::Running && job.interrupted));
    let checked = has_file && job.mode == ImportMode::Check && job.status == ImportStatus::Done;
    let headers = headers_of(job);
    let base = format!("/imports/{}", job.id);
    html! {
        div.titlebar {
            h1 { (Msg::ImportTitle.t(l)) ": " (job.file_name) }
            a href="/imports" { (Msg::Back.t(l)) }
        }
        @if saved { p.alert role="status" #mapping-saved { (Msg::MappingSaved.t(l)) } }
        @if let Some(e) = err { (error_box(l, e, &headers)) }
        section.card #job aria-labelledby="job-h" {
            h2 #job-h { (Msg::Progress.t(l)) }
            dl.props {
                dt { (Msg::ImportFile.t(l)) } dd #job-file { (job.file_name) }
                dt { (Msg::ImportKindLabel.t(l)) } dd #job-kind data-kind=(job.kind.as_str()) { (kind_msg(job.kind).t(l)) }
                dt { (Msg::Format.t(l)) } dd { (job.format) }
                @if let Some((sheet, sheets)) = import_jobs::sheet_of(&job.mapping) {
                    dt { (Msg::Worksheet.t(l)) }
                    dd #job-sheet {
                        (sheet)
                        @if sheets.len() > 1 {
                            span.muted { " " (Msg::WorksheetsOfBook.t(l).replace("{n}", &sheets.len().to_string())) (sheets.join(l.pick("、", ", "))) (l.pick("）", ")")) }
                        }
                    }
                } @else {
                    dt { (Msg::Encoding.t(l)) } dd { (job.encoding) }
                }
                dt { (Msg::UploadedAt.t(l)) } dd { (v.when(job.created_at)) }
                dt { (Msg::Status.t(l)) }
                dd #job-status data-status=(job.status.as_str()) data-mode=(job.mode.as_str()) {
                    span.pill { (status_msg(job).t(l)) }
                }
            }
            div.progress {
                progress #job-progress max="100" value=(percent) aria-labelledby="job-h" { (percent) "%" }
                " " span #job-percent { (percent) "%" } " · "
                span #job-rows { (count(Msg::RowsDone, l, job.rows_done)) }
            }
            @if let Some(e) = &job.error {
                p.alert.bad #job-error role="alert" { (job_error(l, e)) }
            }
            @if let Some(at) = job.file_removed_at {
                p.alert #file-removed role="status" {
                    (Msg::FileRemovedNotice.t(l).replace("{when}", &v.when(at))) " "
                    a href="/imports" { (Msg::ImportTitle.t(l)) }
                }
            }
            @if running {
                form.toolbar #cancel-form method="post" action={(base) "/cancel"} {
                    (layout::csrf_input(csrf))
                    button.plain #cancel-import type="submit" { (Msg::CancelImport.t(l)) }
                    span.muted { (Msg::CancelHint.t(l)) }
                }
            }
            @if resumable {
                form.toolbar #resume-form method="post" action={(base) "/resume"} {
                    (layout::csrf_input(csrf))
                    button #resume-import type="submit" { (Msg::ResumeImport.t(l)) }
                    span.muted { (Msg::ResumeHint.t(l)) }
                }
            }
        }
        section.card aria-labelledby="result-h" {
            h2 #result-h {
                @if job.mode == ImportMode::Check { (Msg::CheckResult.t(l)) } @else { (Msg::ImportResult.t(l)) }
            }
            (counts_list(l, job.kind, &job.counts, job.mode, Some("counts"), false))
            @if job.mode == ImportMode::Import && job.status == ImportStatus::Done && job.counts.duplicates > 0 {
                p { a.button #review-duplicates href="/duplicates" { (Msg::ReviewDuplicatesLink.t(l)) } }
            }
        }
        @if checked { (mapping_editor(l, csrf, job, &headers, err, custom)) }
        (report(l, &mapping, &base, rows, outcome))
    }
}

/// After a check: which column fills which field, the date order and the policy; import now
/// or check again; save the mapping for the next file.
fn mapping_editor(
    l: Lang,
    csrf: Option<&str>,
    job: &ImportJob,
    headers: &[String],
    err: Option<&ApiError>,
    custom: &[CustomField],
) -> Markup {
    let mapping = mapping_of(job);
    let columns = mapping.targets();
    let n = columns.len().max(headers.len());
    // The organisation's custom fields, and those the job's mapping has that it no longer
    // has (deleted since), so that the select shows what the job reads.
    let mut custom: Vec<&CustomField> = custom.iter().collect();
    for c in mapping.custom.iter().flatten() {
        if !custom.iter().any(|x| x.key == c.key) {
            custom.push(c);
        }
    }
    let invalid = |i: usize| {
        err.is_some_and(|e| {
            e.fields()
                .iter()
                .any(|f| f.field == format!("columns[{i}]"))
        })
    };
    html! {
        section.card #mapping-editor aria-labelledby="mapping-h" {
            h2 #mapping-h { (Msg::ColumnMapping.t(l)) }
            p.muted { (Msg::MappingHint.t(l)) }
            form #mapping-form method="post" action={"/imports/" (job.id) "/start"} {
                (layout::csrf_input(csrf))
                table.list #mapping {
                    thead { tr {
                        th scope="col" { (Msg::FileColumn.t(l)) }
                        th scope="col" { (Msg::ImportAs.t(l)) }
                    } }
                    tbody { @for i in 0..n {
                        @let current = columns.get(i).cloned().flatten();
                        tr {
                            td { label for={"col-" (i)} { (headers.get(i).cloned().unwrap_or_else(|| format!("#{}", i + 1))) } }
                            td.field.invalid[invalid(i)] {
                                select id={"col-" (i)} name={"col_" (i)} aria-invalid=[invalid(i).then_some("true")] {
                                    option value="" selected[current.is_none()] { (Msg::NotImported.t(l)) }
                                    @for f in guanxi_import::fields_of(job.kind).iter().copied() {
                                        option value=(f.as_str()) selected[current == Some(Target::Field(f))] { (field_option(f, l)) }
                                    }
                                    @if !custom.is_empty() {
                                        optgroup label=(Msg::CustomFields.t(l)) {
                                            @for c in &custom {
                                                @let t = Target::Custom(c.key.clone());
                                                option value=(t.name()) selected[current.as_ref() == Some(&t)] { (c.label(l)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    } }
                }
                div.form-grid {
                    (dates_field(l, "mapping-dates", dates_of(&job.mapping)))
                }
                @if job.kind == ImportKind::Customers { (policy_field(l, "mapping-policy", job.policy)) }
                p {
                    button #start-import type="submit" name="mode" value="import" { (Msg::StartImport.t(l)) }
                    " "
                    button.secondary #check-again type="submit" name="mode" value="check" { (Msg::CheckAgain.t(l)) }
                }
            }
            form.toolbar #save-mapping method="post" action={"/imports/" (job.id) "/mapping"} {
                (layout::csrf_input(csrf))
                label { (Msg::MappingName.t(l)) input #mapping-name name="name" type="text" required maxlength="100"; }
                button.secondary type="submit" { (Msg::SaveMapping.t(l)) }
            }
            p.muted { (Msg::SaveMappingHint.t(l)) }
        }
    }
}

/// The rows that need a look, by line, with a filter by outcome.
fn report(
    l: Lang,
    mapping: &Mapping,
    base: &str,
    rows: &[ImportRowNote],
    outcome: Option<&str>,
) -> Markup {
    let kind = mapping.kind;
    html! {
        section.card #report aria-labelledby="report-h" {
            h2 #report-h { (Msg::RowReport.t(l)) }
            nav.channels #report-filter aria-label=(Msg::Outcome.t(l)) {
                a href=(base) aria-current=[outcome.is_none().then_some("true")] { (Msg::AllOutcomes.t(l)) }
                @for o in outcomes_of(kind).iter().copied() {
                    @if let Some(m) = outcome_label(kind, o) {
                        a href={(base) "?outcome=" (o)} aria-current=[(outcome == Some(o)).then_some("true")] { (m.t(l)) }
                    }
                }
            }
            @if rows.is_empty() { p.empty { (Msg::NoReportRows.t(l)) } }
            @else {
                table.list #report-rows {
                    thead { tr {
                        th scope="col" { (Msg::Line.t(l)) }
                        th scope="col" { (Msg::Outcome.t(l)) }
                        th scope="col" { (Msg::Details.t(l)) }
                        th scope="col" {}
                    } }
                    tbody { @for r in rows.iter().take(REPORT_ROWS) {
                        tr data-outcome=(r.outcome) data-line=(r.line) {
                            td { (r.line) }
                            td { (outcome_label(kind, &r.outcome).map(|m| m.t(l)).unwrap_or(&r.outcome)) }
                            td.wrap { (row_detail(l, mapping, r)) }
                            td { @if let Some(c) = r.customer_id { a href={"/customers/" (c)} { (Msg::OpenCustomer.t(l)) } } }
                        }
                    } }
                }
                @if rows.len() > REPORT_ROWS { p.muted { (Msg::ReportCapped.t(l)) } }
                p { a.button.secondary #report-csv download
                    href={(base.replacen("/imports/", "/api/v1/imports/", 1)) "/rows.csv" @if let Some(o) = outcome { "?outcome=" (o) }}
                    { (Msg::DownloadReport.t(l)) } }
            }
        }
    }
}

/// Why a row was rejected (in the viewer's language), or which earlier row it repeats.
fn row_detail(l: Lang, mapping: &Mapping, r: &ImportRowNote) -> Markup {
    let reasons: Vec<&str> = r.detail["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x[l.pick("zh", "en")].as_str().or_else(|| x.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let first_line = r.detail["first_line"].as_u64();
    let lead = r.detail["lead_id"].as_i64();
    let order = r.detail["order_id"].as_i64();
    // What a check found the policy would change in the customer, or the row it would create.
    let changes: Vec<String> = r.detail["changes"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| change_line(l, mapping, k, v))
                .collect()
        })
        .unwrap_or_default();
    let others: Vec<i64> = r.detail["also_held_by"]
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect())
        .unwrap_or_default();
    let created = (r.outcome == "created").then(|| {
        let name = r.detail["name"].as_str().unwrap_or_default();
        match r.detail["company"].as_str() {
            Some(c) if c != name => format!("{name}（{c}）"),
            _ => name.to_owned(),
        }
    });
    html! {
        @if !reasons.is_empty() {
            ul.reasons { @for x in &reasons { li { (x) } } }
        }
        @if !changes.is_empty() {
            ul.changes { @for x in &changes { li { (x) } } }
        }
        @if let Some(c) = &created { span.created { (c) } }
        @if !others.is_empty() {
            p.also-held {
                (Msg::AlsoHeldBy.t(l))
                @for (n, o) in others.iter().enumerate() {
                    @if n > 0 { (l.pick("、", ", ")) }
                    a href={"/customers/" (o)} { "#" (o) }
                }
            }
        }
        @if let Some(id) = lead { a href={"/leads/" (id)} { (Msg::KindLeads.t(l)) " #" (id) } }
        @if let Some(id) = order { span.order { (Msg::KindOrders.t(l)) " #" (id) } }
        @if let Some(n) = first_line { span.same-as { (count(Msg::SameAsLine, l, n)) } }
    }
}

/// One change an import makes (or would make) to a customer: `城市：— → 杭州`, or the contact
/// points it adds.
fn change_line(l: Lang, mapping: &Mapping, key: &str, v: &serde_json::Value) -> String {
    let show = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::String(s) if s.is_empty() => "—".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) if a.is_empty() => "—".to_owned(),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(l.pick("、", ", ")),
        other => other.to_string(),
    };
    if key == "contact_points_added" {
        return format!("{}{}", Msg::ContactsAdded.t(l), show(v));
    }
    let label = match Target::parse(key) {
        Some(Target::Field(f)) => field_option(f, l),
        _ => mapping.label_of(key, l),
    };
    match v.as_array().map(Vec::as_slice) {
        Some([before, after]) => format!(
            "{label}{}{} → {}",
            l.pick("：", ": "),
            show(before),
            show(after)
        ),
        _ => format!("{label}{}{}", l.pick("：", ": "), show(v)),
    }
}

// ---------------------------------------------------------------- the job's actions

/// The fields of the mapping form.
pub(crate) fn start_body(
    f: &HashMap<String, String>,
    columns: usize,
) -> Result<StartImport, ApiError> {
    let text = |k: &str| {
        f.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    Ok(StartImport {
        mode: text("mode").unwrap_or_else(|| "check".into()),
        policy: text("policy"),
        columns: parse_columns(f, columns)?,
        dates: text("dates"),
    })
}

/// `col_0` … `col_N`: each column's field by its snake_case name (`custom.<key>` for a custom
/// field), or empty to leave the column out. `None` when the form has no column at all (the
/// job's mapping stays). Whether a custom field exists is the API's to say.
pub(crate) fn parse_columns(
    f: &HashMap<String, String>,
    columns: usize,
) -> Result<Option<Vec<Option<Target>>>, ApiError> {
    let mut out = vec![None; columns.min(MAX_COLUMNS)];
    let mut any = false;
    let mut errors = Vec::new();
    for (k, v) in f {
        let Some(n) = k.strip_prefix("col_") else {
            continue;
        };
        any = true;
        let Some(n) = n.parse::<usize>().ok().filter(|n| *n < out.len()) else {
            errors.push(FieldError::new(k.clone(), Reason::UnknownField));
            continue;
        };
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        match Target::parse(v) {
            Some(t) => out[n] = Some(t),
            None => errors.push(FieldError::new(
                format!("columns[{n}]"),
                Reason::NotOneOf {
                    allowed: Field::ALL
                        .iter()
                        .map(|f| f.as_str().to_owned())
                        .chain(std::iter::once(format!(
                            "{}<key>",
                            guanxi_import::CUSTOM_PREFIX
                        )))
                        .collect(),
                },
            )),
        }
    }
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        return Err(ApiError::Validation(errors));
    }
    Ok(any.then_some(out))
}

/// `POST /imports/{id}/start`: import the checked file, or check it again with the mapping,
/// date order and policy of the form.
pub async fn start(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(id) = parse_id(&id).map(ImportJobId) else {
        return crate::page_error(v.lang, ApiError::RouteNotFound);
    };
    let job = match s.store.import_job(v.ctx, id).await {
        Ok(j) => j,
        Err(e) => return crate::page_error(v.lang, e.into()),
    };
    let n = mapping_of(&job).columns.len();
    let result = match start_body(&f, n) {
        Ok(body) => import_jobs::restart(&s, v.ctx, id, body).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(job) => go(&headers, &format!("/imports/{}", job.id)),
        Err(e) => job_page(&s, &v, id, &JobParams::default(), Some(e)).await,
    }
}

/// `POST /imports/{id}/resume`: go on with an interrupted or failed job.
pub async fn resume(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_id(&id).map(ImportJobId) else {
        return crate::page_error(v.lang, ApiError::RouteNotFound);
    };
    match import_jobs::resume_job(&s, v.ctx, id).await {
        Ok(job) => go(&headers, &format!("/imports/{}", job.id)),
        Err(e) => job_page(&s, &v, id, &JobParams::default(), Some(e)).await,
    }
}

/// `POST /imports/{id}/cancel`: stop a running job; what it wrote stays.
pub async fn cancel(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_id(&id).map(ImportJobId) else {
        return crate::page_error(v.lang, ApiError::RouteNotFound);
    };
    match s.store.cancel_import_job(v.ctx, id).await {
        Ok(job) => go(&headers, &format!("/imports/{}", job.id)),
        Err(e) => job_page(&s, &v, id, &JobParams::default(), Some(e.into())).await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MappingForm {
    name: Option<String>,
}

/// `POST /imports/{id}/mapping`: save the job's mapping under a name.
pub async fn save_mapping(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<MappingForm>,
) -> Response {
    let Some(id) = parse_id(&id).map(ImportJobId) else {
        return crate::page_error(v.lang, ApiError::RouteNotFound);
    };
    let name = f.name.unwrap_or_default().trim().to_owned();
    let result = if name.is_empty() {
        Err(ApiError::Validation(vec![FieldError::new(
            "name",
            Reason::Required,
        )]))
    } else {
        match s.store.import_job(v.ctx, id).await {
            Ok(job) => s
                .store
                .save_import_mapping(v.ctx, name, job.mapping)
                .await
                .map_err(ApiError::from),
            Err(e) => Err(e.into()),
        }
    };
    match result {
        Ok(_) => go(&headers, &format!("/imports/{id}?saved=1")),
        Err(e) => job_page(&s, &v, id, &JobParams::default(), Some(e)).await,
    }
}

// ---------------------------------------------------------------- possible duplicates

#[derive(Debug, Default, Deserialize)]
pub struct DuplicatesParams {
    scanning: Option<String>,
    merged: Option<String>,
    dismissed: Option<String>,
}

impl DuplicatesParams {
    fn notice(&self) -> Option<Msg> {
        if self.scanning.is_some() {
            Some(Msg::ScanStarted)
        } else if self.merged.is_some() {
            Some(Msg::PairMerged)
        } else if self.dismissed.is_some() {
            Some(Msg::PairDismissed)
        } else {
            None
        }
    }
}

/// `/duplicates`: open pairs of look-alike customers, best first.
pub async fn duplicates(
    State(s): State<ApiState>,
    v: Viewer,
    Query(p): Query<DuplicatesParams>,
) -> Response {
    duplicates_page(&s, &v, p.notice(), None).await
}

async fn duplicates_page(
    s: &ApiState,
    v: &Viewer,
    notice: Option<Msg>,
    err: Option<ApiError>,
) -> Response {
    let l = v.lang;
    let pairs = match s
        .store
        .duplicate_candidates(v.ctx, DuplicateStatus::Open, 100)
        .await
    {
        Ok(p) => p,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let last_scan = s
        .store
        .duplicate_scans(v.ctx, 1)
        .await
        .unwrap_or_default()
        .into_iter()
        .next();
    let status = err.as_ref().map(|e| e.status()).unwrap_or(StatusCode::OK);
    let mut res = (
        status,
        layout::page(
            &v.shell(),
            Msg::DuplicatesTitle.t(l),
            duplicates_content(v, &pairs, last_scan.as_ref(), notice, err.as_ref()),
        ),
    )
        .into_response();
    // While a scan runs, the page reloads itself until it is over.
    if last_scan.is_some_and(|sc| sc.status == ScanStatus::Running && !sc.interrupted) {
        res.headers_mut().insert(
            HeaderName::from_static("refresh"),
            HeaderValue::from_static(REFRESH_SECS),
        );
    }
    res
}

/// Where the last scan of the organisation stands, in words.
fn scan_line(v: &Viewer, scan: &DuplicateScan) -> String {
    let l = v.lang;
    let when = v.when(scan.started_at);
    match scan.status {
        ScanStatus::Running if !scan.interrupted => Msg::ScanRunning.t(l).replace("{when}", &when),
        ScanStatus::Done => count(Msg::ScanDone, l, scan.stats.customers)
            .replace(
                "{when}",
                &v.when(scan.finished_at.unwrap_or(scan.started_at)),
            )
            .replace(
                "{found}",
                &group_digits(i64::try_from(scan.stats.found).unwrap_or(i64::MAX)),
            ),
        ScanStatus::Running | ScanStatus::Failed => {
            let why = match scan.error.as_deref() {
                Some("unavailable") => Msg::ScanUnavailable,
                Some("internal") => Msg::ScanInternal,
                _ => Msg::ScanInterrupted,
            };
            Msg::ScanFailed
                .t(l)
                .replace("{when}", &when)
                .replace("{why}", why.t(l))
        }
    }
}

/// The review queue's content.
pub(crate) fn duplicates_content(
    v: &Viewer,
    pairs: &[DuplicateCandidate],
    last_scan: Option<&DuplicateScan>,
    notice: Option<Msg>,
    err: Option<&ApiError>,
) -> Markup {
    let l = v.lang;
    let csrf = v.csrf.as_deref();
    let scanning = last_scan.is_some_and(|sc| sc.status == ScanStatus::Running && !sc.interrupted);
    html! {
        div.titlebar {
            h1 { (Msg::DuplicatesTitle.t(l)) }
            form #scan-form method="post" action="/duplicates/scan" {
                (layout::csrf_input(csrf))
                button.secondary #scan-all type="submit" disabled[scanning] { (Msg::ScanAll.t(l)) }
            }
        }
        @if let Some(m) = notice { p.alert role="status" #duplicates-notice { (m.t(l)) } }
        @if let Some(sc) = last_scan {
            p.muted #last-scan data-status=(sc.status.as_str()) data-interrupted=(sc.interrupted) { (scan_line(v, sc)) }
        }
        @if let Some(e) = err { (error_box(l, e, &[])) }
        p.muted { (Msg::DuplicatesIntro.t(l)) }
        @if pairs.is_empty() { p.empty #no-pairs { (Msg::NoDuplicatePairs.t(l)) } }
        div #pairs {
            @for pair in pairs {
                section.card.pair id={"pair-" (pair.id)} aria-label=(pair.reason.label(l)) {
                    p.pair-reason {
                        strong { (pair.reason.label(l)) }
                        " · " span.muted { (Msg::Score.t(l)) " " (pair.score) }
                    }
                    div.sides {
                        (side(v, &pair.a, "left"))
                        (side(v, &pair.b, "right"))
                    }
                    div.toolbar.pair-actions {
                        (merge_form(l, csrf, pair.id, &pair.a, Msg::KeepLeft, "keep-left"))
                        (merge_form(l, csrf, pair.id, &pair.b, Msg::KeepRight, "keep-right"))
                        form.inline method="post" action={"/duplicates/" (pair.id) "/dismiss"} {
                            (layout::csrf_input(csrf))
                            button.merge.secondary.not-same type="submit" { (Msg::NotSamePerson.t(l)) }
                        }
                    }
                }
            }
        }
    }
}

fn side(v: &Viewer, c: &DuplicateSide, class: &str) -> Markup {
    let l = v.lang;
    html! {
        div class={"side " (class)} {
            h3 { a href={"/customers/" (c.id)} { (c.name) } }
            dl.props {
                dt { (Msg::Company.t(l)) } dd { (c.company.as_deref().unwrap_or("—")) }
                dt { (Msg::City.t(l)) } dd { (c.city.as_deref().unwrap_or("—")) }
                dt { (Msg::ContactPoints.t(l)) }
                dd {
                    @if c.contacts.is_empty() { "—" }
                    @for (i, x) in c.contacts.iter().enumerate() { @if i > 0 { br; } (x) }
                }
                dt { (Msg::Created.t(l)) } dd { (v.when(c.created_at)) }
            }
        }
    }
}

fn merge_form(
    l: Lang,
    csrf: Option<&str>,
    id: DuplicateId,
    keep: &DuplicateSide,
    label: Msg,
    class: &str,
) -> Markup {
    let action = format!("/duplicates/{id}/merge");
    html! {
        form.inline method="post" action=(action) hx-post=(action) hx-confirm=(Msg::MergePairConfirm.t(l)) {
            (layout::csrf_input(csrf))
            input type="hidden" name="keep" value=(keep.id);
            button class={"merge " (class)} type="submit" { (label.t(l)) }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct KeepForm {
    keep: Option<String>,
}

/// `POST /duplicates/{id}/merge`: keep one of the pair, merge the other into it.
pub async fn merge(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<KeepForm>,
) -> Response {
    let Some(id) = parse_id(&id).map(DuplicateId) else {
        return crate::page_error(v.lang, ApiError::RouteNotFound);
    };
    let result = match f.keep.as_deref().and_then(|k| k.trim().parse::<i64>().ok()) {
        Some(keep) => import_jobs::merge_pair(&s, v.ctx, id, keep).await,
        None => Err(ApiError::Validation(vec![FieldError::new(
            "keep",
            Reason::Required,
        )])),
    };
    match result {
        Ok(_) => go(&headers, "/duplicates?merged=1"),
        Err(e) => duplicates_page(&s, &v, None, Some(e)).await,
    }
}

/// `POST /duplicates/{id}/dismiss`: two people after all; the pair does not come back.
pub async fn dismiss(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_id(&id).map(DuplicateId) else {
        return crate::page_error(v.lang, ApiError::RouteNotFound);
    };
    match s
        .store
        .decide_duplicate(v.ctx, id, DuplicateStatus::Dismissed)
        .await
    {
        Ok(_) => go(&headers, "/duplicates?dismissed=1"),
        Err(e) => duplicates_page(&s, &v, None, Some(e.into())).await,
    }
}

/// `POST /duplicates/scan`: compare every customer with the others in the background; the
/// page then shows the scan running until it is over (a scan already running is that one).
pub async fn scan(State(s): State<ApiState>, v: Viewer, headers: HeaderMap) -> Response {
    match import_jobs::start_scan(&s, v.ctx).await {
        Ok(_) => go(&headers, "/duplicates?scanning=1"),
        Err(e) => duplicates_page(&s, &v, None, Some(e)).await,
    }
}
