//! Signing in and out, who am I, changing one's password.

use crate::auth::{
    over_tls, record, session_clear_cookie, session_set_cookie, Caller, ClientIp, SESSION_PREFIX,
};
use crate::dto::access::{ChangePassword, MeView, SignIn};
use crate::error::{ApiError, AuthProblem, ErrorBody};
use crate::extract::{JsonBody, OrgCtx};
use crate::ApiState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use guanxi_core::password::{unknown_user_hash, verify_password, Password};
use guanxi_core::{secret, Reason};
use guanxi_store::{AuditEntry, Ctx, NewSession, Outcome, StoreError, Via};
use serde_json::json;
use std::time::Instant;

/// Check a password off the async workers: argon2 takes tens of milliseconds by design.
async fn verify(raw: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || verify_password(&raw, &hash))
        .await
        .map_err(|_| ApiError::Internal)
}

/// Hash a new password off the async workers.
pub async fn hash(p: Password) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || p.hash())
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            ApiError::Internal
        })
}

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
    if let Some(wait) = s.throttle.blocked(&email, ip, Instant::now()) {
        let login = s.store.find_login(&email).await?;
        record(
            &s,
            AuditEntry {
                org: login.as_ref().map(|l| l.org),
                actor: login.as_ref().map(|l| l.user.id),
                token: None,
                ip,
                action: "auth.sign_in_throttled".into(),
                entity: login.as_ref().map(|_| "user".to_owned()),
                entity_id: login.as_ref().map(|l| l.user.id.get()),
                outcome: Outcome::Denied,
                detail: json!({ "retry_after_secs": wait }),
            },
        )
        .await;
        return Err(ApiError::TooManyAttempts {
            retry_after_secs: wait,
        });
    }
    let login = s.store.find_login(&email).await?;
    let stored = login
        .as_ref()
        .and_then(|l| l.password_hash.clone())
        .unwrap_or_else(|| unknown_user_hash().to_owned());
    // Verified even for unknown addresses, so that both take the same time.
    let matches = verify(password, stored).await?;
    let login = match login {
        Some(l) if matches && l.user.active && l.password_hash.is_some() => l,
        other => {
            s.throttle.failed(&email, ip, Instant::now());
            let why = match &other {
                None => "unknown_email",
                Some(l) if !l.user.active => "inactive",
                Some(l) if l.password_hash.is_none() => "no_password",
                Some(_) => "wrong_password",
            };
            record(
                &s,
                AuditEntry {
                    org: other.as_ref().map(|l| l.org),
                    actor: other.as_ref().map(|l| l.user.id),
                    token: None,
                    ip,
                    action: "auth.sign_in_failed".into(),
                    entity: other.as_ref().map(|_| "user".to_owned()),
                    entity_id: other.as_ref().map(|l| l.user.id.get()),
                    outcome: Outcome::Failed,
                    detail: json!({ "why": why }),
                },
            )
            .await;
            return Err(ApiError::Unauthenticated(AuthProblem::BadCredentials));
        }
    };
    s.throttle.succeeded(&email);
    let cookie = secret::new_secret(SESSION_PREFIX);
    let csrf = secret::new_secret("");
    let ttl = chrono::Duration::from_std(s.session_ttl).map_err(|_| ApiError::Internal)?;
    let expires_at = Utc::now() + ttl;
    let mut ctx = Ctx::new(login.org);
    ctx.actor = Some(login.user.id);
    ctx.ip = ip;
    s.store
        .create_session(
            ctx,
            NewSession {
                user: login.user.id,
                secret_hash: secret::digest(&cookie),
                csrf_token: csrf.clone(),
                expires_at,
            },
        )
        .await?;
    let org = s.store.get_org(login.org).await?;
    let mut res = Json(MeView::new(login.user, org, Some(csrf), Some(expires_at))).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session_set_cookie(&cookie, s.session_ttl, secure),
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
