//! The web UI of Guanxi (关系): server-rendered HTML in zh-CN and English.
//!
//! Pages are rendered by [maud] (compile-time templates, escaped by default) and enhanced with
//! htmx (search as you type, forms that answer with their errors in place); everything works
//! for reading without JavaScript. Assets are compiled into the binary. The same session cookie
//! and the same permission table as the JSON API apply: [`router`] puts every page behind
//! [`guanxi_api::auth::authorize_with`] with the web's own [`WebGate`], whose refusals are pages
//! and redirects to the sign-in form rather than JSON.

mod charts;
mod i18n;
mod layout;
mod pages;

pub use i18n::Msg;

use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{middleware, Router};
use guanxi_api::auth::{authorize_with, Gate};
use guanxi_api::{ApiError, ApiState};
use guanxi_core::{Action, Lang};

/// Every page of the UI and its assets.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login::form).post(pages::login::submit))
        .route("/logout", post(pages::login::logout))
        .route("/lang", post(pages::login::set_language))
        .route("/customers", get(pages::customers::list))
        .route(
            "/customers/new",
            get(pages::customers::new_form).post(pages::customers::create),
        )
        .route("/customers/views", post(pages::customers::save_view))
        .route(
            "/customers/views/{id}/delete",
            post(pages::customers::delete_view),
        )
        .route("/customers/{id}", get(pages::customers::show))
        .route(
            "/customers/{id}/edit",
            get(pages::customers::edit).post(pages::customers::update),
        )
        .route(
            "/customers/{id}/interactions",
            post(pages::customers::log_interaction),
        )
        .route(
            "/customers/{id}/duplicates",
            get(pages::customers::duplicates),
        )
        .route("/customers/{id}/merge", post(pages::customers::merge))
        .route("/lookup", get(pages::customers::lookup))
        .route("/my-day", get(pages::day::my_day).post(pages::day::plan))
        .route("/my-day/feed", post(pages::day::new_feed))
        .route("/activities/{id}/done", post(pages::day::done))
        .route("/leads", get(pages::leads::list))
        .route(
            "/leads/new",
            get(pages::leads::new_form).post(pages::leads::create),
        )
        .route("/leads/settings", get(pages::leads::settings))
        .route("/leads/settings/forms", post(pages::leads::create_form))
        .route("/leads/settings/rules", post(pages::leads::create_rule))
        .route(
            "/leads/settings/rules/{id}/delete",
            post(pages::leads::delete_rule),
        )
        .route("/leads/settings/sources", post(pages::leads::save_source))
        .route("/leads/{id}", get(pages::leads::show))
        .route("/leads/{id}/status", post(pages::leads::set_status))
        .route("/leads/{id}/convert", post(pages::leads::convert))
        .route(
            "/f/{key}",
            get(pages::leads::public_form).post(pages::leads::public_submit),
        )
        .route("/f/{key}/thanks", get(pages::leads::thanks))
        .route("/pipelines", get(pages::sales::pipelines))
        .route("/pipelines/{id}", get(pages::sales::board))
        .route(
            "/opportunities/{id}/move",
            post(pages::sales::move_opportunity),
        )
        .route(
            "/customers/{id}/opportunities",
            post(pages::sales::create_opportunity),
        )
        .route(
            "/customers/{id}/orders",
            post(pages::customers::create_order),
        )
        .route(
            "/customers/{id}/quotes",
            post(pages::customers::create_quote),
        )
        .route(
            "/customers/{id}/account-plan",
            post(pages::customers::save_plan),
        )
        .route(
            "/customers/{id}/account-team",
            post(pages::customers::add_member),
        )
        .route(
            "/customers/{id}/account-team/{user_id}/remove",
            post(pages::customers::remove_member),
        )
        .route(
            "/customers/{id}/erase",
            get(pages::customers::erase_form).post(pages::customers::erase),
        )
        .route("/analysis", get(pages::analysis::dashboard))
        .route("/analysis/run", post(pages::analysis::run))
        .route(
            "/analysis/segments",
            get(pages::segments::page).post(pages::segments::save),
        )
        .route("/analysis/segments/reset", post(pages::segments::reset))
        .route(
            "/analysis/sql",
            get(pages::warehouse::page).post(pages::warehouse::run),
        )
        // `{chart}.csv`: the router has no suffixes, so the handler takes the file name.
        .route("/analysis/{file}", get(pages::analysis::export))
        .route("/imports", get(pages::imports::list))
        .route("/imports/{id}", get(pages::imports::show))
        .route("/imports/{id}/start", post(pages::imports::start))
        .route("/imports/{id}/resume", post(pages::imports::resume))
        .route("/imports/{id}/cancel", post(pages::imports::cancel))
        .route("/imports/{id}/mapping", post(pages::imports::save_mapping))
        .route("/duplicates", get(pages::imports::duplicates))
        .route("/duplicates/scan", post(pages::imports::scan))
        .route("/duplicates/{id}/merge", post(pages::imports::merge))
        .route("/duplicates/{id}/dismiss", post(pages::imports::dismiss))
        .route("/quotes/{id}/status", post(pages::customers::quote_status))
        .route("/quotes/{id}/order", post(pages::customers::order_quote))
        .route(
            "/admin/users",
            get(pages::admin::users).post(pages::admin::create_user),
        )
        .route("/admin/users/{id}", post(pages::admin::update_user))
        .route("/admin/roles", get(pages::admin::roles))
        .route(
            "/admin/users/{id}/password",
            post(pages::admin::reset_password),
        )
        .route(
            "/admin/teams",
            get(pages::admin::teams).post(pages::admin::create_team),
        )
        .route(
            "/admin/fields",
            get(pages::admin::fields).post(pages::admin::create_field),
        )
        .route(
            "/admin/fields/{id}/delete",
            post(pages::admin::delete_field),
        )
        .route(
            "/account/tokens",
            get(pages::admin::tokens).post(pages::admin::create_token),
        )
        .route(
            "/account/tokens/{id}/revoke",
            post(pages::admin::revoke_token),
        )
        .route_layer(middleware::from_fn_with_state(
            (state.clone(), WebGate),
            authorize_with::<WebGate>,
        ))
        .route("/assets/{name}", get(asset))
        .with_state(state)
}

/// Pages that take a file, under the upload limit instead of the body limit.
pub fn upload_router(state: ApiState) -> Router {
    Router::new()
        .route("/imports", post(pages::imports::upload))
        .route_layer(middleware::from_fn_with_state(
            (state.clone(), WebGate),
            authorize_with::<WebGate>,
        ))
        .with_state(state)
}

/// What each page needs: the web half of the permission table.
pub fn action_of(method: &Method, route: &str) -> Option<Action> {
    use Action as A;
    Some(match (method.as_str(), route) {
        ("GET" | "POST", "/login") => A::Public,
        // The hosted web form: the key in the address is all it takes (spam checks, throttle).
        ("GET" | "POST", "/f/{key}") | ("GET", "/f/{key}/thanks") => A::Public,
        ("GET", "/leads" | "/leads/{id}") => A::ReadLeads,
        ("GET" | "POST", "/leads/new") | ("POST", "/leads/{id}/status") => A::WriteLeads,
        ("POST", "/leads/{id}/convert") => A::ConvertLeads,
        ("GET", "/leads/settings")
        | (
            "POST",
            "/leads/settings/forms"
            | "/leads/settings/rules"
            | "/leads/settings/rules/{id}/delete"
            | "/leads/settings/sources",
        ) => A::ManageSalesSettings,
        ("GET", "/") | ("POST", "/logout" | "/lang") => A::OwnAccount,
        ("GET", "/imports" | "/imports/{id}")
        | (
            "POST",
            "/imports"
            | "/imports/{id}/start"
            | "/imports/{id}/resume"
            | "/imports/{id}/cancel"
            | "/imports/{id}/mapping",
        ) => A::ImportCustomers,
        ("GET", "/duplicates")
        | ("POST", "/duplicates/scan" | "/duplicates/{id}/merge" | "/duplicates/{id}/dismiss") => {
            A::ReviewDuplicates
        }
        ("GET" | "POST", "/analysis/sql") => A::QueryWarehouse,
        ("GET", "/analysis" | "/analysis/{file}" | "/analysis/segments") => A::ViewAnalytics,
        ("POST", "/analysis/run" | "/analysis/segments" | "/analysis/segments/reset") => {
            A::RunAnalysis
        }
        ("GET" | "POST", "/customers/{id}/erase") => A::EraseCustomers,
        ("GET", "/customers" | "/customers/{id}") => A::ReadCustomers,
        ("POST", "/customers/views" | "/customers/views/{id}/delete") => A::ReadCustomers,
        ("GET" | "POST", "/customers/{id}/edit") => A::WriteCustomers,
        ("GET" | "POST", "/customers/new") => A::CreateCustomers,
        ("POST", "/customers/{id}/interactions") => A::LogInteractions,
        ("GET", "/customers/{id}/duplicates") | ("POST", "/customers/{id}/merge") => {
            A::DeleteCustomers
        }
        ("GET", "/lookup") => A::LookupCustomers,
        (
            "POST",
            "/customers/{id}/account-plan"
            | "/customers/{id}/account-team"
            | "/customers/{id}/account-team/{user_id}/remove",
        ) => A::WriteCustomers,
        ("POST", "/customers/{id}/orders" | "/customers/{id}/quotes")
        | ("POST", "/quotes/{id}/status" | "/quotes/{id}/order") => A::WriteOrders,
        ("GET", "/pipelines" | "/pipelines/{id}") => A::ReadCustomers,
        ("GET" | "POST", "/my-day") | ("POST", "/activities/{id}/done") => A::WriteActivities,
        ("POST", "/my-day/feed") => A::OwnAccount,
        ("POST", "/opportunities/{id}/move" | "/customers/{id}/opportunities") => {
            A::WriteOpportunities
        }
        ("GET" | "POST", "/admin/users")
        | ("POST", "/admin/users/{id}" | "/admin/users/{id}/password")
        | ("GET", "/admin/roles") => A::ManageUsers,
        ("GET" | "POST", "/admin/teams") => A::ManageTeams,
        ("GET" | "POST", "/admin/fields") | ("POST", "/admin/fields/{id}/delete") => {
            A::ManageSettings
        }
        ("GET" | "POST", "/account/tokens") | ("POST", "/account/tokens/{id}/revoke") => {
            A::OwnAccount
        }
        _ => return None,
    })
}

/// The web's gate: the page table above; refusals as pages, and the sign-in form for anyone
/// not signed in.
#[derive(Clone, Copy, Debug)]
pub struct WebGate;

impl Gate for WebGate {
    fn action_of(&self, method: &Method, route: &str) -> Option<Action> {
        action_of(method, route)
    }

    fn refuse(&self, e: ApiError, path: &str, headers: &HeaderMap) -> Response {
        let lang = guanxi_api::error::request_lang(headers);
        match e {
            ApiError::Unauthenticated(_) => to_login(path, headers),
            ApiError::Forbidden => layout::problem(lang, StatusCode::FORBIDDEN, Msg::Forbidden),
            ApiError::CsrfRejected => layout::problem(lang, StatusCode::FORBIDDEN, Msg::CsrfFailed),
            other => page_error(lang, other),
        }
    }
}

/// Send the browser to the sign-in form, coming back to `path` afterwards. An htmx request
/// is told with `HX-Redirect`, so that the whole page changes, not a fragment.
fn to_login(path: &str, headers: &HeaderMap) -> Response {
    let next = if path.starts_with('/') && !path.starts_with("//") && path != "/logout" {
        path
    } else {
        "/customers"
    };
    let target = format!("/login?next={}", encode(next));
    if headers.contains_key("hx-request") {
        let mut res = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = HeaderValue::from_str(&target) {
            res.headers_mut().insert("hx-redirect", v);
        }
        return res;
    }
    Redirect::to(&target).into_response()
}

/// An error of a page handler, as a page in the user's language.
pub(crate) fn page_error(lang: Lang, e: ApiError) -> Response {
    let (status, msg) = match e {
        ApiError::NotFound { .. } | ApiError::RouteNotFound | ApiError::InvalidPath(_) => {
            (StatusCode::NOT_FOUND, Msg::NotFound)
        }
        ApiError::Forbidden => (StatusCode::FORBIDDEN, Msg::Forbidden),
        ApiError::CsrfRejected => (StatusCode::FORBIDDEN, Msg::CsrfFailed),
        other => (other.status(), Msg::SomethingWrong),
    };
    layout::problem(lang, status, msg)
}

/// Percent-encode a query value.
pub(crate) fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// A list typed in one field: commas, Chinese commas or enumeration commas separate items.
pub(crate) fn split_list(s: &str) -> Vec<String> {
    s.split([',', '，', '、'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Was this request made by htmx (and so wants a fragment)?
pub(crate) fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// The embedded assets, cached for a day (their names do not change with their content yet).
async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    let (body, kind): (&'static [u8], &'static str) = match name.as_str() {
        "htmx.min.js" => (
            include_bytes!("../assets/htmx.min.js"),
            "text/javascript; charset=utf-8",
        ),
        "app.js" => (
            include_bytes!("../assets/app.js"),
            "text/javascript; charset=utf-8",
        ),
        "app.css" => (
            include_bytes!("../assets/app.css"),
            "text/css; charset=utf-8",
        ),
        "board.js" => (
            include_bytes!("../assets/board.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests;
