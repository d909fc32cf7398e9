//! Who is asking, and may they? The one place where every request is authenticated and
//! authorised, before any handler runs.
//!
//! [`authorize`] is a route layer: it knows the matched route, looks up the route's
//! [`Action`] in [`crate::routes::action_of`], and then
//! 1. lets public actions through;
//! 2. authenticates the request by its bearer token (`Authorization: Bearer gxp_…`) or its
//!    session cookie (`guanxi_session`), refusing unknown, expired and revoked ones with 401;
//! 3. for a cookie-authenticated change (any method but GET/HEAD/OPTIONS) requires the
//!    session's CSRF token in `X-CSRF-Token` (403 otherwise);
//! 4. asks the permission table ([`guanxi_core::access::grant`]) whether the user's role may
//!    do the action (403 otherwise), and turns the granted scope into the request's
//!    [`Reach`], which the store applies to every customer query.
//!
//! Every refusal is written to the audit log. The handler receives a [`Ctx`] and a [`Caller`].

use crate::error::{ApiError, AuthProblem};
use crate::ApiState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use guanxi_core::access::grant;
use guanxi_core::{secret, Action, Reach};
use guanxi_store::{AuditEntry, Authenticated, Ctx, NewSession, Outcome, TokenCheck, User, Via};
use serde_json::json;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "guanxi_session";
/// The header that carries the CSRF token of a cookie session.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Prefixes of the two kinds of bearer secrets, so that a leaked one can be recognised.
pub const TOKEN_PREFIX: &str = "gxp_";
pub const SESSION_PREFIX: &str = "gxs_";

/// The signed-in user of a request, for handlers that need more than the [`Ctx`].
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: User,
    pub via: Via,
}

/// The client's address as the server saw it (no proxy headers are trusted).
pub fn client_ip(req_ext: &axum::http::Extensions) -> Option<IpAddr> {
    req_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip())
}

/// The client's address, as an extractor.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(&parts.extensions)))
    }
}

/// What differs between the surfaces that share [`authorize`]: which action each route needs,
/// and how a refusal is shown (JSON for the API, a page or a redirect for the web UI).
pub trait Gate: Clone + Send + Sync + 'static {
    /// The action of a matched route; `None` for a route missing from the table (refused).
    fn action_of(&self, method: &Method, route: &str) -> Option<Action>;
    /// The response for a refusal of the request at `path`.
    fn refuse(&self, e: ApiError, path: &str, headers: &HeaderMap) -> Response;
}

/// The JSON API's gate: [`crate::routes::action_of`], errors as JSON.
#[derive(Clone, Copy, Debug)]
pub struct ApiGate;

impl Gate for ApiGate {
    fn action_of(&self, method: &Method, route: &str) -> Option<Action> {
        crate::routes::action_of(method, route)
    }

    fn refuse(&self, e: ApiError, _path: &str, _headers: &HeaderMap) -> Response {
        e.into_response()
    }
}

/// The route layer of the JSON API (see [`authorize_with`]).
pub async fn authorize(State(s): State<ApiState>, req: Request, next: Next) -> Response {
    authorize_with(State((s, ApiGate)), req, next).await
}

/// The route layer described in the module documentation, for any [`Gate`].
pub async fn authorize_with<G: Gate>(
    State((s, gate)): State<(ApiState, G)>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let uri_path = req.uri().path().to_owned();
    let Some(action) = gate.action_of(req.method(), &path) else {
        // A route without a declared action is a bug; fail closed.
        tracing::error!(route = %path, "route has no action in the permission table");
        return gate.refuse(ApiError::Internal, &uri_path, req.headers());
    };
    if action == Action::Public {
        return next.run(req).await;
    }
    let ip = client_ip(req.extensions());
    let who = match authenticate(&s, req.headers(), ip).await {
        Ok(who) => who,
        Err(e) => return gate.refuse(e, &uri_path, req.headers()),
    };
    let method = req.method().clone();
    let audit_denial = |why: &'static str| AuditEntry {
        org: Some(who.org),
        actor: Some(who.user.id),
        token: match who.via {
            Via::Token { id } => Some(id),
            Via::Session { .. } => None,
        },
        ip,
        action: "access.denied".into(),
        entity: None,
        entity_id: None,
        outcome: Outcome::Denied,
        detail: json!({"why": why, "action": action.as_str(), "method": method.as_str(), "route": path}),
    };
    if let Via::Session { csrf_token, .. } = &who.via {
        if !is_safe(&method) && !csrf_ok(req.headers(), csrf_token) {
            // A plain HTML form (no JavaScript) carries the token in a `_csrf` field instead.
            let (ok, rebuilt) = csrf_in_form(req, csrf_token).await;
            req = rebuilt;
            if !ok {
                record(&s, audit_denial("csrf")).await;
                return gate.refuse(ApiError::CsrfRejected, &uri_path, req.headers());
            }
        }
    }
    let Some(scope) = grant(who.user.role, action) else {
        record(&s, audit_denial("role")).await;
        return gate.refuse(ApiError::Forbidden, &uri_path, req.headers());
    };
    let ctx = Ctx {
        org: who.org,
        actor: Some(who.user.id),
        token: match who.via {
            Via::Token { id } => Some(id),
            Via::Session { .. } => None,
        },
        ip,
        reach: Reach::of(scope, who.user.id, who.user.team_id),
    };
    req.extensions_mut().insert(ctx);
    req.extensions_mut().insert(Caller {
        user: who.user,
        via: who.via,
    });
    let res = next.run(req).await;
    if let Some(e) = crate::error::error_of(&res).filter(|e| e.is_reach_refusal()) {
        // Someone asked for a record they may not reach, or tried to hand one to a user they
        // may not: worth a line in the audit log (the path holds ids only, never the query).
        record(
            &s,
            AuditEntry {
                org: Some(ctx.org),
                actor: ctx.actor,
                token: ctx.token,
                ip,
                action: "request.refused".into(),
                entity: None,
                entity_id: None,
                outcome: Outcome::Denied,
                detail: json!({"code": e.code(), "status": e.status().as_u16(),
                               "method": method.as_str(), "route": path, "path": uri_path}),
            },
        )
        .await;
    }
    res
}

fn is_safe(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn csrf_ok(headers: &HeaderMap, expected: &str) -> bool {
    let mut values = headers.get_all(CSRF_HEADER).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => v.to_str().is_ok_and(|v| secret::same(v.trim(), expected)),
        _ => false,
    }
}

/// Largest form body searched for a `_csrf` field; larger forms must send the header. Room for
/// the longest warehouse query (20,000 characters, Chinese ones nine bytes each once encoded).
const CSRF_FORM_MAX: usize = 256 * 1024;

/// Does a URL-encoded form carry the session's CSRF token as `_csrf`? The body is read (at
/// most [`CSRF_FORM_MAX`] bytes) and put back, so the handler still sees it.
async fn csrf_in_form(req: Request, expected: &str) -> (bool, Request) {
    // A file upload form cannot be read ahead (it may be a gigabyte); it carries the token in
    // its action's query string instead (never logged: spans leave the query out).
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        let query = req.uri().query().unwrap_or("");
        let mut found = form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| k == "_csrf")
            .map(|(_, v)| v);
        let ok = match (found.next(), found.next()) {
            (Some(v), None) => secret::same(&v, expected),
            _ => false,
        };
        return (ok, req);
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return (false, req);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, CSRF_FORM_MAX).await else {
        return (false, Request::from_parts(parts, axum::body::Body::empty()));
    };
    let mut found = form_urlencoded::parse(&bytes)
        .filter(|(k, _)| k == "_csrf")
        .map(|(_, v)| v);
    let ok = match (found.next(), found.next()) {
        (Some(v), None) => secret::same(&v, expected),
        _ => false,
    };
    (
        ok,
        Request::from_parts(parts, axum::body::Body::from(bytes)),
    )
}

/// Write an audit record; a failure to do so is logged, never shown to the client.
pub async fn record(s: &ApiState, entry: AuditEntry) {
    if let Err(e) = s.store.audit(entry).await {
        tracing::error!(error = %e, "could not write the audit log");
    }
}

/// The user behind the request's bearer token or session cookie.
async fn authenticate(
    s: &ApiState,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
) -> Result<Authenticated, ApiError> {
    let anonymous = |why: &'static str| AuditEntry {
        org: None,
        actor: None,
        token: None,
        ip,
        action: "auth.rejected".into(),
        entity: None,
        entity_id: None,
        outcome: Outcome::Denied,
        detail: json!({ "why": why }),
    };
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| secret::looks_like(t, TOKEN_PREFIX));
        let Some(token) = token else {
            record(s, anonymous("malformed_token")).await;
            return Err(ApiError::Unauthenticated(AuthProblem::TokenInvalid));
        };
        let digest = secret::digest(token);
        let now = Instant::now();
        if let Some(who) = s.auth_cache.get(&digest, now) {
            return Ok(who);
        }
        return match s.store.token_user(&digest, ip).await? {
            TokenCheck::Valid(who) => {
                s.auth_cache.put(digest, &who, now);
                Ok(who)
            }
            TokenCheck::Refused {
                org,
                user,
                token,
                why,
            } => {
                record(
                    s,
                    AuditEntry {
                        org: Some(org),
                        actor: Some(user),
                        token: Some(token),
                        ip,
                        action: "auth.token_refused".into(),
                        entity: Some("api_token".into()),
                        entity_id: Some(token.get()),
                        outcome: Outcome::Denied,
                        detail: json!({ "why": why }),
                    },
                )
                .await;
                Err(ApiError::Unauthenticated(match why {
                    "expired" => AuthProblem::TokenExpired,
                    "revoked" => AuthProblem::TokenRevoked,
                    _ => AuthProblem::TokenInvalid,
                }))
            }
            TokenCheck::Unknown => {
                record(s, anonymous("unknown_token")).await;
                Err(ApiError::Unauthenticated(AuthProblem::TokenInvalid))
            }
        };
    }
    let Some(cookie) = session_cookie(headers) else {
        return Err(ApiError::Unauthenticated(AuthProblem::Missing));
    };
    if !secret::looks_like(&cookie, SESSION_PREFIX) {
        record(s, anonymous("malformed_session_cookie")).await;
        return Err(ApiError::Unauthenticated(AuthProblem::SessionInvalid));
    }
    let digest = secret::digest(&cookie);
    let now = Instant::now();
    if let Some(who) = s.auth_cache.get(&digest, now) {
        return Ok(who);
    }
    match s.store.session_user(&digest).await? {
        Some(who) => {
            s.auth_cache.put(digest, &who, now);
            Ok(who)
        }
        None => {
            record(s, anonymous("unknown_or_ended_session")).await;
            Err(ApiError::Unauthenticated(AuthProblem::SessionInvalid))
        }
    }
}

/// The value of the session cookie, if the request carries exactly one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    let mut found = None;
    for value in headers.get_all(header::COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        for c in cookie::Cookie::split_parse(text).flatten() {
            if c.name() == SESSION_COOKIE {
                if found.is_some() {
                    return None;
                }
                found = Some(c.value().to_owned());
            }
        }
    }
    found
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, Path=/, Secure when served over
/// TLS (or configured so).
pub fn session_set_cookie(value: &str, max_age: Duration, secure: bool) -> HeaderValue {
    let c = cookie::Cookie::build((SESSION_COOKIE, value.to_owned()))
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
        ))
        .build();
    HeaderValue::from_str(&c.to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
pub fn session_clear_cookie(secure: bool) -> HeaderValue {
    let c = cookie::Cookie::build((SESSION_COOKIE, ""))
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::ZERO)
        .build();
    HeaderValue::from_str(&c.to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// Was the request made over TLS? Only a configured setting or the scheme of the request
/// line decides; `X-Forwarded-Proto` is honoured when it says `https` (it can only make the
/// cookie stricter).
pub fn over_tls(s: &ApiState, headers: &HeaderMap) -> bool {
    s.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

// ---------------------------------------------------------------- signing in

/// A new session: the cookie's secret (to set), its CSRF token, who signed in.
#[derive(Debug)]
pub struct SignedIn {
    pub user: User,
    pub org: guanxi_store::Organisation,
    pub cookie: String,
    pub csrf_token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Check a password off the async workers: argon2 takes tens of milliseconds by design.
pub(crate) async fn verify(raw: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || guanxi_core::password::verify_password(&raw, &hash))
        .await
        .map_err(|_| ApiError::Internal)
}

/// A new personal API token: the secret to show once, and what the store keeps (its digest,
/// a hint of its first characters, the expiry in `days`).
pub fn new_api_token(name: String, days: i64) -> (String, guanxi_store::NewApiToken) {
    let token = secret::new_secret(TOKEN_PREFIX);
    let new = guanxi_store::NewApiToken {
        name,
        hint: token.chars().take(TOKEN_PREFIX.len() + 4).collect(),
        secret_hash: secret::digest(&token),
        expires_at: chrono::Utc::now() + chrono::Duration::days(days),
    };
    (token, new)
}

/// Hash a new password off the async workers.
pub async fn hash_password(p: guanxi_core::password::Password) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || p.hash())
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            ApiError::Internal
        })
}

/// Sign in with a lower-cased e-mail and a password: the throttle, the password check (against
/// a dummy hash for unknown addresses), the audit records, the new session. Shared by the JSON
/// API and the web UI.
pub async fn sign_in_flow(
    s: &ApiState,
    ip: Option<IpAddr>,
    email: &str,
    password: String,
) -> Result<SignedIn, ApiError> {
    let email = email.to_owned();
    if let Some(wait) = s.throttle.blocked(&email, ip, Instant::now()) {
        let login = s.store.find_login(&email).await?;
        record(
            s,
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
        .unwrap_or_else(|| guanxi_core::password::unknown_user_hash().to_owned());
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
                s,
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
    let expires_at = chrono::Utc::now() + ttl;
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
    Ok(SignedIn {
        user: login.user,
        org,
        cookie,
        csrf_token: csrf,
        expires_at,
    })
}

// ---------------------------------------------------------------- credential cache

/// Recently verified credentials, so that a busy client costs no database read per request.
///
/// Keyed by the secret's digest; an entry lives [`AuthCache::TTL`] at most (never past a
/// session's expiry). Everything that can end a credential in this process — signing out,
/// revoking a token, changing or resetting a password, changing or deactivating a user — clears
/// the cache at once; another server process sharing the database sees such a change within the
/// TTL.
#[derive(Debug, Default)]
pub struct AuthCache {
    entries: Mutex<HashMap<String, (Authenticated, Instant)>>,
}

/// Most credentials the cache holds; beyond it, it starts afresh.
const AUTH_CACHE_MAX: usize = 10_000;

impl AuthCache {
    pub const TTL: Duration = Duration::from_secs(30);

    fn get(&self, digest: &str, now: Instant) -> Option<Authenticated> {
        let e = self.entries.lock().ok()?;
        e.get(digest)
            .filter(|(_, until)| now < *until)
            .map(|(a, _)| a.clone())
    }

    fn put(&self, digest: String, who: &Authenticated, now: Instant) {
        let mut until = now + Self::TTL;
        if let Via::Session { expires_at, .. } = &who.via {
            let left = (*expires_at - chrono::Utc::now())
                .to_std()
                .unwrap_or_default();
            until = until.min(now + left);
        }
        if let Ok(mut e) = self.entries.lock() {
            if e.len() >= AUTH_CACHE_MAX {
                e.clear();
            }
            e.insert(digest, (who.clone(), until));
        }
    }

    /// Forget every credential: called after any change that can end one.
    pub fn clear(&self) {
        if let Ok(mut e) = self.entries.lock() {
            e.clear();
        }
    }
}

// ---------------------------------------------------------------- sign-in throttle

/// Failed sign-ins are counted per account and per client address in fixed windows; once a
/// key reaches its limit, sign-ins for it are refused (even with the right password) until
/// the window ends. Kept in memory: one process counts its own attempts.
#[derive(Debug)]
pub struct Throttle {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
    pub per_account: u32,
    pub per_address: u32,
    pub window: Duration,
}

/// Most keys the throttle remembers; the oldest windows are dropped first beyond it.
const THROTTLE_KEYS_MAX: usize = 100_000;

impl Default for Throttle {
    fn default() -> Self {
        Self::new(5, 50, Duration::from_secs(15 * 60))
    }
}

impl Throttle {
    pub fn new(per_account: u32, per_address: u32, window: Duration) -> Self {
        Self {
            windows: Mutex::new(HashMap::new()),
            per_account,
            per_address,
            window,
        }
    }

    fn keys(email: &str, ip: Option<IpAddr>) -> [(String, bool); 2] {
        [
            (format!("a:{email}"), true),
            (
                format!("i:{}", ip.map(|i| i.to_string()).unwrap_or_default()),
                false,
            ),
        ]
    }

    /// `Some(seconds)` to wait when the account or the address is locked out at `now`.
    pub fn blocked(&self, email: &str, ip: Option<IpAddr>, now: Instant) -> Option<u64> {
        let w = self.windows.lock().ok()?;
        Self::keys(email, ip)
            .iter()
            .filter_map(|(k, account)| {
                let (start, n) = w.get(k)?;
                let limit = if *account {
                    self.per_account
                } else {
                    self.per_address
                };
                let end = *start + self.window;
                (*n >= limit && now < end).then(|| (end - now).as_secs().max(1))
            })
            .max()
    }

    /// Count a failed sign-in at `now`.
    pub fn failed(&self, email: &str, ip: Option<IpAddr>, now: Instant) {
        let Ok(mut w) = self.windows.lock() else {
            return;
        };
        if w.len() >= THROTTLE_KEYS_MAX {
            let window = self.window;
            w.retain(|_, (start, _)| now < *start + window);
            if w.len() >= THROTTLE_KEYS_MAX {
                // Still full of live windows: forget the oldest half rather than grow.
                let mut starts: Vec<Instant> = w.values().map(|(s, _)| *s).collect();
                starts.sort_unstable();
                let cut = starts[starts.len() / 2];
                w.retain(|_, (start, _)| *start > cut);
            }
        }
        for (k, _) in Self::keys(email, ip) {
            let e = w.entry(k).or_insert((now, 0));
            if now >= e.0 + self.window {
                *e = (now, 0);
            }
            e.1 += 1;
        }
    }

    /// A successful sign-in clears the account's count (not the address's).
    pub fn succeeded(&self, email: &str) {
        if let Ok(mut w) = self.windows.lock() {
            w.remove(&format!("a:{email}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_locks_an_account_and_an_address_for_the_window() {
        let t = Throttle::new(3, 5, Duration::from_secs(60));
        let t0 = Instant::now();
        let ip: Option<IpAddr> = "192.0.2.7".parse().ok();
        for _ in 0..2 {
            t.failed("a@x.cn", ip, t0);
        }
        assert_eq!(t.blocked("a@x.cn", ip, t0), None);
        t.failed("a@x.cn", ip, t0);
        assert_eq!(t.blocked("a@x.cn", ip, t0), Some(60));
        assert_eq!(
            t.blocked("a@x.cn", None, t0),
            Some(60),
            "the account, from anywhere"
        );
        assert_eq!(
            t.blocked("b@x.cn", ip, t0),
            None,
            "another account from the address"
        );
        // Two more failures for other accounts lock the address.
        t.failed("b@x.cn", ip, t0);
        t.failed("c@x.cn", ip, t0);
        assert!(t.blocked("d@x.cn", ip, t0).is_some());
        assert_eq!(t.blocked("d@x.cn", None, t0), None);
        // The window ends.
        let later = t0 + Duration::from_secs(61);
        assert_eq!(t.blocked("a@x.cn", ip, later), None);
        t.failed("a@x.cn", ip, later);
        assert_eq!(
            t.blocked("a@x.cn", ip, later),
            None,
            "a new window starts at 1"
        );
        t.succeeded("a@x.cn");
        assert_eq!(t.blocked("a@x.cn", None, later), None);
    }

    #[test]
    fn cached_credentials_expire_and_clear() {
        use guanxi_core::{OrgId, Role, UserId};
        let who = Authenticated {
            org: OrgId(1),
            user: User {
                id: UserId(2),
                name: "王芳".into(),
                email: "w@x.cn".into(),
                role: Role::SalesRep,
                team_id: None,
                active: true,
                locale: None,
                created_at: chrono::Utc::now(),
            },
            via: Via::Token {
                id: guanxi_core::ApiTokenId(3),
            },
        };
        let c = AuthCache::default();
        let t0 = Instant::now();
        assert!(c.get("d", t0).is_none());
        c.put("d".into(), &who, t0);
        assert_eq!(c.get("d", t0).map(|a| a.user.id), Some(UserId(2)));
        assert!(c.get("d", t0 + AuthCache::TTL).is_none(), "expired");
        c.clear();
        assert!(c.get("d", t0).is_none(), "cleared");
        // A session ending sooner than the TTL is cached only until it ends.
        let ending = Authenticated {
            via: Via::Session {
                id: 1,
                csrf_token: "c".into(),
                expires_at: chrono::Utc::now() + chrono::Duration::seconds(5),
            },
            ..who
        };
        c.put("s".into(), &ending, t0);
        assert!(c.get("s", t0 + Duration::from_secs(4)).is_some());
        assert!(c.get("s", t0 + Duration::from_secs(6)).is_none());
    }

    #[test]
    fn session_cookie_is_found_once() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::COOKIE, HeaderValue::from_str(v).expect("v"));
            session_cookie(&m)
        };
        assert_eq!(
            h("a=1; guanxi_session=gxs_x; b=2").as_deref(),
            Some("gxs_x")
        );
        assert_eq!(h("a=1"), None);
        assert_eq!(h("guanxi_session=1; guanxi_session=2"), None);
        let set = session_set_cookie("gxs_v", Duration::from_secs(60), true);
        let set = set.to_str().expect("ascii");
        for part in [
            "guanxi_session=gxs_v",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=60",
        ] {
            assert!(set.contains(part), "{set} lacks {part}");
        }
        let plain = session_set_cookie("gxs_v", Duration::from_secs(60), false);
        assert!(!plain.to_str().expect("ascii").contains("Secure"));
    }
}
