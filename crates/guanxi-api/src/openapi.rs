//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations and the
//! DTOs' `ToSchema` derives. Served at `/api/v1/openapi.json`, browsable at `/api/docs`.

use crate::routes::{
    accounts, activities, analysis, audit, auth, contact_points, customers, events, field_defs,
    health, imports, interactions, leads, orgs, sales, teams, tokens, users, warehouse,
};
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::Required;
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Guanxi API",
        description = "The JSON API of Guanxi (关系), an open-source CRM. Sign in with \
            POST /api/v1/auth/sign-in (a session cookie plus X-CSRF-Token on changes) or send a \
            personal API token as `Authorization: Bearer gxp_…`. Conventions (errors, \
            ETag/If-Match, cursors, languages) are in docs/API.md; roles in docs/PERMISSIONS.md.",
    ),
    paths(
        health::healthz,
        health::readyz,
        auth::sign_in,
        auth::sign_out,
        auth::me,
        auth::change_password,
        tokens::create,
        tokens::list,
        tokens::revoke,
        orgs::current,
        users::create,
        users::list,
        users::get,
        users::update,
        users::reset_password,
        teams::create,
        teams::list,
        audit::list,
        field_defs::create,
        field_defs::list,
        field_defs::delete,
        customers::create,
        customers::get,
        customers::update,
        customers::delete,
        customers::restore,
        customers::merge,
        customers::list,
        customers::lookup,
        customers::export_csv,
        customers::vcard,
        customers::personal_data,
        customers::view_360,
        contact_points::create,
        contact_points::update,
        contact_points::delete,
        interactions::create,
        interactions::get,
        interactions::update,
        interactions::delete,
        interactions::timeline,
        events::list,
        sales::create_product,
        sales::list_products,
        sales::update_product,
        sales::create_order,
        sales::get_order,
        sales::customer_orders,
        sales::change_status,
        activities::create,
        activities::list,
        activities::done,
        activities::new_feed,
        sales::list_pipelines,
        sales::create_pipeline,
        sales::board,
        sales::forecast,
        sales::create_opportunity,
        sales::get_opportunity,
        sales::move_opportunity,
        accounts::get_plan,
        accounts::save_plan,
        accounts::add_member,
        accounts::remove_member,
        sales::create_quote,
        sales::get_quote,
        sales::customer_quotes,
        sales::quote_status,
        sales::order_quote,
        leads::create,
        leads::list,
        leads::get,
        leads::update,
        leads::matches,
        leads::convert,
        leads::lead_activities,
        leads::customer_activities,
        leads::list_sources,
        leads::save_source,
        leads::list_forms,
        leads::create_form,
        leads::list_rules,
        leads::create_rule,
        leads::delete_rule,
        leads::submit,
        sales::customer_opportunities,
        customers::export_xlsx,
        imports::upload,
        imports::list,
        imports::get,
        imports::rows,
        imports::rows_csv,
        imports::start,
        imports::resume,
        imports::cancel,
        imports::list_mappings,
        imports::save_mapping,
        imports::duplicates,
        imports::scan,
        imports::scans,
        imports::scan_status,
        imports::merge,
        imports::dismiss,
        imports::erase,
        analysis::runs,
        analysis::start,
        analysis::counts,
        analysis::customer_scores,
        analysis::segments,
        analysis::save_segments,
        analysis::reset_segments,
        warehouse::status,
        warehouse::query,
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&RequestHeaders),
    tags(
        (name = "health", description = "Probes"),
        (name = "auth", description = "Signing in, sessions and personal API tokens"),
        (name = "organisations", description = "The signed-in user's organisation"),
        (name = "users", description = "Staff members and teams"),
        (name = "audit", description = "The audit log (administrators)"),
        (name = "field-definitions", description = "Custom customer fields"),
        (name = "customers", description = "Customers, lookup (客户识别) and the 360° view"),
        (name = "contact-points", description = "Phone numbers, e-mail, WeChat, addresses"),
        (name = "interactions", description = "Every contact on every channel; the timeline"),
        (name = "events", description = "Domain events (outbox) in commit order"),
        (name = "sales", description = "Products and orders (behavioural data)"),
        (name = "leads", description = "Leads (销售线索): capture, web forms, assignment, conversion"),
        (name = "imports", description = "Importing files as resumable jobs, saved mappings, the review queue of possible duplicates"),
        (name = "analysis", description = "Decision support (辅助决策): scoring runs, counts by segment, tier, lifecycle and risk, a customer's scores"),
    )
)]
pub struct ApiDoc;

/// Adds what every `/api/v1` operation reads: the credentials (cookie or bearer token) and the
/// language header.
struct RequestHeaders;

impl Modify for RequestHeaders {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("gxp_…")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("guanxi_session"))),
        );
        openapi.security = Some(vec![
            utoipa::openapi::security::SecurityRequirement::new("token", Vec::<String>::new()),
            utoipa::openapi::security::SecurityRequirement::new("session", Vec::<String>::new()),
        ]);
        let header = |name: &str, ty: Type, description: &str| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(ObjectBuilder::new().schema_type(ty)))
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/v1/") {
                continue;
            }
            let params = item.parameters.get_or_insert_with(Vec::new);
            params.push(header(
                "X-CSRF-Token",
                Type::String,
                "With a session cookie: the csrf_token from sign-in, on every change.",
            ));
            params.push(header(
                "Accept-Language",
                Type::String,
                "zh-CN (default) or en: the language of error messages.",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented() {
        let doc = ApiDoc::openapi();
        let json = serde_json::to_value(&doc).expect("json");
        let paths = json["paths"].as_object().expect("paths");
        for p in [
            "/healthz",
            "/readyz",
            "/api/v1/auth/sign-in",
            "/api/v1/auth/sign-out",
            "/api/v1/auth/me",
            "/api/v1/auth/password",
            "/api/v1/tokens",
            "/api/v1/tokens/{id}",
            "/api/v1/organisation",
            "/api/v1/users",
            "/api/v1/users/{id}",
            "/api/v1/users/{id}/password",
            "/api/v1/teams",
            "/api/v1/audit",
            "/api/v1/field-definitions",
            "/api/v1/field-definitions/{id}",
            "/api/v1/customers",
            "/api/v1/customers/lookup",
            "/api/v1/customers/{id}",
            "/api/v1/customers/{id}/restore",
            "/api/v1/customers/{id}/merge",
            "/api/v1/customers/{id}/360",
            "/api/v1/customers/{id}/timeline",
            "/api/v1/customers/{id}/contact-points",
            "/api/v1/customers/{id}/contact-points/{cp_id}",
            "/api/v1/interactions",
            "/api/v1/interactions/{id}",
            "/api/v1/events",
            "/api/v1/products",
            "/api/v1/products/{id}",
            "/api/v1/orders",
            "/api/v1/orders/{id}",
            "/api/v1/orders/{id}/status",
            "/api/v1/customers/{id}/orders",
            "/api/v1/activities",
            "/api/v1/activities/{id}/done",
            "/api/v1/calendar/feed",
            "/api/v1/pipelines",
            "/api/v1/pipelines/{id}/board",
            "/api/v1/pipelines/{id}/forecast",
            "/api/v1/opportunities",
            "/api/v1/opportunities/{id}",
            "/api/v1/opportunities/{id}/move",
            "/api/v1/customers/{id}/opportunities",
            "/api/v1/leads",
            "/api/v1/leads/{id}/convert",
            "/api/v1/lead-rules",
            "/api/v1/web-forms",
            "/api/v1/forms/{key}/submissions",
        ] {
            assert!(paths.contains_key(p), "{p} is not documented");
        }
        let schemas = json["components"]["schemas"].as_object().expect("schemas");
        for s in [
            "ErrorBody",
            "CustomerView",
            "CreateCustomer",
            "CustomerStatus",
            "Channel",
            "LoggedInteraction",
        ] {
            assert!(schemas.contains_key(s), "schema {s} missing");
        }
        // Every documented operation has an action in the permission table, and the public
        // ones are exactly the probes and signing in.
        let mut public = Vec::new();
        for (path, item) in paths {
            for (method, _) in item.as_object().expect("item") {
                if !["get", "post", "patch", "put", "delete"].contains(&method.as_str()) {
                    continue;
                }
                let m = axum::http::Method::from_bytes(method.to_uppercase().as_bytes())
                    .expect("method");
                let action = crate::routes::action_of(&m, path)
                    .unwrap_or_else(|| panic!("{method} {path} has no action"));
                if action == guanxi_core::Action::Public {
                    public.push(format!("{method} {path}"));
                }
            }
        }
        public.sort();
        assert_eq!(
            public,
            [
                "get /healthz",
                "get /readyz",
                "post /api/v1/auth/sign-in",
                "post /api/v1/forms/{key}/submissions"
            ]
        );
        assert_eq!(
            json["components"]["schemas"]["CustomerStatus"]["enum"],
            serde_json::json!(["potential", "new", "current", "loyal", "lost"])
        );
    }
}
