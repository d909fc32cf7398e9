//! Signing in and out, and the language switch.

use super::Viewer;
use crate::i18n::Msg;
use crate::layout;
use axum::extract::{Query, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use guanxi_api::auth::{over_tls, session_clear_cookie, session_set_cookie, ClientIp};
use guanxi_api::{ApiError, ApiState};
use guanxi_core::Lang;
use guanxi_store::UserPatch;
use maud::html;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    email: Option<String>,
    password: Option<String>,
    next: Option<String>,
}

/// Only a path of this site, never another host.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/customers".into(),
    }
}

fn render(lang: Lang, email: &str, next: &str, error: Option<Msg>) -> maud::Markup {
    layout::bare(
        lang,
        Msg::SignIn.t(lang),
        html! {
            div.card.login {
                h1 { (Msg::SignInTitle.t(lang)) }
                @if let Some(e) = error { p.alert.bad role="alert" { (e.t(lang)) } }
                form method="post" action="/login" {
                    input type="hidden" name="next" value=(next);
                    div.field {
                        label for="email" { (Msg::Email.t(lang)) }
                        input #email type="email" name="email" value=(email) autocomplete="username" required autofocus;
                    }
                    div.field {
                        label for="password" { (Msg::Password.t(lang)) }
                        input #password type="password" name="password" autocomplete="current-password" required;
                    }
                    button #sign-in type="submit" { (Msg::SignIn.t(lang)) }
                }
                p.muted {
                    a href="?lang=zh-CN" lang="zh-CN" { "中文" } " · " a href="?lang=en" lang="en" { "English" }
                }
            }
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginPageQuery {
    next: Option<String>,
    lang: Option<String>,
}

/// The sign-in form, in the browser's language (or `?lang=`).
pub async fn form(headers: HeaderMap, Query(q): Query<LoginPageQuery>) -> Response {
    let lang = q
        .lang
        .as_deref()
        .and_then(Lang::from_tag)
        .unwrap_or_else(|| guanxi_api::error::request_lang(&headers));
    render(lang, "", &safe_next(q.next.as_deref()), None).into_response()
}

/// Check the credentials (same throttle and audit as the API), set the cookie, go on.
pub async fn submit(
    State(s): State<ApiState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = guanxi_api::error::request_lang(&headers);
    let email = f.email.unwrap_or_default().trim().to_lowercase();
    let next = safe_next(f.next.as_deref());
    let password = f.password.unwrap_or_default();
    if email.is_empty() || password.is_empty() || password.chars().count() > 128 {
        return (
            StatusCode::UNAUTHORIZED,
            render(lang, &email, &next, Some(Msg::WrongCredentials)),
        )
            .into_response();
    }
    match guanxi_api::auth::sign_in_flow(&s, ip, &email, password).await {
        Ok(done) => {
            let mut res = Redirect::to(&next).into_response();
            res.headers_mut().insert(
                header::SET_COOKIE,
                session_set_cookie(&done.cookie, s.session_ttl, over_tls(&s, &headers)),
            );
            res
        }
        Err(ApiError::TooManyAttempts { .. }) => (
            StatusCode::TOO_MANY_REQUESTS,
            render(lang, &email, &next, Some(Msg::TooManyAttempts)),
        )
            .into_response(),
        Err(ApiError::Unauthenticated(_)) => (
            StatusCode::UNAUTHORIZED,
            render(lang, &email, &next, Some(Msg::WrongCredentials)),
        )
            .into_response(),
        Err(e) => crate::page_error(lang, e),
    }
}

/// End the session and go back to the sign-in form.
pub async fn logout(State(s): State<ApiState>, v: Viewer, headers: HeaderMap) -> Response {
    if let Some(id) = v.session {
        if let Err(e) = s.store.end_session(v.ctx, id).await {
            return crate::page_error(v.lang, e.into());
        }
        s.auth_cache.clear();
    }
    let mut res = go(&headers, "/login");
    res.headers_mut().insert(
        header::SET_COOKIE,
        session_clear_cookie(over_tls(&s, &headers)),
    );
    res
}

#[derive(Debug, Deserialize)]
pub struct LangForm {
    lang: String,
}

/// Remember the user's language and show the page again in it.
pub async fn set_language(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Form(f): Form<LangForm>,
) -> Response {
    let Some(lang) = Lang::from_tag(&f.lang) else {
        return crate::page_error(v.lang, ApiError::Validation(vec![]));
    };
    let patch = UserPatch {
        locale: Some(Some(lang)),
        ..Default::default()
    };
    if let Err(e) = s.store.update_user(v.ctx, v.user.id, patch).await {
        return crate::page_error(v.lang, e.into());
    }
    s.auth_cache.clear();
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|r| r.find('/').map(|i| r[i..].to_owned()))
        .unwrap_or_else(|| "/customers".into());
    go(&headers, &safe_next(Some(&back)))
}

/// A redirect that htmx follows as a whole page.
pub fn go(headers: &HeaderMap, to: &str) -> Response {
    if crate::is_htmx(headers) {
        let mut res = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            res.headers_mut().insert("hx-redirect", v);
        }
        return res;
    }
    Redirect::to(to).into_response()
}
