//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations and the
//! DTOs' `ToSchema` derives. Served at `/api/v1/openapi.json`, browsable at `/api/docs`.

use crate::routes::{
    contact_points, customers, events, field_defs, health, interactions, orgs, users,
};
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::Required;
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Guanxi API",
        description = "The JSON API of Guanxi (关系), an open-source CRM. Conventions (errors, \
            ETag/If-Match, cursors, the X-Guanxi-Org header, languages) are described in \
            docs/API.md.",
    ),
    paths(
        health::healthz,
        health::readyz,
        orgs::create,
        orgs::list,
        users::create,
        users::list,
        field_defs::create,
        field_defs::list,
        field_defs::delete,
        customers::create,
        customers::get,
        customers::update,
        customers::delete,
        customers::restore,
        customers::list,
        customers::lookup,
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
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&RequestHeaders),
    tags(
        (name = "health", description = "Probes"),
        (name = "organisations", description = "Tenants (open until authentication arrives)"),
        (name = "users", description = "Staff members"),
        (name = "field-definitions", description = "Custom customer fields"),
        (name = "customers", description = "Customers, lookup (客户识别) and the 360° view"),
        (name = "contact-points", description = "Phone numbers, e-mail, WeChat, addresses"),
        (name = "interactions", description = "Every contact on every channel; the timeline"),
        (name = "events", description = "Domain events (outbox) in commit order"),
    )
)]
pub struct ApiDoc;

/// Adds the headers every `/api/v1` operation reads: the tenant, the actor, the language.
struct RequestHeaders;

impl Modify for RequestHeaders {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
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
            if path != "/api/v1/organisations" {
                params.push(header(
                    "X-Guanxi-Org",
                    Type::Integer,
                    "Organisation id. May be left out while exactly one organisation exists.",
                ));
                params.push(header(
                    "X-Guanxi-User",
                    Type::Integer,
                    "Acting user id (recorded on events); must be a user of the organisation.",
                ));
            }
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
            "/api/v1/organisations",
            "/api/v1/users",
            "/api/v1/field-definitions",
            "/api/v1/field-definitions/{id}",
            "/api/v1/customers",
            "/api/v1/customers/lookup",
            "/api/v1/customers/{id}",
            "/api/v1/customers/{id}/restore",
            "/api/v1/customers/{id}/360",
            "/api/v1/customers/{id}/timeline",
            "/api/v1/customers/{id}/contact-points",
            "/api/v1/customers/{id}/contact-points/{cp_id}",
            "/api/v1/interactions",
            "/api/v1/interactions/{id}",
            "/api/v1/events",
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
        assert_eq!(
            json["components"]["schemas"]["CustomerStatus"]["enum"],
            serde_json::json!(["potential", "new", "current", "loyal", "lost"])
        );
    }
}
