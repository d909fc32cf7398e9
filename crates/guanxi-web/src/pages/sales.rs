//! Sales pages: the kanban board of a pipeline (drag a card to another stage, or use the
//! card's own "move to" form, which works from the keyboard and without JavaScript), and
//! opening an opportunity from the customer page.

use super::login::go;
use super::Viewer;
use crate::i18n::Msg;
use crate::layout;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Form;
use guanxi_api::dto::sales::{CreateOpportunity, MoveOpportunity};
use guanxi_api::{ApiError, ApiState};
use guanxi_core::pipeline::StageKind;
use guanxi_core::{OpportunityId, PipelineId};
use maud::html;
use serde::Deserialize;

/// `/pipelines`: the first pipeline's board.
pub async fn pipelines(State(s): State<ApiState>, v: Viewer, headers: HeaderMap) -> Response {
    match s.store.list_pipelines(v.ctx).await {
        Ok(p) if !p.is_empty() => go(&headers, &format!("/pipelines/{}", p[0].id)),
        Ok(_) => crate::page_error(v.lang, ApiError::NotFound { entity: "pipeline" }),
        Err(e) => crate::page_error(v.lang, e.into()),
    }
}

/// The board: a column per stage with its open opportunities, count and weighted amount.
pub async fn board(State(s): State<ApiState>, v: Viewer, Path(id): Path<i64>) -> Response {
    let l = v.lang;
    let pipelines = match s.store.list_pipelines(v.ctx).await {
        Ok(p) => p,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let Some(pipeline) = pipelines.iter().find(|p| p.id == PipelineId(id)) else {
        return crate::page_error(l, ApiError::NotFound { entity: "pipeline" });
    };
    let columns = match s.store.board(v.ctx, pipeline.id, 50).await {
        Ok(c) => c,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let csrf = v.csrf.as_deref();
    let total: i64 = columns.iter().map(|c| c.count).sum();
    let forecast = s.store.forecast(v.ctx, pipeline.id).await.ok();
    let content = html! {
        div.titlebar {
            h1 { (pipeline.name) }
            @if pipelines.len() > 1 {
                nav.channels aria-label=(Msg::Pipeline.t(l)) {
                    @for p in &pipelines {
                        a href={"/pipelines/" (p.id)} aria-current=[(p.id == pipeline.id).then_some("page")] { (p.name) }
                    }
                }
            }
        }
        @if total == 0 { p.empty { (Msg::NoOpportunities.t(l)) } }
        div.board #board {
            @for col in &columns {
                section.column data-stage=(col.stage.id) aria-labelledby={"stage-" (col.stage.id)} {
                    h2 id={"stage-" (col.stage.id)} {
                        (col.stage.name) " " span.muted { (col.stage.probability) "%" }
                    }
                    p.muted.column-sum {
                        (v.number(col.count)) " · " (v.money(col.amount, v.org.currency))
                        @if col.stage.kind == StageKind::Open {
                            " · " (Msg::Weighted.t(l)) " " (v.money(col.weighted, v.org.currency))
                        }
                    }
                    @if col.items.is_empty() && col.stage.kind == StageKind::Open {
                        p.muted { (Msg::EmptyStage.t(l)) }
                    }
                    @for o in &col.items {
                        article.card.opp draggable="true" data-opp=(o.id) data-version=(o.version) {
                            strong { (o.name) }
                            div { a href={"/customers/" (o.customer_id)} { (o.customer_name) } }
                            div.money { (v.money(o.amount, o.currency)) }
                            form.move method="post" action={"/opportunities/" (o.id) "/move"} {
                                (crate::layout::csrf_input(csrf))
                                label.sr-only for={"move-" (o.id)} { (Msg::MoveTo.t(l)) }
                                select id={"move-" (o.id)} name="stage_id" {
                                    @for st in &pipeline.stages {
                                        option value=(st.id) selected[st.id == o.stage_id] { (st.name) }
                                    }
                                }
                                label.sr-only for={"reason-" (o.id)} { (Msg::Reason.t(l)) }
                                input id={"reason-" (o.id)} name="reason" type="text" placeholder=(Msg::Reason.t(l));
                                button type="submit" { (Msg::Move.t(l)) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(f) = &forecast {
            section.card #forecast aria-labelledby="forecast-h" {
                h2 #forecast-h { (Msg::Forecast.t(l)) }
                p {
                    (Msg::WinRate.t(l)) ": "
                    @if f.won + f.lost > 0 {
                        strong { (f.won * 100 / (f.won + f.lost)) "%" } " (" (f.won) "/" (f.won + f.lost) ")"
                    } @else { "—" }
                    " · " (Msg::AverageCycle.t(l)) ": "
                    @match f.average_cycle_days {
                        Some(d) => { strong { (format!("{d:.1}")) } " " (Msg::Days.t(l)) }
                        None => { "—" }
                    }
                }
                table.list {
                    thead { tr {
                        th scope="col" { (Msg::Month.t(l)) }
                        th scope="col" { (Msg::Opportunities.t(l)) }
                        th scope="col" { (Msg::Amount.t(l)) }
                        th scope="col" { (Msg::Weighted.t(l)) }
                    } }
                    tbody { @for r in &f.by_month { tr {
                        td { @if r.key.is_empty() { (Msg::NoDate.t(l)) } @else { (r.key) } }
                        td { (v.number(r.count)) }
                        td.money { (v.money(r.amount, v.org.currency)) }
                        td.money { (v.money(r.weighted, v.org.currency)) }
                    } } }
                }
            }
        }
        script src="/assets/board.js" defer {}
    };
    layout::page(&v.shell(), Msg::Pipeline.t(l), content)
}

#[derive(Debug, Default, Deserialize)]
pub struct MoveForm {
    stage_id: Option<i64>,
    reason: Option<String>,
    version: Option<i64>,
}

/// Move an opportunity (the card's form, or a drop on another column); back to the board.
pub async fn move_opportunity(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<MoveForm>,
) -> Response {
    let parsed = MoveOpportunity {
        stage_id: f.stage_id,
        reason: f.reason.filter(|r| !r.trim().is_empty()),
    }
    .parse();
    let result = match parsed {
        Ok((stage, reason)) => s
            .store
            .move_opportunity(v.ctx, OpportunityId(id), f.version, stage, reason)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(o) => go(&headers, &format!("/pipelines/{}", o.pipeline_id)),
        Err(e) => problem_page(&v, e),
    }
}

fn problem_page(v: &Viewer, e: ApiError) -> Response {
    let l = v.lang;
    let status = e.status();
    let content = html! {
        h1 { (Msg::Pipeline.t(l)) }
        div.alert.bad role="alert" #move-error {
            (e.message(l))
            ul { @for f in e.fields() { li { (f.field) ": " (f.reason.message(l)) } } }
        }
        p { a href="/pipelines" { (Msg::Back.t(l)) } }
    };
    (
        status,
        layout::page(&v.shell(), Msg::Pipeline.t(l), content),
    )
        .into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct NewOpportunityForm {
    name: Option<String>,
    amount: Option<String>,
    pipeline_id: Option<i64>,
    expected_close: Option<String>,
}

/// Open an opportunity from the customer page; then to the board.
pub async fn create_opportunity(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(customer): Path<i64>,
    Form(f): Form<NewOpportunityForm>,
) -> Response {
    let dto = CreateOpportunity {
        customer_id: Some(customer),
        pipeline_id: f.pipeline_id,
        name: f.name,
        amount: f.amount.map(|a| a.trim().replace(['¥', '￥', ','], "")),
        currency: Some(v.org.currency.as_str().to_owned()),
        expected_close: f.expected_close.filter(|d| !d.trim().is_empty()),
        ..Default::default()
    };
    let result = match dto.parse() {
        Ok(new) => s
            .store
            .create_opportunity(v.ctx, new)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(o) => go(&headers, &format!("/pipelines/{}", o.pipeline_id)),
        Err(e) => problem_page(&v, e),
    }
}
