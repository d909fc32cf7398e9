//! One module per resource; each handler extracts typed input, makes one store call and
//! returns a view. The route table is [`api_routes`]; what each route needs is [`action_of`].

pub mod accounts;
pub mod activities;
pub mod analysis;
pub mod audit;
pub mod auth;
pub mod contact_points;
pub mod customers;
pub mod events;
pub mod field_defs;
pub mod health;
pub mod imports;
pub mod interactions;
pub mod leads;
pub mod orgs;
pub mod sales;
pub mod teams;
pub mod tokens;
pub mod users;
pub mod warehouse;

use crate::extract::etag;
use crate::ApiState;
use axum::http::header::{self, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use guanxi_core::Action;
use serde::Serialize;

/// Every route of the service except the documentation.
pub fn api_routes() -> Router<ApiState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/v1/auth/sign-in", post(auth::sign_in))
        .route("/api/v1/auth/sign-out", post(auth::sign_out))
        .route("/api/v1/auth/me", get(auth::me))
        .route("/api/v1/auth/password", post(auth::change_password))
        .route("/api/v1/tokens", post(tokens::create).get(tokens::list))
        .route("/api/v1/tokens/{id}", delete(tokens::revoke))
        .route("/api/v1/organisation", get(orgs::current))
        .route("/api/v1/users", post(users::create).get(users::list))
        .route("/api/v1/users/{id}", get(users::get).patch(users::update))
        .route("/api/v1/users/{id}/password", post(users::reset_password))
        .route("/api/v1/teams", post(teams::create).get(teams::list))
        .route("/api/v1/audit", get(audit::list))
        .route(
            "/api/v1/field-definitions",
            post(field_defs::create).get(field_defs::list),
        )
        .route("/api/v1/field-definitions/{id}", delete(field_defs::delete))
        .route(
            "/api/v1/customers",
            post(customers::create).get(customers::list),
        )
        .route("/api/v1/customers/lookup", get(customers::lookup))
        .route("/api/v1/customers/export.csv", get(customers::export_csv))
        .route("/api/v1/customers/export.xlsx", get(customers::export_xlsx))
        .route("/api/v1/customers/{id}/vcard", get(customers::vcard))
        .route(
            "/api/v1/customers/{id}/personal-data",
            get(customers::personal_data),
        )
        .route(
            "/api/v1/customers/{id}",
            get(customers::get)
                .patch(customers::update)
                .delete(customers::delete),
        )
        .route("/api/v1/customers/{id}/restore", post(customers::restore))
        .route("/api/v1/customers/{id}/merge", post(customers::merge))
        .route("/api/v1/customers/{id}/360", get(customers::view_360))
        .route(
            "/api/v1/customers/{id}/timeline",
            get(interactions::timeline),
        )
        .route(
            "/api/v1/customers/{id}/contact-points",
            post(contact_points::create),
        )
        .route(
            "/api/v1/customers/{id}/contact-points/{cp_id}",
            patch(contact_points::update).delete(contact_points::delete),
        )
        .route("/api/v1/interactions", post(interactions::create))
        .route(
            "/api/v1/interactions/{id}",
            get(interactions::get)
                .patch(interactions::update)
                .delete(interactions::delete),
        )
        .route("/api/v1/events", get(events::list))
        .route(
            "/api/v1/products",
            post(sales::create_product).get(sales::list_products),
        )
        .route("/api/v1/products/{id}", patch(sales::update_product))
        .route("/api/v1/orders", post(sales::create_order))
        .route("/api/v1/orders/{id}", get(sales::get_order))
        .route("/api/v1/orders/{id}/status", post(sales::change_status))
        .route("/api/v1/customers/{id}/orders", get(sales::customer_orders))
        .route(
            "/api/v1/activities",
            post(activities::create).get(activities::list),
        )
        .route("/api/v1/activities/{id}/done", post(activities::done))
        .route("/api/v1/calendar/feed", post(activities::new_feed))
        .route("/calendar/{file}", get(activities::feed))
        .route(
            "/api/v1/pipelines",
            get(sales::list_pipelines).post(sales::create_pipeline),
        )
        .route("/api/v1/pipelines/{id}/board", get(sales::board))
        .route("/api/v1/pipelines/{id}/forecast", get(sales::forecast))
        .route("/api/v1/opportunities", post(sales::create_opportunity))
        .route("/api/v1/opportunities/{id}", get(sales::get_opportunity))
        .route(
            "/api/v1/opportunities/{id}/move",
            post(sales::move_opportunity),
        )
        .route(
            "/api/v1/customers/{id}/opportunities",
            get(sales::customer_opportunities),
        )
        .route(
            "/api/v1/customers/{id}/account-plan",
            get(accounts::get_plan).put(accounts::save_plan),
        )
        .route(
            "/api/v1/customers/{id}/account-team",
            post(accounts::add_member),
        )
        .route(
            "/api/v1/customers/{id}/account-team/{user_id}",
            delete(accounts::remove_member),
        )
        .route("/api/v1/quotes", post(sales::create_quote))
        .route("/api/v1/quotes/{id}", get(sales::get_quote))
        .route("/api/v1/quotes/{id}/status", post(sales::quote_status))
        .route("/api/v1/quotes/{id}/order", post(sales::order_quote))
        .route("/api/v1/customers/{id}/quotes", get(sales::customer_quotes))
        .route("/api/v1/leads", post(leads::create).get(leads::list))
        .route("/api/v1/leads/{id}", get(leads::get).patch(leads::update))
        .route("/api/v1/leads/{id}/matches", get(leads::matches))
        .route("/api/v1/leads/{id}/convert", post(leads::convert))
        .route("/api/v1/leads/{id}/activities", get(leads::lead_activities))
        .route(
            "/api/v1/customers/{id}/activities",
            get(leads::customer_activities),
        )
        .route("/api/v1/lead-sources", get(leads::list_sources))
        .route("/api/v1/lead-sources/{code}", put(leads::save_source))
        .route(
            "/api/v1/web-forms",
            get(leads::list_forms).post(leads::create_form),
        )
        .route(
            "/api/v1/lead-rules",
            get(leads::list_rules).post(leads::create_rule),
        )
        .route("/api/v1/lead-rules/{id}", delete(leads::delete_rule))
        .route("/api/v1/forms/{key}/submissions", post(leads::submit))
        .route("/api/v1/imports", get(imports::list))
        .route("/api/v1/imports/{id}", get(imports::get))
        .route("/api/v1/imports/{id}/rows", get(imports::rows))
        .route("/api/v1/imports/{id}/rows.csv", get(imports::rows_csv))
        .route("/api/v1/imports/{id}/start", post(imports::start))
        .route("/api/v1/imports/{id}/resume", post(imports::resume))
        .route("/api/v1/imports/{id}/cancel", post(imports::cancel))
        .route(
            "/api/v1/import-mappings",
            get(imports::list_mappings).post(imports::save_mapping),
        )
        .route(
            "/api/v1/analysis/runs",
            get(analysis::runs).post(analysis::start),
        )
        .route("/api/v1/analysis/counts", get(analysis::counts))
        .route(
            "/api/v1/analysis/segments",
            get(analysis::segments)
                .put(analysis::save_segments)
                .delete(analysis::reset_segments),
        )
        .route("/api/v1/warehouse", get(warehouse::status))
        .route("/api/v1/warehouse/query", post(warehouse::query))
        .route(
            "/api/v1/customers/{id}/scores",
            get(analysis::customer_scores),
        )
        .route("/api/v1/duplicates", get(imports::duplicates))
        .route("/api/v1/duplicates/scan", post(imports::scan))
        .route("/api/v1/duplicates/scans", get(imports::scans))
        .route("/api/v1/duplicates/scans/{id}", get(imports::scan_status))
        .route("/api/v1/duplicates/{id}/merge", post(imports::merge))
        .route("/api/v1/duplicates/{id}/dismiss", post(imports::dismiss))
        .route("/api/v1/customers/{id}/erase", post(imports::erase))
}

/// Routes that take large bodies (file uploads), with their own limit.
pub fn upload_routes() -> Router<ApiState> {
    Router::new().route("/api/v1/imports", post(imports::upload))
}

/// What each route asks to do: the left half of the permission table
/// (`guanxi_core::access::grant` is the right half). A route missing here is refused with 500
/// by the authorisation layer, and a unit test checks that every documented route is here.
pub fn action_of(method: &Method, route: &str) -> Option<Action> {
    use Action as A;
    let m = method.as_str();
    Some(match (m, route) {
        ("GET" | "HEAD", "/healthz" | "/readyz") => A::Public,
        ("POST", "/api/v1/auth/sign-in") => A::Public,
        // The secret in the URL is the credential, checked by the handler.
        ("GET", "/calendar/{file}") => A::Public,
        ("POST", "/api/v1/calendar/feed") => A::OwnAccount,
        // The form key is the address; spam checks and a throttle guard it.
        ("POST", "/api/v1/forms/{key}/submissions") => A::Public,
        ("POST", "/api/v1/leads") | ("PATCH", "/api/v1/leads/{id}") => A::WriteLeads,
        (
            "GET",
            "/api/v1/leads"
            | "/api/v1/leads/{id}"
            | "/api/v1/leads/{id}/matches"
            | "/api/v1/leads/{id}/activities",
        ) => A::ReadLeads,
        ("POST", "/api/v1/leads/{id}/convert") => A::ConvertLeads,
        ("GET", "/api/v1/customers/{id}/activities") => A::ReadCustomers,
        ("GET", "/api/v1/lead-sources") => A::ReadDirectory,
        ("PUT", "/api/v1/lead-sources/{code}")
        | ("GET" | "POST", "/api/v1/web-forms" | "/api/v1/lead-rules")
        | ("DELETE", "/api/v1/lead-rules/{id}") => A::ManageSalesSettings,
        ("POST", "/api/v1/activities" | "/api/v1/activities/{id}/done")
        | ("GET", "/api/v1/activities") => A::WriteActivities,
        ("POST", "/api/v1/auth/sign-out" | "/api/v1/auth/password") => A::OwnAccount,
        ("GET", "/api/v1/auth/me" | "/api/v1/tokens") => A::OwnAccount,
        ("POST", "/api/v1/tokens") | ("DELETE", "/api/v1/tokens/{id}") => A::OwnAccount,
        (
            "GET",
            "/api/v1/organisation"
            | "/api/v1/users"
            | "/api/v1/users/{id}"
            | "/api/v1/teams"
            | "/api/v1/field-definitions"
            | "/api/v1/products"
            | "/api/v1/pipelines",
        ) => A::ReadDirectory,
        ("POST", "/api/v1/pipelines") => A::ManageSalesSettings,
        ("POST", "/api/v1/opportunities" | "/api/v1/opportunities/{id}/move") => {
            A::WriteOpportunities
        }
        (
            "GET",
            "/api/v1/pipelines/{id}/board"
            | "/api/v1/pipelines/{id}/forecast"
            | "/api/v1/opportunities/{id}"
            | "/api/v1/customers/{id}/opportunities",
        ) => A::ReadCustomers,
        ("POST", "/api/v1/products") | ("PATCH", "/api/v1/products/{id}") => A::ManageSalesSettings,
        ("POST", "/api/v1/orders" | "/api/v1/orders/{id}/status") => A::WriteOrders,
        ("POST", "/api/v1/quotes" | "/api/v1/quotes/{id}/status" | "/api/v1/quotes/{id}/order") => {
            A::WriteOrders
        }
        ("GET", "/api/v1/quotes/{id}" | "/api/v1/customers/{id}/quotes") => A::ReadCustomers,
        ("GET", "/api/v1/customers/{id}/account-plan") => A::ReadCustomers,
        ("PUT", "/api/v1/customers/{id}/account-plan")
        | ("POST", "/api/v1/customers/{id}/account-team")
        | ("DELETE", "/api/v1/customers/{id}/account-team/{user_id}") => A::WriteCustomers,
        ("GET", "/api/v1/orders/{id}" | "/api/v1/customers/{id}/orders") => A::ReadCustomers,
        ("POST", "/api/v1/users")
        | ("PATCH", "/api/v1/users/{id}")
        | ("POST", "/api/v1/users/{id}/password") => A::ManageUsers,
        ("POST", "/api/v1/teams") => A::ManageTeams,
        ("POST", "/api/v1/field-definitions") | ("DELETE", "/api/v1/field-definitions/{id}") => {
            A::ManageSettings
        }
        ("GET", "/api/v1/audit") => A::ReadAudit,
        ("GET", "/api/v1/events") => A::ReadEvents,
        ("POST", "/api/v1/customers") => A::CreateCustomers,
        (
            "GET",
            "/api/v1/customers"
            | "/api/v1/customers/{id}"
            | "/api/v1/customers/{id}/360"
            | "/api/v1/customers/{id}/timeline"
            | "/api/v1/interactions/{id}",
        ) => A::ReadCustomers,
        ("GET", "/api/v1/customers/lookup") => A::LookupCustomers,
        ("GET", "/api/v1/customers/{id}/personal-data") => A::ExportPersonalData,
        ("POST", "/api/v1/customers/{id}/erase") => A::EraseCustomers,
        (
            "GET",
            "/api/v1/analysis/runs" | "/api/v1/analysis/counts" | "/api/v1/analysis/segments",
        ) => A::ViewAnalytics,
        ("POST", "/api/v1/analysis/runs") | ("PUT" | "DELETE", "/api/v1/analysis/segments") => {
            A::RunAnalysis
        }
        ("GET", "/api/v1/warehouse") | ("POST", "/api/v1/warehouse/query") => A::QueryWarehouse,
        ("GET", "/api/v1/customers/{id}/scores") => A::ReadCustomers,
        (
            "GET",
            "/api/v1/imports"
            | "/api/v1/imports/{id}"
            | "/api/v1/imports/{id}/rows"
            | "/api/v1/imports/{id}/rows.csv"
            | "/api/v1/import-mappings",
        )
        | (
            "POST",
            "/api/v1/imports"
            | "/api/v1/imports/{id}/start"
            | "/api/v1/imports/{id}/resume"
            | "/api/v1/imports/{id}/cancel"
            | "/api/v1/import-mappings",
        ) => A::ImportCustomers,
        (
            "GET",
            "/api/v1/duplicates" | "/api/v1/duplicates/scans" | "/api/v1/duplicates/scans/{id}",
        )
        | (
            "POST",
            "/api/v1/duplicates/scan"
            | "/api/v1/duplicates/{id}/merge"
            | "/api/v1/duplicates/{id}/dismiss",
        ) => A::ReviewDuplicates,
        (
            "GET",
            "/api/v1/customers/export.csv"
            | "/api/v1/customers/export.xlsx"
            | "/api/v1/customers/{id}/vcard",
        ) => A::ReadCustomers,
        ("PATCH", "/api/v1/customers/{id}")
        | ("POST", "/api/v1/customers/{id}/contact-points")
        | ("PATCH" | "DELETE", "/api/v1/customers/{id}/contact-points/{cp_id}") => {
            A::WriteCustomers
        }
        ("DELETE", "/api/v1/customers/{id}")
        | ("POST", "/api/v1/customers/{id}/restore" | "/api/v1/customers/{id}/merge") => {
            A::DeleteCustomers
        }
        ("POST", "/api/v1/interactions") => A::LogInteractions,
        ("PATCH" | "DELETE", "/api/v1/interactions/{id}") => A::WriteInteractions,
        _ => return None,
    })
}

/// A JSON body with the record's version as a strong `ETag`.
pub fn versioned<T: Serialize>(status: StatusCode, version: i64, body: T) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(header::ETAG, etag(version));
    res
}

/// `201 Created` with `Location`, and `ETag` when the record is versioned.
pub fn created<T: Serialize>(location: String, version: Option<i64>, body: T) -> Response {
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(loc) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    if let Some(v) = version {
        res.headers_mut().insert(header::ETAG, etag(v));
    }
    res
}
