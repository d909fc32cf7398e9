//! The data warehouse over HTTP: what it holds, and analysts' read-only SQL over the
//! organisation's star schema (administrators and analysts only).

use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, OrgCtx};
use crate::warehouse::{Answer, Refusal};
use crate::ApiState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use guanxi_core::{DomainError, FieldError, Reason};
use serde::Deserialize;
use utoipa::ToSchema;

/// Longest SQL text accepted, in characters.
pub const SQL_MAX: usize = 20_000;

/// A query to run.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryBody {
    /// One read-only query (SELECT, WITH or VALUES) over the tables and views in docs/WAREHOUSE.md.
    #[schema(value_type = String, example = "SELECT month, sum(revenue_fen) FROM summary_segment_month GROUP BY month ORDER BY month")]
    pub sql: Option<String>,
    /// `json` (the default) or `csv` (UTF-8 with a byte order mark, for Excel).
    #[schema(value_type = Option<String>, example = "json")]
    pub format: Option<String>,
}

enum Format {
    Json,
    Csv,
}

impl QueryBody {
    fn parse(self) -> Result<(String, Format), DomainError> {
        let mut errors = Vec::new();
        let sql = match self.sql.as_deref().map(str::trim) {
            None => {
                errors.push(FieldError::new("sql", Reason::Required));
                String::new()
            }
            Some("") => {
                errors.push(FieldError::new("sql", Reason::Empty));
                String::new()
            }
            Some(s) if s.chars().count() > SQL_MAX => {
                errors.push(FieldError::new("sql", Reason::TooLong { max: SQL_MAX }));
                String::new()
            }
            Some(s) => s.to_owned(),
        };
        let format = match self.format.as_deref() {
            None | Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            Some(_) => {
                errors.push(FieldError::new(
                    "format",
                    Reason::NotOneOf {
                        allowed: vec!["json".into(), "csv".into()],
                    },
                ));
                Format::Json
            }
        };
        if errors.is_empty() {
            Ok((sql, format))
        } else {
            Err(DomainError::Invalid(errors))
        }
    }
}

fn refused(r: Refusal) -> ApiError {
    match r {
        Refusal::Sql(reason) => ApiError::Validation(vec![FieldError::new("sql", reason)]),
        Refusal::Broken(detail) => {
            tracing::warn!(%detail, "warehouse failed");
            ApiError::Unavailable
        }
    }
}

fn engine(s: &ApiState) -> Result<&std::sync::Arc<dyn crate::warehouse::Warehouse>, ApiError> {
    s.warehouse.as_ref().ok_or(ApiError::Unavailable)
}

/// What the warehouse holds for the organisation: the last load and the rows per table.
#[utoipa::path(get, path = "/api/v1/warehouse", tag = "analysis",
    responses(
        (status = 200, description = "Status"),
        (status = 503, description = "No warehouse configured", body = ErrorBody),
    ))]
pub async fn status(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(engine(&s)?.status(ctx.org).await.map_err(refused)?))
}

/// Run one read-only SQL query over the organisation's warehouse tables (facts, dimensions
/// and the summary views), limited in rows, time and memory. Answers `columns`, `rows` and
/// `truncated`, or CSV.
#[utoipa::path(post, path = "/api/v1/warehouse/query", tag = "analysis",
    request_body = QueryBody,
    responses(
        (status = 200, description = "The result"),
        (status = 422, description = "Not one read-only query, or it failed, ran too long or needed too much memory", body = ErrorBody),
        (status = 503, description = "No warehouse configured", body = ErrorBody),
    ))]
pub async fn query(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<QueryBody>,
) -> Result<Response, ApiError> {
    let (sql, format) = body.parse()?;
    let Answer { json, csv } = engine(&s)?.query(ctx.org, &sql).await.map_err(refused)?;
    Ok(match format {
        Format::Json => Json(json).into_response(),
        Format::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"query.csv\"",
                ),
            ],
            format!("\u{feff}{csv}"),
        )
            .into_response(),
    })
}
