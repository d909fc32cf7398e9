//! Products and orders. Orders can be posted by an external shop system idempotently: the same
//! `external_id` twice gives one order.

use super::{created, versioned};
use crate::dto::sales::{
    ChangeOrderStatus, CreateOrder, CreateProduct, OrderList, OrderView, ProductList, ProductView,
    UpdateProduct,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{IdPath, IfMatch, JsonBody, OrgCtx, PathParams, QueryParams};
use crate::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use guanxi_core::{CustomerId, OrderId, ProductId};
use serde::Deserialize;
use utoipa::IntoParams;

/// Add a product to the catalogue (administrators and managers).
#[utoipa::path(post, path = "/api/v1/products", tag = "sales",
    request_body = CreateProduct,
    responses(
        (status = 201, description = "Created", body = ProductView),
        (status = 409, description = "The SKU is taken", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn create_product(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreateProduct>,
) -> Result<Response, ApiError> {
    let p = s.store.create_product(ctx, body.parse()?).await?;
    Ok(created(
        format!("/api/v1/products/{}", p.id),
        None,
        ProductView::from(p),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductsQuery {
    /// `true` to include products taken off sale.
    pub all: Option<String>,
}

/// The catalogue, by SKU.
#[utoipa::path(get, path = "/api/v1/products", tag = "sales", params(ProductsQuery),
    responses((status = 200, description = "Products", body = ProductList)))]
pub async fn list_products(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    QueryParams(q): QueryParams<ProductsQuery>,
) -> Result<Json<ProductList>, ApiError> {
    let all = match q.all.as_deref() {
        None => false,
        Some(v) => crate::dto::parse_bool(v).map_err(|e| ApiError::query(e.nest("all")))?,
    };
    let items = s.store.list_products(ctx, all).await?;
    Ok(Json(ProductList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Change a product's name or price, or take it off sale.
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "sales",
    params(("id" = i64, Path, description = "Product id")),
    request_body = UpdateProduct,
    responses(
        (status = 200, description = "Changed", body = ProductView),
        (status = 404, description = "No such product", body = ErrorBody),
    ))]
pub async fn update_product(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    JsonBody(body): JsonBody<UpdateProduct>,
) -> Result<Json<ProductView>, ApiError> {
    let org = s.store.get_org(ctx.org).await?;
    let patch = body.parse(org.currency)?;
    let product = s.store.update_product(ctx, ProductId(p.id), patch).await?;
    Ok(Json(product.into()))
}

/// Create an order for a customer: 201 with the new order, or 200 with the existing one when
/// its `external_id` was posted before.
#[utoipa::path(post, path = "/api/v1/orders", tag = "sales",
    request_body = CreateOrder,
    responses(
        (status = 201, description = "Created", body = OrderView, headers(("Location" = String), ("ETag" = String))),
        (status = 200, description = "This external_id exists: the order as it is", body = OrderView),
        (status = 422, description = "Invalid fields, a product of another organisation, a total that does not match its lines", body = ErrorBody),
    ))]
pub async fn create_order(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreateOrder>,
) -> Result<Response, ApiError> {
    let (order, new) = s
        .store
        .create_order(ctx, body.parse(chrono::Utc::now())?)
        .await?;
    let version = order.version;
    if new {
        Ok(created(
            format!("/api/v1/orders/{}", order.id),
            Some(version),
            OrderView::from(order),
        ))
    } else {
        Ok(versioned(StatusCode::OK, version, OrderView::from(order)))
    }
}

/// One order with its lines.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "sales",
    params(("id" = i64, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderView, headers(("ETag" = String))),
        (status = 404, description = "No such order", body = ErrorBody),
    ))]
pub async fn get_order(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Response, ApiError> {
    let o = s.store.get_order(ctx, OrderId(p.id)).await?;
    Ok(versioned(StatusCode::OK, o.version, OrderView::from(o)))
}

/// A customer's orders, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/customers/{id}/orders", tag = "sales",
    params(("id" = i64, Path, description = "Customer id")),
    responses(
        (status = 200, description = "Orders", body = OrderList),
        (status = 404, description = "No such customer", body = ErrorBody),
    ))]
pub async fn customer_orders(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<OrderList>, ApiError> {
    let items = s.store.customer_orders(ctx, CustomerId(p.id), 200).await?;
    Ok(Json(OrderList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Move an order along: placed → paid → shipped → completed; cancelled before shipping;
/// refunded after payment.
#[utoipa::path(post, path = "/api/v1/orders/{id}/status", tag = "sales",
    params(
        ("id" = i64, Path, description = "Order id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen"),
    ),
    request_body = ChangeOrderStatus,
    responses(
        (status = 200, description = "Moved", body = OrderView, headers(("ETag" = String))),
        (status = 412, description = "Changed by someone else meanwhile", body = ErrorBody),
        (status = 422, description = "Not a status this order can move to", body = ErrorBody),
    ))]
pub async fn change_status(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    IfMatch(version): IfMatch,
    JsonBody(body): JsonBody<ChangeOrderStatus>,
) -> Result<Response, ApiError> {
    let o = s
        .store
        .set_order_status(ctx, OrderId(p.id), version, body.parse()?)
        .await?;
    Ok(versioned(StatusCode::OK, o.version, OrderView::from(o)))
}

// ---------------------------------------------------------------- pipelines and opportunities

use crate::dto::sales::{
    BoardView, CreateOpportunity, CreatePipeline, MoveOpportunity, OpportunityList,
    OpportunityView, PipelineList, PipelineView,
};
use guanxi_core::{OpportunityId, PipelineId};

/// The organisation's pipelines with their stages.
#[utoipa::path(get, path = "/api/v1/pipelines", tag = "sales",
    responses((status = 200, description = "Pipelines", body = PipelineList)))]
pub async fn list_pipelines(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<PipelineList>, ApiError> {
    let items = s.store.list_pipelines(ctx).await?;
    Ok(Json(PipelineList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Add a pipeline (administrators and managers).
#[utoipa::path(post, path = "/api/v1/pipelines", tag = "sales",
    request_body = CreatePipeline,
    responses(
        (status = 201, description = "Created", body = PipelineView),
        (status = 422, description = "Invalid stages", body = ErrorBody),
    ))]
pub async fn create_pipeline(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreatePipeline>,
) -> Result<(StatusCode, Json<PipelineView>), ApiError> {
    let p = s.store.create_pipeline(ctx, body.parse()?).await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

/// The kanban board of a pipeline: per stage, the open opportunities within reach (newest
/// first, at most 50 per stage), their count, amount and weighted amount.
#[utoipa::path(get, path = "/api/v1/pipelines/{id}/board", tag = "sales",
    params(("id" = i64, Path, description = "Pipeline id")),
    responses(
        (status = 200, description = "The board", body = BoardView),
        (status = 404, description = "No such pipeline", body = ErrorBody),
    ))]
pub async fn board(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<BoardView>, ApiError> {
    let cols = s.store.board(ctx, PipelineId(p.id), 50).await?;
    Ok(Json(BoardView {
        columns: cols.into_iter().map(Into::into).collect(),
    }))
}

/// Open an opportunity for a customer within reach.
#[utoipa::path(post, path = "/api/v1/opportunities", tag = "sales",
    request_body = CreateOpportunity,
    responses(
        (status = 201, description = "Created", body = OpportunityView, headers(("ETag" = String))),
        (status = 422, description = "Invalid fields, a stage of another pipeline", body = ErrorBody),
    ))]
pub async fn create_opportunity(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreateOpportunity>,
) -> Result<Response, ApiError> {
    let o = s.store.create_opportunity(ctx, body.parse()?).await?;
    Ok(created(
        format!("/api/v1/opportunities/{}", o.id),
        Some(o.version),
        OpportunityView::from(o),
    ))
}

/// One opportunity.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}", tag = "sales",
    params(("id" = i64, Path, description = "Opportunity id")),
    responses(
        (status = 200, description = "The opportunity", body = OpportunityView, headers(("ETag" = String))),
        (status = 404, description = "No such opportunity", body = ErrorBody),
    ))]
pub async fn get_opportunity(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Response, ApiError> {
    let o = s.store.get_opportunity(ctx, OpportunityId(p.id)).await?;
    Ok(versioned(
        StatusCode::OK,
        o.version,
        OpportunityView::from(o),
    ))
}

/// Move an open opportunity to another stage of its pipeline (the kanban drag); its won or
/// lost stage closes it, with a reason (required to lose).
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/move", tag = "sales",
    params(
        ("id" = i64, Path, description = "Opportunity id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen"),
    ),
    request_body = MoveOpportunity,
    responses(
        (status = 200, description = "Moved", body = OpportunityView, headers(("ETag" = String))),
        (status = 412, description = "Changed by someone else meanwhile", body = ErrorBody),
        (status = 422, description = "A stage of another pipeline, a closed opportunity, no reason to lose", body = ErrorBody),
    ))]
pub async fn move_opportunity(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    IfMatch(version): IfMatch,
    JsonBody(body): JsonBody<MoveOpportunity>,
) -> Result<Response, ApiError> {
    let (stage, reason) = body.parse()?;
    let o = s
        .store
        .move_opportunity(ctx, OpportunityId(p.id), version, stage, reason)
        .await?;
    Ok(versioned(
        StatusCode::OK,
        o.version,
        OpportunityView::from(o),
    ))
}

/// A customer's opportunities, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/opportunities", tag = "sales",
    params(("id" = i64, Path, description = "Customer id")),
    responses(
        (status = 200, description = "Opportunities", body = OpportunityList),
        (status = 404, description = "No such customer", body = ErrorBody),
    ))]
pub async fn customer_opportunities(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<OpportunityList>, ApiError> {
    let items = s
        .store
        .customer_opportunities(ctx, CustomerId(p.id))
        .await?;
    Ok(Json(OpportunityList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// The forecast of a pipeline over the opportunities within reach: the weighted amount by
/// expected close month, by owner and by team; the win rate and the average sales cycle.
#[utoipa::path(get, path = "/api/v1/pipelines/{id}/forecast", tag = "sales",
    params(("id" = i64, Path, description = "Pipeline id")),
    responses(
        (status = 200, description = "The forecast", body = crate::dto::sales::ForecastView),
        (status = 404, description = "No such pipeline", body = ErrorBody),
    ))]
pub async fn forecast(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<crate::dto::sales::ForecastView>, ApiError> {
    Ok(Json(s.store.forecast(ctx, PipelineId(p.id)).await?.into()))
}

// ---------------------------------------------------------------- quotes

use crate::dto::sales::{ChangeQuoteStatus, CreateQuote, QuoteList, QuoteOrdered, QuoteView};
use guanxi_core::QuoteId;

/// Make a quote for a customer: lines priced from the catalogue (this organisation's products
/// only), discounts, a tax rate.
#[utoipa::path(post, path = "/api/v1/quotes", tag = "sales",
    request_body = CreateQuote,
    responses(
        (status = 201, description = "Created (draft)", body = QuoteView),
        (status = 422, description = "Invalid fields, a product of another organisation, a tax rate out of range", body = ErrorBody),
    ))]
pub async fn create_quote(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreateQuote>,
) -> Result<Response, ApiError> {
    let q = s.store.create_quote(ctx, body.parse()?).await?;
    Ok(created(
        format!("/api/v1/quotes/{}", q.id),
        Some(q.version),
        QuoteView::from(q),
    ))
}

/// One quote with its lines.
#[utoipa::path(get, path = "/api/v1/quotes/{id}", tag = "sales",
    params(("id" = i64, Path, description = "Quote id")),
    responses(
        (status = 200, description = "The quote", body = QuoteView, headers(("ETag" = String))),
        (status = 404, description = "No such quote within reach", body = ErrorBody),
    ))]
pub async fn get_quote(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Response, ApiError> {
    let q = s.store.get_quote(ctx, QuoteId(p.id)).await?;
    Ok(versioned(StatusCode::OK, q.version, QuoteView::from(q)))
}

/// A customer's quotes, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/quotes", tag = "sales",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "Quotes", body = QuoteList)))]
pub async fn customer_quotes(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<QuoteList>, ApiError> {
    let items = s.store.customer_quotes(ctx, CustomerId(p.id)).await?;
    Ok(Json(QuoteList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Send, accept or reject a quote (or reopen a rejected one as a draft).
#[utoipa::path(post, path = "/api/v1/quotes/{id}/status", tag = "sales",
    params(
        ("id" = i64, Path, description = "Quote id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen"),
    ),
    request_body = ChangeQuoteStatus,
    responses(
        (status = 200, description = "Changed", body = QuoteView, headers(("ETag" = String))),
        (status = 422, description = "Not a status this quote can move to", body = ErrorBody),
    ))]
pub async fn quote_status(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    IfMatch(version): IfMatch,
    JsonBody(body): JsonBody<ChangeQuoteStatus>,
) -> Result<Response, ApiError> {
    let q = s
        .store
        .set_quote_status(ctx, QuoteId(p.id), version, body.parse()?)
        .await?;
    Ok(versioned(StatusCode::OK, q.version, QuoteView::from(q)))
}

/// Turn a quote into an order: its lines, plus a tax line when taxed; once.
#[utoipa::path(post, path = "/api/v1/quotes/{id}/order", tag = "sales",
    params(
        ("id" = i64, Path, description = "Quote id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen"),
    ),
    responses(
        (status = 201, description = "The order", body = QuoteOrdered),
        (status = 409, description = "Ordered before", body = ErrorBody),
        (status = 422, description = "A rejected quote", body = ErrorBody),
    ))]
pub async fn order_quote(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    IfMatch(version): IfMatch,
) -> Result<Response, ApiError> {
    let (q, o) = s.store.order_quote(ctx, QuoteId(p.id), version).await?;
    Ok(created(
        format!("/api/v1/orders/{}", o.id),
        Some(o.version),
        QuoteOrdered {
            quote: q.into(),
            order: o.into(),
        },
    ))
}
