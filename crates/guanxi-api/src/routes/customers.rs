//! Customers: create, read, change, soft-delete and restore, list, look up, the 360° view.

use super::{created, versioned};
use crate::dto::customers::{
    CreateCustomer, Customer360View, CustomerPage, CustomerView, GetCustomerQuery,
    ListCustomersQuery, LookupQuery, LookupResult, MergeCustomers, MergedView, MovedView,
    UpdateCustomer,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{IdPath, IfMatch, JsonBody, OrgCtx, PathParams, QueryParams};
use crate::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use futures_util::StreamExt;
use guanxi_core::CustomerId;

/// Create a customer with its contact points.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers",
    request_body = CreateCustomer,
    responses(
        (status = 201, description = "Created", body = CustomerView,
            headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "A contact point belongs to another customer", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn create(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreateCustomer>,
) -> Result<Response, ApiError> {
    let c = s.store.create_customer(ctx, body.parse()?).await?;
    Ok(created(
        format!("/api/v1/customers/{}", c.id),
        Some(c.version),
        CustomerView::from(c),
    ))
}

/// One customer.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers",
    params(("id" = i64, Path, description = "Customer id"), GetCustomerQuery),
    responses(
        (status = 200, description = "The customer", body = CustomerView, headers(("ETag" = String))),
        (status = 404, description = "No such customer", body = ErrorBody),
    ))]
pub async fn get(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    QueryParams(q): QueryParams<GetCustomerQuery>,
) -> Result<Response, ApiError> {
    let include_deleted = q.parse()?;
    let c = s
        .store
        .get_customer(ctx, CustomerId(p.id), include_deleted)
        .await?;
    Ok(versioned(StatusCode::OK, c.version, CustomerView::from(c)))
}

/// Change some fields of a customer.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers",
    params(
        ("id" = i64, Path, description = "Customer id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen, e.g. `\"3\"`"),
    ),
    request_body = UpdateCustomer,
    responses(
        (status = 200, description = "Updated", body = CustomerView, headers(("ETag" = String))),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 412, description = "Changed by someone else meanwhile", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn update(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    IfMatch(version): IfMatch,
    JsonBody(body): JsonBody<UpdateCustomer>,
) -> Result<Response, ApiError> {
    let c = s
        .store
        .update_customer(ctx, CustomerId(p.id), version, body.parse()?)
        .await?;
    Ok(versioned(StatusCode::OK, c.version, CustomerView::from(c)))
}

/// Soft-delete a customer: it leaves lists and lookups and can be restored. Answers with the
/// deleted customer (`deleted_at` set).
#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "customers",
    params(
        ("id" = i64, Path, description = "Customer id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen"),
    ),
    responses(
        (status = 200, description = "Deleted", body = CustomerView, headers(("ETag" = String))),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 412, description = "Changed by someone else meanwhile", body = ErrorBody),
    ))]
pub async fn delete(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    IfMatch(version): IfMatch,
) -> Result<Response, ApiError> {
    let c = s
        .store
        .delete_customer(ctx, CustomerId(p.id), version)
        .await?;
    Ok(versioned(StatusCode::OK, c.version, CustomerView::from(c)))
}

/// Bring back a soft-deleted customer.
#[utoipa::path(post, path = "/api/v1/customers/{id}/restore", tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    responses(
        (status = 200, description = "Restored", body = CustomerView, headers(("ETag" = String))),
        (status = 404, description = "No such customer", body = ErrorBody),
    ))]
pub async fn restore(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Response, ApiError> {
    let c = s.store.restore_customer(ctx, CustomerId(p.id)).await?;
    Ok(versioned(StatusCode::OK, c.version, CustomerView::from(c)))
}

/// List customers: filter, search, sort, page.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers",
    params(ListCustomersQuery),
    responses(
        (status = 200, description = "A page of customers", body = CustomerPage),
        (status = 400, description = "Invalid parameters", body = ErrorBody),
        (status = 422, description = "Invalid or expired cursor", body = ErrorBody),
    ))]
pub async fn list(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    QueryParams(q): QueryParams<ListCustomersQuery>,
) -> Result<Json<CustomerPage>, ApiError> {
    let page = s.store.list_customers(ctx, q.parse()?).await?;
    Ok(Json(page.into()))
}

/// Who is this? Find customers by a phone number, e-mail address or WeChat id, written any
/// way. Always 200; `matches` is empty when nobody holds the contact point.
#[utoipa::path(get, path = "/api/v1/customers/lookup", tag = "customers",
    params(LookupQuery),
    responses(
        (status = 200, description = "Matching customers, possibly none", body = LookupResult),
        (status = 400, description = "Not exactly one parameter, or an invalid value", body = ErrorBody),
    ))]
pub async fn lookup(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    QueryParams(q): QueryParams<LookupQuery>,
) -> Result<Json<LookupResult>, ApiError> {
    let found = s.store.lookup(ctx, &q.parse()?).await?;
    Ok(Json(LookupResult {
        matches: found.into_iter().map(Into::into).collect(),
    }))
}

/// The customer on one screen: profile, contact points, company or contact persons, latest
/// interactions and counts per channel.
#[utoipa::path(get, path = "/api/v1/customers/{id}/360", tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    responses(
        (status = 200, description = "The 360° view", body = Customer360View),
        (status = 404, description = "No such customer", body = ErrorBody),
    ))]
pub async fn view_360(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<Customer360View>, ApiError> {
    let v = s.store.customer_360(ctx, CustomerId(p.id)).await?;
    Ok(Json(v.into()))
}

/// Merge a duplicate (`merge_id`) into this customer: its interactions, contact points, contact
/// persons and tags move here, empty fields are filled from it, and it is removed for good
/// (it cannot be restored). Needs the right to delete customers.
#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "customers",
    params(("id" = i64, Path, description = "The customer kept")),
    request_body = MergeCustomers,
    responses(
        (status = 200, description = "Merged", body = MergedView, headers(("ETag" = String))),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 422, description = "The duplicate is missing, the same, or of another kind", body = ErrorBody),
    ))]
pub async fn merge(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    JsonBody(body): JsonBody<MergeCustomers>,
) -> Result<Response, ApiError> {
    let other = body.parse()?;
    let (c, moved) = s
        .store
        .merge_customers(ctx, CustomerId(p.id), other)
        .await?;
    Ok(versioned(
        StatusCode::OK,
        c.version,
        MergedView {
            customer: c.into(),
            moved: MovedView {
                interactions: moved.interactions,
                contact_points: moved.contact_points,
                contact_persons: moved.contact_persons,
            },
        },
    ))
}

/// Most rows one export writes.
pub const EXPORT_ROWS_MAX: usize = 1_000_000;

/// What both exports start from: the language of the headers (the user's own, else the
/// request's), the list's query read page by page, owners' names, and the first page, read
/// before answering so that a failure is still an error response.
struct Export {
    lang: guanxi_core::Lang,
    query: guanxi_store::CustomerQuery,
    owners: std::collections::HashMap<i64, String>,
    first: guanxi_store::Page<guanxi_store::CustomerSummary>,
    /// The full records of the first page.
    first_full: Vec<guanxi_store::Customer>,
    /// The organisation's custom fields: a column each, after the built-in ones.
    fields: Vec<guanxi_store::FieldDef>,
}

/// The full records of a page of the list, in its order.
async fn full_records(
    store: &dyn guanxi_store::Store,
    ctx: guanxi_store::Ctx,
    page: &[guanxi_store::CustomerSummary],
) -> Result<Vec<guanxi_store::Customer>, guanxi_store::StoreError> {
    let ids: Vec<guanxi_core::CustomerId> = page.iter().map(|c| c.id).collect();
    store.customers_by_ids(ctx, &ids).await
}

async fn export_start(
    s: &ApiState,
    ctx: guanxi_store::Ctx,
    headers: &axum::http::HeaderMap,
    caller: Option<axum::Extension<crate::auth::Caller>>,
    q: ListCustomersQuery,
) -> Result<Export, ApiError> {
    let lang = caller
        .and_then(|c| c.0.user.locale)
        .unwrap_or_else(|| crate::error::request_lang(headers));
    let mut query = q.parse()?;
    query.cursor = None;
    query.limit = 500;
    let owners: std::collections::HashMap<i64, String> = s
        .store
        .list_users(ctx)
        .await?
        .into_iter()
        .map(|u| (u.id.get(), u.name))
        .collect();
    let first = s.store.list_customers(ctx, query.clone()).await?;
    let first_full = full_records(s.store.as_ref(), ctx, &first.items).await?;
    let fields = s.store.list_field_defs(ctx).await?;
    Ok(Export {
        lang,
        query,
        owners,
        first,
        first_full,
        fields,
    })
}

/// The customer list as a CSV file that Excel opens (UTF-8 with a BOM), with the same filters,
/// search and sort as `GET /customers`, every page of it (at most 1,000,000 rows), headers in
/// the request's language. Written as it is read, so memory stays flat.
#[utoipa::path(get, path = "/api/v1/customers/export.csv", tag = "customers",
    params(ListCustomersQuery),
    responses(
        (status = 200, description = "CSV, UTF-8 with a byte order mark", content_type = "text/csv"),
        (status = 400, description = "Invalid query parameters", body = ErrorBody),
    ))]
pub async fn export_csv(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    headers: axum::http::HeaderMap,
    caller: Option<axum::Extension<crate::auth::Caller>>,
    QueryParams(q): QueryParams<ListCustomersQuery>,
) -> Result<Response, ApiError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let Export {
        lang,
        query,
        owners,
        first,
        first_full,
        fields,
    } = export_start(&s, ctx, &headers, caller, q).await?;
    let titles = all_titles(lang, &fields);
    let mut head = guanxi_import::export::BOM.to_vec();
    head.extend(guanxi_import::export::csv_rows([titles]));
    let render = move |page: &[guanxi_store::Customer]| -> Vec<u8> {
        guanxi_import::export::csv_rows(page.iter().map(|c| full_row(c, &owners, &fields)))
    };
    head.extend(render(&first_full));
    let written = first.items.len();
    let state = (
        s.store.clone(),
        ctx,
        query,
        first.next_cursor,
        written,
        render,
    );
    let rest = futures_util::stream::unfold(
        state,
        |(store, ctx, query, cursor, written, render)| async move {
            let cursor = cursor?;
            if written >= EXPORT_ROWS_MAX {
                return None;
            }
            let q = guanxi_store::CustomerQuery {
                cursor: Some(cursor),
                ..query.clone()
            };
            let read = match store.list_customers(ctx, q).await {
                Ok(page) => full_records(store.as_ref(), ctx, &page.items)
                    .await
                    .map(|full| (page, full)),
                Err(e) => Err(e),
            };
            match read {
                Ok((page, full)) => {
                    let chunk = render(&full);
                    let written = written + page.items.len();
                    Some((
                        Ok::<_, std::io::Error>(axum::body::Bytes::from(chunk)),
                        (store, ctx, query, page.next_cursor, written, render),
                    ))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "customer export stopped");
                    Some((
                        Err(std::io::Error::other("the export stopped")),
                        (store, ctx, query, None, written, render),
                    ))
                }
            }
        },
    );
    let body = futures_util::stream::once(async move {
        Ok::<_, std::io::Error>(axum::body::Bytes::from(head))
    })
    .chain(rest);
    let filename = match lang {
        guanxi_core::Lang::ZhCn => "filename*=UTF-8''%E5%AE%A2%E6%88%B7.csv",
        guanxi_core::Lang::En => "filename*=UTF-8''customers.csv",
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"customers.csv\"; {filename}"),
            ),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

/// The export's column titles in `lang`: the words the import suggests its fields from, so
/// that an exported file goes back in with its columns mapped (tested below).
fn export_titles(lang: guanxi_core::Lang) -> [&'static str; EXPORT_COLUMNS] {
    match lang {
        guanxi_core::Lang::ZhCn => [
            "编号",
            "类型",
            "姓名",
            "公司",
            "职位",
            "手机",
            "电话",
            "邮箱",
            "微信",
            "城市",
            "地址",
            "生日",
            "标签",
            "备注",
            "其他联系方式",
            "状态",
            "级别",
            "VIP",
            "客户经理",
            "创建时间",
        ],
        guanxi_core::Lang::En => [
            "id",
            "kind",
            "name",
            "company",
            "title",
            "mobile",
            "phone",
            "email",
            "wechat",
            "city",
            "address",
            "birthday",
            "tags",
            "note",
            "other contacts",
            "status",
            "class",
            "vip",
            "account manager",
            "created",
        ],
    }
}

/// Columns of a customer export before the custom fields.
const EXPORT_COLUMNS: usize = 20;

/// The export's titles: the built-in columns, then each custom field by its label.
fn all_titles(lang: guanxi_core::Lang, fields: &[guanxi_store::FieldDef]) -> Vec<String> {
    let mut t: Vec<String> = export_titles(lang)
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    t.extend(
        fields
            .iter()
            .map(|f| lang.pick(&f.label_zh, &f.label_en).to_owned()),
    );
    t
}

/// A customer's cells: the built-in columns, then each custom field's value as text.
fn full_row(
    c: &guanxi_store::Customer,
    owners: &std::collections::HashMap<i64, String>,
    fields: &[guanxi_store::FieldDef],
) -> Vec<String> {
    let mut row = export_row(c, owners).to_vec();
    row.extend(fields.iter().map(|f| {
        match c.custom.get(&f.key) {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(","),
            Some(other) => other.to_string(),
        }
    }));
    row
}

/// One customer as the export's cells. The first contact point of each kind has its own
/// column (primary first); the others go, labelled, into "other contacts". A company's own
/// name is also its company, which is how the import tells a company from a person.
fn export_row(
    c: &guanxi_store::Customer,
    owners: &std::collections::HashMap<i64, String>,
) -> [String; EXPORT_COLUMNS] {
    use guanxi_core::ContactKind as K;
    let kinds = [K::Mobile, K::Landline, K::Email, K::Wechat, K::Address];
    let mut first: [Option<&str>; 5] = [None; 5];
    let mut others = Vec::new();
    for cp in &c.contact_points {
        match kinds.iter().position(|k| *k == cp.kind) {
            Some(i) if first[i].is_none() => first[i] = Some(&cp.value),
            _ => others.push(format!("{}: {}", cp.kind.as_str(), cp.value)),
        }
    }
    let cell = |v: Option<&str>| v.unwrap_or_default().to_owned();
    let company = match c.kind {
        guanxi_core::customer::CustomerKind::Company => Some(c.name.clone()),
        guanxi_core::customer::CustomerKind::Person => c.company_name.clone(),
    };
    [
        c.id.get().to_string(),
        c.kind.as_str().to_owned(),
        c.name.clone(),
        company.unwrap_or_default(),
        c.title.clone().unwrap_or_default(),
        cell(first[0]),
        cell(first[1]),
        cell(first[2]),
        cell(first[3]),
        c.city.clone().unwrap_or_default(),
        cell(first[4]),
        c.birthday.map(|d| d.to_string()).unwrap_or_default(),
        c.tags.join(","),
        c.note.clone().unwrap_or_default(),
        others.join("; "),
        c.status.as_str().to_owned(),
        c.class.as_str().to_owned(),
        if c.vip { "1" } else { "" }.to_owned(),
        c.owner_id
            .and_then(|o| owners.get(&o.get()).cloned())
            .unwrap_or_default(),
        c.created_at.to_rfc3339(),
    ]
}

/// Most rows of an Excel export (a sheet holds 1,048,576 with the header).
pub const EXPORT_XLSX_ROWS_MAX: usize = 1_048_575;

/// The customer list as an Excel workbook: the same filters, search, sort and columns as the
/// CSV export, every cell text (so that phone numbers stay digits), headers in the user's
/// language. Pages are read as the workbook is written, on a blocking thread.
#[utoipa::path(get, path = "/api/v1/customers/export.xlsx", tag = "customers",
    params(ListCustomersQuery),
    responses(
        (status = 200, description = "An .xlsx workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, description = "Invalid query parameters", body = ErrorBody),
    ))]
pub async fn export_xlsx(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    headers: axum::http::HeaderMap,
    caller: Option<axum::Extension<crate::auth::Caller>>,
    QueryParams(q): QueryParams<ListCustomersQuery>,
) -> Result<Response, ApiError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let Export {
        lang,
        query,
        owners,
        first,
        first_full,
        fields,
    } = export_start(&s, ctx, &headers, caller, q).await?;
    let titles = all_titles(lang, &fields);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<String>>(1000);
    let store = s.store.clone();
    // The rows are read as the workbook is written; a list longer than a sheet, or a read
    // that fails part-way, fails the export rather than answering with a shortened file.
    let feed = tokio::spawn(async move {
        let mut page = first;
        let mut full = first_full;
        let mut written = 0usize;
        loop {
            for c in &full {
                if written >= EXPORT_XLSX_ROWS_MAX {
                    return Err(ApiError::Validation(vec![
                        guanxi_core::error::FieldError::new(
                            "limit",
                            guanxi_core::Reason::TooMany {
                                max: EXPORT_XLSX_ROWS_MAX,
                            },
                        ),
                    ]));
                }
                if tx.send(full_row(c, &owners, &fields)).await.is_err() {
                    // The workbook stopped taking rows; it says why.
                    return Ok(());
                }
                written += 1;
            }
            let Some(cursor) = page.next_cursor.clone() else {
                return Ok(());
            };
            let q = guanxi_store::CustomerQuery {
                cursor: Some(cursor),
                ..query.clone()
            };
            let read = match store.list_customers(ctx, q).await {
                Ok(p) => full_records(store.as_ref(), ctx, &p.items)
                    .await
                    .map(|f| (p, f)),
                Err(e) => Err(e),
            };
            match read {
                Ok((p, f)) => (page, full) = (p, f),
                Err(e) => {
                    tracing::warn!(error = %e, "customer export stopped");
                    return Err(ApiError::from(e));
                }
            }
        }
    });
    let book = tokio::task::spawn_blocking(move || {
        guanxi_import::export::xlsx(&titles, std::iter::from_fn(|| rx.blocking_recv()))
    })
    .await
    .map_err(|_| ApiError::Internal)?;
    // The workbook's end drops the receiver, so the feed has ended or ends at its next row.
    feed.await.map_err(|_| ApiError::Internal)??;
    let book = book.map_err(|e| {
        tracing::warn!(error = %e, "the Excel export failed");
        ApiError::Internal
    })?;
    let filename = match lang {
        guanxi_core::Lang::ZhCn => "filename*=UTF-8''%E5%AE%A2%E6%88%B7.xlsx",
        guanxi_core::Lang::En => "filename*=UTF-8''customers.xlsx",
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"customers.xlsx\"; {filename}"),
            ),
        ],
        book,
    )
        .into_response())
}

/// A customer as a vCard 4.0 (for a phone's or mail client's address book).
#[utoipa::path(get, path = "/api/v1/customers/{id}/vcard", tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    responses(
        (status = 200, description = "vCard 4.0", content_type = "text/vcard"),
        (status = 404, description = "No such customer within reach", body = ErrorBody),
    ))]
pub async fn vcard(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Response, ApiError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    use guanxi_core::ContactKind;
    let c = s.store.get_customer(ctx, CustomerId(p.id), false).await?;
    let of = |k: &[ContactKind]| -> Vec<&guanxi_store::ContactPoint> {
        c.contact_points
            .iter()
            .filter(|cp| k.contains(&cp.kind))
            .collect()
    };
    let card = guanxi_import::vcard::Card {
        uid: format!("urn:guanxi:org:{}:customer:{}", ctx.org, c.id),
        name: c.name.clone(),
        is_company: c.kind == guanxi_core::customer::CustomerKind::Company,
        org: c.company_name.clone(),
        title: c.title.clone(),
        phones: of(&[ContactKind::Mobile, ContactKind::Landline])
            .iter()
            .map(|cp| (cp.key.clone(), cp.kind == ContactKind::Mobile))
            .collect(),
        emails: of(&[ContactKind::Email])
            .iter()
            .map(|cp| cp.key.clone())
            .collect(),
        addresses: of(&[ContactKind::Address])
            .iter()
            .map(|cp| cp.value.clone())
            .collect(),
        birthday: c.birthday,
        categories: c.tags.clone(),
        note: c.note.clone(),
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/vcard; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"customer-{}.vcf\"", c.id),
            ),
        ],
        guanxi_import::vcard::card(&card),
    )
        .into_response())
}

/// Pages of 200 interactions (or 500 audit records) a personal-data export reads at most.
const PERSONAL_DATA_PAGES: usize = 500;
/// Most orders and leads a personal-data export lists.
const PERSONAL_DATA_ORDERS: u32 = 10_000;
const PERSONAL_DATA_LEADS: u32 = 200;

/// Everything Guanxi holds about one customer, for a request under the Personal Information
/// Protection Law (个人信息保护法) or the GDPR: the record with its contact points, every
/// interaction, order, quote, opportunity, activity, the leads it came from, its account plan,
/// its scores and their history, and the audit records about it; `truncated` names a list cut
/// at its limit. Administrators only; each export is written to the audit log.
#[utoipa::path(get, path = "/api/v1/customers/{id}/personal-data", tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    responses(
        (status = 200, description = "The whole record as JSON", body = crate::dto::customers::PersonalDataView),
        (status = 404, description = "No such customer", body = ErrorBody),
    ))]
pub async fn personal_data(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Response, ApiError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let id = CustomerId(p.id);
    let customer = s.store.get_customer(ctx, id, true).await?;
    let mut truncated = Vec::new();
    let mut interactions = Vec::new();
    let mut cursor = None;
    // Every interaction, page by page (bounded).
    for round in 0..PERSONAL_DATA_PAGES {
        let page = s
            .store
            .timeline(
                ctx,
                id,
                guanxi_store::TimelineQuery {
                    channel: None,
                    cursor: cursor.clone(),
                    limit: 200,
                },
            )
            .await?;
        interactions.extend(page.items.into_iter().map(Into::into));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
        if round + 1 == PERSONAL_DATA_PAGES {
            truncated.push("interactions");
        }
    }
    let orders = s
        .store
        .customer_orders(ctx, id, PERSONAL_DATA_ORDERS)
        .await?;
    if orders.len() >= PERSONAL_DATA_ORDERS as usize {
        truncated.push("orders");
    }
    let leads = s
        .store
        .list_leads(
            ctx,
            guanxi_store::LeadQuery {
                customer: Some(id),
                limit: PERSONAL_DATA_LEADS,
                ..Default::default()
            },
        )
        .await?;
    if leads.len() >= PERSONAL_DATA_LEADS as usize {
        truncated.push("leads");
    }
    // The audit records about the customer, page by page (bounded).
    let mut audit = Vec::new();
    let mut before = None;
    for round in 0..PERSONAL_DATA_PAGES {
        let page = s
            .store
            .list_audit(
                ctx,
                guanxi_store::AuditQuery {
                    entity: Some("customer".into()),
                    entity_id: Some(id.get()),
                    before,
                    limit: 500,
                    ..Default::default()
                },
            )
            .await?;
        let full = page.len() == 500;
        before = page.last().map(|a| a.id);
        audit.extend(page.into_iter().map(Into::into));
        if !full {
            break;
        }
        if round + 1 == PERSONAL_DATA_PAGES {
            truncated.push("audit");
        }
    }
    let view = crate::dto::customers::PersonalDataView {
        generated_at: chrono::Utc::now(),
        customer: customer.into(),
        interactions,
        orders: orders.into_iter().map(Into::into).collect(),
        quotes: s
            .store
            .customer_quotes(ctx, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
        opportunities: s
            .store
            .customer_opportunities(ctx, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
        activities: s
            .store
            .activities_about(ctx, guanxi_store::About::Customer(id))
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
        leads: leads.into_iter().map(Into::into).collect(),
        account_plan: s.store.account_plan(ctx, id).await.ok().map(Into::into),
        scores: crate::dto::analysis::CustomerScoresView {
            score: s.store.customer_score(ctx, id).await?,
            history: s.store.score_history(ctx, id).await?,
        },
        audit,
        truncated,
    };
    crate::auth::record(
        &s,
        guanxi_store::AuditEntry {
            org: Some(ctx.org),
            actor: ctx.actor,
            token: ctx.token,
            ip: ctx.ip,
            action: "customer.personal_data_exported".into(),
            entity: Some("customer".into()),
            entity_id: Some(id.get()),
            outcome: guanxi_store::Outcome::Ok,
            detail: serde_json::json!({"interactions": view.interactions.len(),
                                       "orders": view.orders.len()}),
        },
    )
    .await;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"customer-{}-personal-data.json\"",
                id
            ),
        )],
        Json(view),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use guanxi_import::{Field, Mapping};

    /// An exported list goes back in with its columns mapped, in both languages: each column
    /// that holds a customer field is suggested as that field, and no other column is.
    #[test]
    fn an_export_maps_back_onto_the_import() {
        let want = [
            None,
            None,
            Some(Field::Name),
            Some(Field::Company),
            Some(Field::Title),
            Some(Field::Mobile),
            Some(Field::Phone),
            Some(Field::Email),
            Some(Field::Wechat),
            Some(Field::City),
            Some(Field::Address),
            Some(Field::Birthday),
            Some(Field::Tags),
            Some(Field::Note),
            None,
            None,
            None,
            None,
            None,
            None,
        ];
        for lang in [guanxi_core::Lang::ZhCn, guanxi_core::Lang::En] {
            let titles: Vec<String> = export_titles(lang).iter().map(|t| t.to_string()).collect();
            assert_eq!(Mapping::suggest(&titles).columns, want, "{lang:?}");
        }
    }

    #[test]
    fn a_row_has_each_kind_first_in_its_column_and_the_rest_labelled() {
        use guanxi_core::ContactKind as K;
        let t = chrono::Utc::now();
        let cp = |id: i64, kind: K, value: &str| guanxi_store::ContactPoint {
            id: guanxi_core::ContactPointId(id),
            kind,
            value: value.into(),
            key: value.into(),
            label: None,
            primary: id == 1,
            created_at: t,
        };
        let c = guanxi_store::Customer {
            id: CustomerId(7),
            kind: guanxi_core::customer::CustomerKind::Company,
            name: "杭州华信科技有限公司".into(),
            company_id: None,
            company_name: None,
            title: None,
            owner_id: Some(guanxi_core::UserId(3)),
            team_id: None,
            status: guanxi_core::customer::CustomerStatus::Loyal,
            class: guanxi_core::customer::CustomerClass::Key,
            vip: true,
            tags: vec!["老客户".into(), "华东".into()],
            city: Some("杭州".into()),
            birthday: chrono::NaiveDate::from_ymd_opt(1990, 5, 4),
            note: Some("=1+1".into()),
            custom: serde_json::Map::new(),
            contact_points: vec![
                cp(1, K::Mobile, "+86 139 1234 5678"),
                cp(2, K::Email, "hx@example.cn"),
                cp(3, K::Mobile, "+86 138 0013 8000"),
            ],
            version: 1,
            created_at: t,
            updated_at: t,
            deleted_at: None,
        };
        let owners = std::collections::HashMap::from([(3, "王经理".to_owned())]);
        let row = export_row(&c, &owners);
        assert_eq!(row[2], "杭州华信科技有限公司");
        assert_eq!(row[3], row[2], "a company is its own company");
        assert_eq!(row[5], "+86 139 1234 5678");
        assert_eq!(row[7], "hx@example.cn");
        assert_eq!(row[11], "1990-05-04");
        assert_eq!(row[12], "老客户,华东");
        assert_eq!(row[14], "mobile: +86 138 0013 8000");
        assert_eq!(row[18], "王经理");
        // Made safe for spreadsheets when written, not here.
        assert_eq!(row[13], "=1+1");
    }
}
