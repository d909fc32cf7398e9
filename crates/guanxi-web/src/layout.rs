//! The page shell: head, the navigation bar with the lookup box and the language switch, and
//! the problem page.

use crate::i18n::Msg;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use guanxi_core::Lang;
use maud::{html, Markup, DOCTYPE};

/// Who is looking, for the shell.
pub struct Shell<'a> {
    pub lang: Lang,
    pub user_name: &'a str,
    pub org_name: &'a str,
    pub csrf: Option<&'a str>,
    pub is_admin: bool,
    /// May see leads.
    pub can_see_leads: bool,
    /// May plan activities (has "my day").
    pub can_plan: bool,
    /// May import customer files.
    pub can_import: bool,
    /// May review possible duplicates.
    pub can_review_duplicates: bool,
    /// May see the decision-support dashboards.
    pub can_analyse: bool,
    /// Reminders due now: (when, subject).
    pub reminders: Vec<(String, String)>,
}

fn head(lang: Lang, title: &str, csrf: Option<&str>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            @if let Some(c) = csrf { meta name="csrf-token" content=(c); }
            title { (title) " · " (Msg::AppName.t(lang)) }
            link rel="stylesheet" href="/assets/app.css";
            script src="/assets/htmx.min.js" defer {}
            script src="/assets/app.js" defer {}
        }
    }
}

/// A full page for a signed-in user.
pub fn page(shell: &Shell<'_>, title: &str, content: Markup) -> Response {
    let l = shell.lang;
    let markup = html! {
        (DOCTYPE)
        html lang=(l.tag()) {
            (head(l, title, shell.csrf))
            body {
                a.sr-only href="#main" { (Msg::Customers.t(l)) }
                header.top {
                    a.brand href="/customers" { (Msg::AppName.t(l)) }
                    nav aria-label=(Msg::AppName.t(l)) {
                        a href="/customers" { (Msg::Customers.t(l)) }
                        a href="/customers/new" { (Msg::NewCustomer.t(l)) }
                        @if shell.can_see_leads { a href="/leads" { (Msg::Leads.t(l)) } }
                        a href="/pipelines" { (Msg::Opportunities.t(l)) }
                        @if shell.can_plan { a href="/my-day" { (Msg::MyDay.t(l)) } }
                        @if shell.can_analyse { a href="/analysis" { (Msg::Analytics.t(l)) } }
                        @if shell.can_import { a href="/imports" { (Msg::ImportNav.t(l)) } }
                        @if shell.can_review_duplicates { a href="/duplicates" { (Msg::Duplicates.t(l)) } }
                        @if shell.is_admin { a href="/admin/users" { (Msg::Admin.t(l)) } }
                        a href="/account/tokens" { (Msg::ApiTokens.t(l)) }
                    }
                    form.lookup method="get" action="/lookup" role="search" {
                        label.sr-only for="lookup-q" { (Msg::Lookup.t(l)) }
                        input #lookup-q type="search" name="q" accesskey="k"
                            placeholder=(Msg::LookupHint.t(l)) required;
                        button type="submit" { (Msg::Go.t(l)) }
                    }
                    div.me {
                        span.org { (shell.org_name) " · " (shell.user_name) }
                        form hx-post="/lang" method="post" action="/lang" {
                            (crate::layout::csrf_input(shell.csrf))
                            label.sr-only for="lang" { (Msg::Language.t(l)) }
                            select #lang name="lang" onchange="this.form.requestSubmit()" {
                                option value="zh-CN" selected[l == Lang::ZhCn] { "中文" }
                                option value="en" selected[l == Lang::En] { "English" }
                            }
                            noscript { button type="submit" { (Msg::Language.t(l)) } }
                        }
                        form hx-post="/logout" method="post" action="/logout" {
                            (crate::layout::csrf_input(shell.csrf))
                            button.plain #sign-out type="submit" { (Msg::SignOut.t(l)) }
                        }
                    }
                }
                @if !shell.reminders.is_empty() {
                    aside.reminders #reminders role="status" aria-label=(Msg::Reminders.t(l)) {
                        strong { (Msg::Reminders.t(l)) ": " }
                        @for (when, subject) in &shell.reminders {
                            a href="/my-day" { (when) " " (subject) }
                        }
                    }
                }
                main #main { (content) }
            }
        }
    };
    markup.into_response()
}

/// The session's CSRF token as a hidden field, so that a form works without JavaScript too.
pub fn csrf_input(token: Option<&str>) -> Markup {
    html! { @if let Some(t) = token { input type="hidden" name="_csrf" value=(t); } }
}

/// A page for someone not signed in (the sign-in form).
pub fn bare(lang: Lang, title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            (head(lang, title, None))
            body { main #main { (content) } }
        }
    }
}

/// A short page saying what went wrong, with the right status.
pub fn problem(lang: Lang, status: StatusCode, msg: Msg) -> Response {
    let body = bare(
        lang,
        msg.t(lang),
        html! {
            div.card.login {
                h1 { (msg.t(lang)) }
                p { a href="/customers" { (Msg::Back.t(lang)) } }
            }
        },
    );
    (status, body).into_response()
}
