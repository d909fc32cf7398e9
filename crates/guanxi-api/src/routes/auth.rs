//! Signing in and out, who am I, changing one's password.

use crate::auth::verify;
use crate::auth::{over_tls, session_clear_cookie, session_set_cookie, Caller, ClientIp};
use crate::dto::access::{ChangePassword, MeView, SignIn};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, OrgCtx};
use crate::ApiState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use guanxi_core::password::unknown_user_hash;
use guanxi_core::Reason;
use guanxi_store::{StoreError, Via};

pub use crate::auth::hash_password as hash;

/// Sign in with e-mail and password. Sets the `guanxi_session` cookie (HttpOnly, SameSite=Lax)
/// and returns the CSRF token to send in `X-CSRF-Token` with every change. Five failed attempts
/// for an account (or fifty from an address) in 15 minutes lock it for the rest of the window.
#[utoipa::path(post, path = "/api/v1/auth/sign-in", tag = "auth",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; the cookie is set", body = MeView,
            headers(("Set-Cookie" = String))),
        (status = 401, description = "Wrong e-mail or password", body = ErrorBody),
        (status = 422, description = "Missing fields", body = ErrorBody),
        (status = 429, description = "Too many failed attempts", body = ErrorBody,
            headers(("Retry-After" = u64))),
    ))]
pub async fn sign_in(
    State(s): State<ApiState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    JsonBody(body): JsonBody<SignIn>,
) -> Result<Response, ApiError> {
    let secure = over_tls(&s, &headers);
    let (email, password) = body.parse()?;
    let done = crate::auth::sign_in_flow(&s, ip, &email, password).await?;
    let mut res = Json(MeView::new(
        done.user,
        done.org,
        Some(done.csrf_token),
        Some(done.expires_at),
    ))
    .into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session_set_cookie(&done.cookie, s.session_ttl, secure),
    );
    Ok(res)
}

/// End this session (a token needs revoking instead: `DELETE /api/v1/tokens/{id}`).
#[utoipa::path(post, path = "/api/v1/auth/sign-out", tag = "auth",
    responses((status = 204, description = "Signed out; the cookie is cleared")))]
pub async fn sign_out(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    caller: Caller,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    if let Via::Session { id, .. } = caller.via {
        s.store.end_session(ctx, id).await?;
        s.auth_cache.clear();
    }
    let mut res = axum::http::StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session_clear_cookie(over_tls(&s, &headers)),
    );
    Ok(res)
}

/// Who is signed in, in which organisation, with which permissions.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses(
        (status = 200, description = "The signed-in user", body = MeView),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn me(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    caller: Caller,
) -> Result<Json<MeView>, ApiError> {
    let org = s.store.get_org(ctx.org).await?;
    let (csrf, expires) = match caller.via {
        Via::Session {
            csrf_token,
            expires_at,
            ..
        } => (Some(csrf_token), Some(expires_at)),
        Via::Token { .. } => (None, None),
    };
    Ok(Json(MeView::new(caller.user, org, csrf, expires)))
}

/// Change one's own password. Every other session of the user ends.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth",
    request_body = ChangePassword,
    responses(
        (status = 204, description = "Changed"),
        (status = 422, description = "Wrong current password, or the new one is too weak", body = ErrorBody),
    ))]
pub async fn change_password(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    caller: Caller,
    JsonBody(body): JsonBody<ChangePassword>,
) -> Result<axum::http::StatusCode, ApiError> {
    let (current, new) = body.parse(&caller.user.email)?;
    let stored = s
        .store
        .password_hash(ctx, caller.user.id)
        .await?
        .unwrap_or_else(|| unknown_user_hash().to_owned());
    if !verify(current, stored).await? {
        return Err(StoreError::invalid("current_password", Reason::WrongPassword).into());
    }
    let keep = match caller.via {
        Via::Session { id, .. } => Some(id),
        Via::Token { .. } => None,
    };
    let hashed = hash(new).await?;
    s.store
        .set_password(ctx, caller.user.id, hashed, keep)
        .await?;
    s.auth_cache.clear();
    Ok(axum::http::StatusCode::NO_CONTENT)
}
