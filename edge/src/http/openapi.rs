//! The OpenAPI document of the HTTP API, generated from the handlers' annotations,
//! and the route that serves it.

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;

use super::{
    accounts, channels, chat_requests, devices, export, groups, media, messages, reports, service,
    users,
};

/// The OpenAPI document of every route, generated from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Natter HTTP API",
        description = "The edge's HTTP JSON API. Every error is an `ApiError` body whose \
            stable `code` decides its HTTP status (docs/protocol.md). IDs are decimal \
            strings. The WebSocket protocol at `/v1/ws` is described in docs/asyncapi.yaml."
    ),
    paths(
        accounts::signup,
        accounts::login,
        accounts::me,
        accounts::update_me,
        accounts::change_password,
        accounts::delete_me,
        accounts::logout,
        accounts::logout_everywhere,
        accounts::sessions,
        accounts::end_session,
        users::search_users,
        users::get_user,
        users::list_blocks,
        users::block_user,
        users::unblock_user,
        chat_requests::create_request,
        chat_requests::list_requests,
        chat_requests::accept_request,
        chat_requests::decline_request,
        reports::report,
        export::start_export,
        export::export_status,
        export::download_export,
        channels::open_dm,
        service::discover,
        service::version,
        devices::register_push,
        devices::list_devices,
        devices::unregister_push,
        channels::mute_channel,
        channels::set_notifications,
        channels::list_channels,
        channels::get_channel,
        channels::list_members,
        channels::receipts,
        channels::history,
        messages::get_message,
        messages::edit_message,
        messages::delete_message,
        messages::message_edits,
        messages::add_reaction,
        messages::remove_reaction,
        messages::hide_message,
        messages::list_pins,
        messages::pin_message,
        messages::unpin_message,
        media::upload_file,
        media::open_upload,
        media::upload_status,
        media::put_part,
        media::complete_upload,
        media::attachment_link,
        media::download,
        groups::create_group,
        groups::rename_group,
        groups::set_retention,
        groups::add_members,
        groups::remove_member,
        groups::set_role,
        groups::leave_group,
        groups::ban,
        groups::unban,
        groups::mute_member,
        groups::unmute_member,
        groups::create_invite,
        groups::list_invites,
        groups::revoke_invite,
        groups::join_by_invite,
        crate::socket::upgrade,
        devices::webpush_key,
        openapi_json,
        service::healthz,
        crate::health::readyz,
    ),
    modifiers(&BearerAuth, &CommonErrors)
)]
struct ApiDoc;

/// Adds the bearer-token scheme that authenticated routes name as `bearer`.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The `token` of `POST /v1/signup` or `POST /v1/login`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Routes that answer from the store without a bearer token (every authenticated
/// route does too).
const UNAUTHENTICATED_STORE_ROUTES: &[&str] = &["/v1/signup", "/v1/login"];

/// Adds the errors every route of a kind can give, so handlers list only their own:
/// 401 on authenticated routes, 500 and 503 on routes that ask the store workers.
/// A handler's own entry for one of these statuses is kept.
struct CommonErrors;

impl utoipa::Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ApiError")))
                        .build(),
                )
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let secured = op
                    .security
                    .iter()
                    .flatten()
                    .any(|r| serde_json::to_value(r).is_ok_and(|v| v.get("bearer").is_some()));
                let mut common = Vec::new();
                if secured {
                    common.push(("401", "`token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended"));
                }
                if secured || UNAUTHENTICATED_STORE_ROUTES.contains(&path.as_str()) {
                    common.push(("500", "`internal`: a bug on the server side"));
                    common.push((
                        "503",
                        "`unavailable`: NATS or the store is unreachable right now; retry",
                    ));
                }
                for (status, description) in common {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| error(description).into());
                }
            }
        }
    }
}

/// The OpenAPI 3.1 document, with `info.version` the edge's crate version.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

/// The document as JSON, built once: it is the same for the life of the process.
fn openapi_bytes() -> &'static Bytes {
    static DOC: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    DOC.get_or_init(|| Bytes::from(openapi().to_json().unwrap_or_default()))
}

#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "operations",
    summary = "This OpenAPI 3.1 document",
    responses((status = 200, description = "The document", body = Object))
)]
pub(super) async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi_bytes().clone(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use natter_protocol::ErrorCode;

    use super::super::routes;
    use super::*;

    fn spec() -> Value {
        serde_json::from_slice(openapi_bytes()).expect("the document is JSON")
    }

    /// Every `$ref` in `v`, with where it was found.
    fn refs<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push((at.clone(), r)),
                        _ => refs(v, format!("{at}/{k}"), out),
                    }
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    refs(v, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_route_is_in_the_spec_and_nothing_else() {
        let routed: BTreeSet<(String, String)> = routes()
            .into_iter()
            .map(|(m, p, _)| (m.as_str().to_ascii_lowercase(), p.to_string()))
            .collect();
        let spec = spec();
        let mut documented = BTreeSet::new();
        for (path, item) in spec["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "put", "post", "delete", "patch", "head", "options"]
                    .contains(&method.as_str())
                {
                    documented.insert((method.clone(), path.clone()));
                }
            }
        }
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty() && unrouted.is_empty(),
            "routes missing from the OpenAPI document: {undocumented:?}; \
             documented but not routed: {unrouted:?}"
        );
    }

    #[test]
    fn spec_is_openapi_3_1_and_every_ref_resolves() {
        let spec = spec();
        let version = spec["openapi"].as_str().expect("openapi field");
        assert!(version.starts_with("3.1"), "openapi {version}");
        assert_eq!(spec["info"]["version"], env!("CARGO_PKG_VERSION"));
        assert!(spec["info"]["title"].is_string());
        let mut found = Vec::new();
        refs(&spec, String::new(), &mut found);
        assert!(!found.is_empty(), "schemas are referenced");
        for (at, r) in found {
            let pointer = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("{at}: external $ref {r}"));
            assert!(
                spec.pointer(pointer).is_some(),
                "{at}: $ref {r} resolves to nothing"
            );
        }
    }

    #[test]
    fn every_operation_documents_its_errors_and_security() {
        let spec = spec();
        let schemes = &spec["components"]["securitySchemes"];
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        let codes = spec["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .expect("ErrorCode enum");
        for code in ErrorCode::ALL {
            assert!(codes.contains(&Value::from(code.as_str())), "{code}");
        }
        for (path, item) in spec["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                let responses = op["responses"].as_object().expect("responses");
                let secured = op["security"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
                if secured {
                    assert!(responses.contains_key("401"), "{method} {path}: no 401");
                }
                for (status, resp) in responses {
                    // `/readyz` answers 503 with its checks, not an error.
                    if path == "/readyz" {
                        continue;
                    }
                    if status.starts_with('4') || status.starts_with('5') {
                        let schema = &resp["content"]["application/json"]["schema"]["$ref"];
                        assert_eq!(
                            schema, "#/components/schemas/ApiError",
                            "{method} {path} {status}: error body is not an ApiError"
                        );
                    }
                }
            }
        }
    }

    /// The limits the document states are the constants the code checks (utoipa's
    /// attributes take literals only, so they are written twice; this keeps them equal).
    #[test]
    fn the_document_states_the_limits_the_code_checks() {
        use natter_protocol::limits::*;
        let spec = spec();
        let property = |schema: &str, field: &str, key: &str| {
            spec["components"]["schemas"][schema]["properties"][field][key].as_u64()
        };
        let parameter = |path: &str, name: &str, key: &str| {
            spec["paths"][path]["get"]["parameters"]
                .as_array()
                .and_then(|ps| ps.iter().find(|p| p["name"] == name))
                .and_then(|p| p["schema"][key].as_u64())
        };
        let n = |v: usize| Some(v as u64);
        assert_eq!(
            property("SignupRequest", "password", "minLength"),
            n(MIN_PASSWORD_BYTES)
        );
        assert_eq!(
            property("SignupRequest", "password", "maxLength"),
            n(MAX_PASSWORD_BYTES)
        );
        assert_eq!(
            property("SignupRequest", "display_name", "maxLength"),
            n(MAX_DISPLAY_NAME_CHARS)
        );
        assert_eq!(
            property("UpdateProfileRequest", "display_name", "maxLength"),
            n(MAX_DISPLAY_NAME_CHARS)
        );
        assert_eq!(
            property("UpdateProfileRequest", "status_text", "maxLength"),
            n(MAX_STATUS_TEXT_CHARS)
        );
        for schema in ["CreateGroupRequest", "RenameGroupRequest"] {
            assert_eq!(
                property(schema, "name", "maxLength"),
                n(MAX_GROUP_NAME_CHARS),
                "{schema}"
            );
        }
        assert_eq!(
            property("CreateGroupRequest", "members", "maxItems"),
            n(MAX_GROUP_MEMBERS - 1)
        );
        assert_eq!(
            spec["components"]["schemas"]["SignupRequest"]["properties"]["username"]["pattern"],
            format!("^[A-Za-z0-9_.]{{{MIN_USERNAME_LEN},{MAX_USERNAME_LEN}}}$")
        );
        assert_eq!(
            parameter("/v1/users", "q", "maxLength"),
            n(MAX_USERNAME_LEN)
        );
        assert_eq!(
            parameter("/v1/channels/{id}/messages", "limit", "maximum"),
            Some(u64::from(MAX_HISTORY_PAGE))
        );
        assert_eq!(
            parameter("/v1/channels", "limit", "maximum"),
            Some(u64::from(MAX_CHANNEL_PAGE))
        );
    }
}
