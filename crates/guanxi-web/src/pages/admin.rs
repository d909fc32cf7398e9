//! Administration: users (roles, teams, deactivation, password resets), teams, custom field
//! definitions; and every user's own API tokens. Each form goes through the API's own request
//! types, so the same rules give the same reasons.

use super::login::go;
use super::Viewer;
use crate::i18n::{value, Msg};
use crate::layout;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Form;
use chrono::{DateTime, Utc};
use guanxi_api::dto::access::{CreateTeam, CreateToken, CreateUser, ResetPassword, UpdateUser};
use guanxi_api::dto::admin::CreateFieldDef;
use guanxi_api::{ApiError, ApiState};
use guanxi_core::{ApiTokenId, FieldDefId, Lang, Role, UserId};
use maud::{html, Markup};
use serde::Deserialize;

fn date(lang: Lang, t: DateTime<Utc>) -> String {
    match lang {
        Lang::ZhCn => t.format("%Y年%-m月%-d日").to_string(),
        Lang::En => t.format("%-d %b %Y").to_string(),
    }
}

/// Errors of a form, as lines above it.
fn problems(l: Lang, e: &ApiError) -> Markup {
    let fields = e.fields();
    html! {
        div.alert.bad role="alert" {
            (e.message(l))
            @if !fields.is_empty() {
                ul { @for f in fields { li { (f.field) ": " (f.reason.message(l)) } } }
            }
        }
    }
}

fn admin_nav(l: Lang, here: &str) -> Markup {
    let item = |href: &'static str, m: Msg| {
        html! { a href=(href) aria-current=[(href == here).then_some("page")] { (m.t(l)) } }
    };
    html! {
        nav.channels aria-label=(Msg::Admin.t(l)) {
            (item("/admin/users", Msg::Users))
            (item("/admin/roles", Msg::Roles))
            (item("/admin/teams", Msg::Teams))
            (item("/admin/fields", Msg::CustomFields))
            (item("/account/tokens", Msg::ApiTokens))
        }
    }
}

fn input(name: &'static str, label: Msg, l: Lang, kind: &str, required: bool) -> Markup {
    html! {
        div.field {
            label for=(name) { (label.t(l)) }
            input id=(name) name=(name) type=(kind) required[required];
        }
    }
}

// ---------------------------------------------------------------- users

async fn users_page(s: &ApiState, v: &Viewer, notice: Option<Markup>) -> Response {
    let l = v.lang;
    let users = s.store.list_users(v.ctx).await.unwrap_or_default();
    let teams = s.store.list_teams(v.ctx).await.unwrap_or_default();
    let team_name = |t: Option<guanxi_core::TeamId>| {
        t.and_then(|t| teams.iter().find(|x| x.id == t))
            .map(|t| t.name.clone())
            .unwrap_or_default()
    };
    let content = html! {
        h1 { (Msg::Admin.t(l)) }
        (admin_nav(l, "/admin/users"))
        @if let Some(n) = notice { (n) }
        table.list #users {
            thead { tr {
                th { (Msg::Name.t(l)) } th { (Msg::Email.t(l)) } th { (Msg::Role.t(l)) }
                th { (Msg::Team.t(l)) } th { (Msg::Status.t(l)) } th { (Msg::Change.t(l)) }
            } }
            tbody {
                @for u in &users {
                    tr {
                        td { (u.name) } td { (u.email) } td { (value(l, u.role.as_str())) }
                        td { (team_name(u.team_id)) }
                        td { @if u.active { (Msg::Active.t(l)) } @else { (Msg::Deactivated.t(l)) } }
                        td {
                            form.inline method="post" action={"/admin/users/" (u.id)} hx-post={"/admin/users/" (u.id)} {
                                (crate::layout::csrf_input(v.csrf.as_deref()))
                                label.sr-only for={"role-" (u.id)} { (Msg::Role.t(l)) }
                                select id={"role-" (u.id)} name="role" {
                                    @for r in Role::ALL { option value=(r.as_str()) selected[*r == u.role] { (value(l, r.as_str())) } }
                                }
                                label.sr-only for={"team-" (u.id)} { (Msg::Team.t(l)) }
                                select id={"team-" (u.id)} name="team_id" {
                                    option value="" { (Msg::NoTeam.t(l)) }
                                    @for t in &teams { option value=(t.id) selected[Some(t.id) == u.team_id] { (t.name) } }
                                }
                                select name="active" aria-label=(Msg::Status.t(l)) {
                                    option value="true" selected[u.active] { (Msg::Active.t(l)) }
                                    option value="false" selected[!u.active] { (Msg::Deactivated.t(l)) }
                                }
                                " " button type="submit" { (Msg::Change.t(l)) }
                            }
                            " "
                            form.inline method="post" action={"/admin/users/" (u.id) "/password"} hx-post={"/admin/users/" (u.id) "/password"} {
                                (crate::layout::csrf_input(v.csrf.as_deref()))
                                label.sr-only for={"pw-" (u.id)} { (Msg::NewPassword.t(l)) }
                                input id={"pw-" (u.id)} name="new_password" type="password" placeholder=(Msg::NewPassword.t(l)) required;
                                " " button type="submit" { (Msg::ResetPassword.t(l)) }
                            }
                        }
                    }
                }
            }
        }
        h2 { (Msg::AddUser.t(l)) }
        form.card #add-user method="post" action="/admin/users" hx-post="/admin/users" {
            (crate::layout::csrf_input(v.csrf.as_deref()))
            div.form-grid {
                (input("name", Msg::Name, l, "text", true))
                (input("email", Msg::Email, l, "email", true))
                div.field {
                    label for="role" { (Msg::Role.t(l)) }
                    select #role name="role" {
                        @for r in Role::ALL { option value=(r.as_str()) selected[*r == Role::SalesRep] { (value(l, r.as_str())) } }
                    }
                }
                div.field {
                    label for="team_id" { (Msg::Team.t(l)) }
                    select #team_id name="team_id" {
                        option value="" { (Msg::NoTeam.t(l)) }
                        @for t in &teams { option value=(t.id) { (t.name) } }
                    }
                }
                (input("password", Msg::Password, l, "password", false))
            }
            p { button type="submit" { (Msg::AddUser.t(l)) } }
        }
    };
    layout::page(&v.shell(), Msg::Users.t(l), content)
}

pub async fn users(State(s): State<ApiState>, v: Viewer) -> Response {
    users_page(&s, &v, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct NewUserForm {
    name: Option<String>,
    email: Option<String>,
    role: Option<String>,
    team_id: Option<String>,
    password: Option<String>,
}

fn team_of(raw: &Option<String>) -> Option<i64> {
    raw.as_deref().and_then(|t| t.trim().parse().ok())
}

pub async fn create_user(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Form(f): Form<NewUserForm>,
) -> Response {
    let dto = CreateUser {
        name: f.name,
        email: f.email,
        role: f.role,
        team_id: team_of(&f.team_id),
        password: f.password.filter(|p| !p.is_empty()),
        locale: None,
    };
    let result = async {
        let (mut new, password) = dto.parse()?;
        if let Some(p) = password {
            new.password_hash = Some(guanxi_api::auth::hash_password(p).await?);
        }
        s.store
            .create_user(v.ctx, new)
            .await
            .map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(_) => go(&headers, "/admin/users"),
        Err(e) => users_page(&s, &v, Some(problems(v.lang, &e))).await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct UserChangeForm {
    role: Option<String>,
    team_id: Option<String>,
    active: Option<String>,
}

pub async fn update_user(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<UserChangeForm>,
) -> Response {
    let dto = UpdateUser {
        role: f.role.map(Some),
        team_id: Some(team_of(&f.team_id)),
        active: f.active.map(|a| Some(a == "true")),
        ..Default::default()
    };
    let result = match dto.parse() {
        Ok(patch) => s
            .store
            .update_user(v.ctx, UserId(id), patch)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    s.auth_cache.clear();
    match result {
        Ok(_) => go(&headers, "/admin/users"),
        Err(e) => users_page(&s, &v, Some(problems(v.lang, &e))).await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    new_password: Option<String>,
}

pub async fn reset_password(
    State(s): State<ApiState>,
    v: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<PasswordForm>,
) -> Response {
    let result = async {
        let user = s.store.get_user(v.ctx, UserId(id)).await?;
        let p = ResetPassword {
            new_password: f.new_password,
        }
        .parse(&user.email)?;
        let hash = guanxi_api::auth::hash_password(p).await?;
        s.store
            .set_password(v.ctx, user.id, hash, None)
            .await
            .map_err(ApiError::from)
    }
    .await;
    s.auth_cache.clear();
    let notice = match result {
        Ok(()) => html! { p.alert role="status" { (Msg::PasswordSet.t(v.lang)) } },
        Err(e) => problems(v.lang, &e),
    };
    users_page(&s, &v, Some(notice)).await
}

// ---------------------------------------------------------------- teams

async fn teams_page(s: &ApiState, v: &Viewer, notice: Option<Markup>) -> Response {
    let l = v.lang;
    let teams = s.store.list_teams(v.ctx).await.unwrap_or_default();
    let content = html! {
        h1 { (Msg::Admin.t(l)) }
        (admin_nav(l, "/admin/teams"))
        @if let Some(n) = notice { (n) }
        @if teams.is_empty() { p.empty { (Msg::NoTeams.t(l)) } }
        @else {
            table.list #teams {
                thead { tr { th { (Msg::Team.t(l)) } th { (Msg::Members.t(l)) } th { (Msg::Created.t(l)) } } }
                tbody { @for t in &teams { tr { td { (t.name) } td { (t.members) } td { (date(l, t.created_at)) } } } }
            }
        }
        h2 { (Msg::AddTeam.t(l)) }
        form.card.toolbar method="post" action="/admin/teams" hx-post="/admin/teams" {
            (crate::layout::csrf_input(v.csrf.as_deref()))
            label { (Msg::Team.t(l)) input name="name" type="text" required; }
            button type="submit" { (Msg::AddTeam.t(l)) }
        }
    };
    layout::page(&v.shell(), Msg::Teams.t(l), content)
}

pub async fn teams(State(s): State<ApiState>, v: Viewer) -> Response {
    teams_page(&s, &v, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct TeamForm {
    name: Option<String>,
}

pub async fn create_team(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Form(f): Form<TeamForm>,
) -> Response {
    let result = match (CreateTeam { name: f.name }).parse() {
        Ok(new) => s
            .store
            .create_team(v.ctx, new)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => go(&headers, "/admin/teams"),
        Err(e) => teams_page(&s, &v, Some(problems(v.lang, &e))).await,
    }
}

// ---------------------------------------------------------------- custom fields

async fn fields_page(s: &ApiState, v: &Viewer, notice: Option<Markup>) -> Response {
    let l = v.lang;
    let defs = s.store.list_field_defs(v.ctx).await.unwrap_or_default();
    let content = html! {
        h1 { (Msg::Admin.t(l)) }
        (admin_nav(l, "/admin/fields"))
        @if let Some(n) = notice { (n) }
        @if defs.is_empty() { p.empty { (Msg::NoFields.t(l)) } }
        @else {
            table.list #fields {
                thead { tr {
                    th { (Msg::Key.t(l)) } th { (Msg::LabelZh.t(l)) } th { (Msg::LabelEn.t(l)) }
                    th { (Msg::FieldType.t(l)) } th { (Msg::Choices.t(l)) } th { (Msg::RequiredField.t(l)) } th {}
                } }
                tbody { @for d in &defs { tr {
                    td { code { (d.key) } } td { (d.label_zh) } td { (d.label_en) }
                    td { (value(l, d.field_type.as_str())) } td { (d.choices.join("、")) }
                    td { @if d.required { (Msg::Yes.t(l)) } @else { (Msg::No.t(l)) } }
                    td {
                        form.inline method="post" action={"/admin/fields/" (d.id) "/delete"} hx-post={"/admin/fields/" (d.id) "/delete"} hx-confirm=(Msg::Delete.t(l)) {
                            (crate::layout::csrf_input(v.csrf.as_deref()))
                            button.plain type="submit" { (Msg::Delete.t(l)) }
                        }
                    }
                } } }
            }
        }
        h2 { (Msg::AddField.t(l)) }
        form.card method="post" action="/admin/fields" hx-post="/admin/fields" {
            (crate::layout::csrf_input(v.csrf.as_deref()))
            div.form-grid {
                (input("key", Msg::Key, l, "text", true))
                (input("label_zh", Msg::LabelZh, l, "text", true))
                (input("label_en", Msg::LabelEn, l, "text", true))
                div.field {
                    label for="field_type" { (Msg::FieldType.t(l)) }
                    select #field_type name="field_type" {
                        @for t in ["text", "number", "date", "choice"] { option value=(t) { (value(l, t)) } }
                    }
                }
                div.field {
                    label for="choices" { (Msg::Choices.t(l)) }
                    input #choices name="choices" type="text" placeholder=(Msg::ChoicesHint.t(l));
                }
                div.field {
                    label for="required" { (Msg::RequiredField.t(l)) }
                    select #required name="required" {
                        option value="false" { (Msg::No.t(l)) }
                        option value="true" { (Msg::Yes.t(l)) }
                    }
                }
            }
            p { button type="submit" { (Msg::AddField.t(l)) } }
        }
    };
    layout::page(&v.shell(), Msg::CustomFields.t(l), content)
}

pub async fn fields(State(s): State<ApiState>, v: Viewer) -> Response {
    fields_page(&s, &v, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct FieldForm {
    key: Option<String>,
    label_zh: Option<String>,
    label_en: Option<String>,
    field_type: Option<String>,
    choices: Option<String>,
    required: Option<String>,
}

pub async fn create_field(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Form(f): Form<FieldForm>,
) -> Response {
    let choices = crate::split_list(f.choices.as_deref().unwrap_or(""));
    let dto = CreateFieldDef {
        key: f.key,
        label_zh: f.label_zh,
        label_en: f.label_en,
        field_type: f.field_type,
        choices: (!choices.is_empty()).then_some(choices),
        required: Some(f.required.as_deref() == Some("true")),
    };
    let result = match dto.parse() {
        Ok(new) => s
            .store
            .create_field_def(v.ctx, new)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => go(&headers, "/admin/fields"),
        Err(e) => fields_page(&s, &v, Some(problems(v.lang, &e))).await,
    }
}

pub async fn delete_field(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    match s.store.delete_field_def(v.ctx, FieldDefId(id)).await {
        Ok(()) => go(&headers, "/admin/fields"),
        Err(e) => fields_page(&s, &v, Some(problems(v.lang, &e.into()))).await,
    }
}

// ---------------------------------------------------------------- my API tokens

async fn tokens_page(s: &ApiState, v: &Viewer, notice: Option<Markup>) -> Response {
    let l = v.lang;
    let tokens = s.store.list_tokens(v.ctx).await.unwrap_or_default();
    let now = Utc::now();
    let content = html! {
        h1 { (Msg::ApiTokens.t(l)) }
        @if v.user.role == Role::Admin { (admin_nav(l, "/account/tokens")) }
        @if let Some(n) = notice { (n) }
        @if tokens.is_empty() { p.empty { (Msg::NoTokens.t(l)) } }
        @else {
            table.list #tokens {
                thead { tr {
                    th { (Msg::TokenName.t(l)) } th { "" } th { (Msg::Status.t(l)) }
                    th { (Msg::Expires.t(l)) } th { (Msg::LastUsed.t(l)) } th {}
                } }
                tbody { @for t in &tokens {
                    @let live = t.revoked_at.is_none() && t.expires_at > now;
                    tr {
                        td { (t.name) } td { code { (t.hint) "…" } }
                        td { @if t.revoked_at.is_some() { (Msg::StatusRevoked.t(l)) }
                             @else if t.expires_at <= now { (Msg::StatusExpired.t(l)) }
                             @else { (Msg::StatusActive.t(l)) } }
                        td { (date(l, t.expires_at)) }
                        td { @match t.last_used_at { Some(u) => (date(l, u)), None => (Msg::Never.t(l)) } }
                        td { @if live {
                            form.inline method="post" action={"/account/tokens/" (t.id) "/revoke"} hx-post={"/account/tokens/" (t.id) "/revoke"} {
                                (crate::layout::csrf_input(v.csrf.as_deref()))
                                button.plain type="submit" { (Msg::Revoke.t(l)) }
                            }
                        } }
                    }
                } }
            }
        }
        h2 { (Msg::CreateToken.t(l)) }
        form.card.toolbar method="post" action="/account/tokens" hx-post="/account/tokens" {
            (crate::layout::csrf_input(v.csrf.as_deref()))
            label { (Msg::TokenName.t(l)) input name="name" type="text" required; }
            label { (Msg::ExpiresInDays.t(l)) input name="expires_in_days" type="number" min="1" max="365" value="90"; }
            button #create-token type="submit" { (Msg::CreateToken.t(l)) }
        }
    };
    layout::page(&v.shell(), Msg::ApiTokens.t(l), content)
}

pub async fn tokens(State(s): State<ApiState>, v: Viewer) -> Response {
    tokens_page(&s, &v, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    name: Option<String>,
    expires_in_days: Option<String>,
}

pub async fn create_token(
    State(s): State<ApiState>,
    v: Viewer,
    Form(f): Form<TokenForm>,
) -> Response {
    let days = f
        .expires_in_days
        .as_deref()
        .map(|d| d.trim().parse::<i64>().unwrap_or(0));
    let result = async {
        let (name, days) = CreateToken {
            name: f.name,
            expires_in_days: days,
        }
        .parse()?;
        let (token, new) = guanxi_api::auth::new_api_token(name, days);
        s.store.create_token(v.ctx, new).await?;
        Ok::<String, ApiError>(token)
    }
    .await;
    let notice = match result {
        Ok(token) => html! {
            div.alert role="status" #new-token {
                (Msg::TokenShownOnce.t(v.lang)) br;
                code #token-secret { (token) }
            }
        },
        Err(e) => problems(v.lang, &e),
    };
    tokens_page(&s, &v, Some(notice)).await
}

pub async fn revoke_token(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let r = s.store.revoke_token(v.ctx, ApiTokenId(id)).await;
    s.auth_cache.clear();
    match r {
        Ok(_) => go(&headers, "/account/tokens"),
        Err(e) => tokens_page(&s, &v, Some(problems(v.lang, &e.into()))).await,
    }
}

// ---------------------------------------------------------------- roles

/// The permission table, as the code has it (`guanxi_core::access::grant`).
pub async fn roles(v: Viewer) -> Response {
    use guanxi_core::{Action, Scope};
    let l = v.lang;
    let scope = |s: Option<Scope>| match s {
        None => "—",
        Some(Scope::Org) => Msg::ScopeOrg.t(l),
        Some(Scope::Team) => Msg::ScopeTeam.t(l),
        Some(Scope::Own) => Msg::ScopeOwn.t(l),
        Some(Scope::Handled) => Msg::ScopeHandled.t(l),
    };
    let content = html! {
        h1 { (Msg::Admin.t(l)) }
        (admin_nav(l, "/admin/roles"))
        p.muted { (Msg::RolesIntro.t(l)) }
        table.list #roles {
            thead { tr {
                th scope="col" { (Msg::Action.t(l)) }
                @for r in Role::ALL { th scope="col" { (value(l, r.as_str())) } }
            } }
            tbody {
                @for a in Action::ALL.iter().filter(|a| **a != Action::Public) {
                    tr {
                        th scope="row" { (value(l, a.as_str())) }
                        @for r in Role::ALL { td { (scope(guanxi_core::access::grant(*r, *a))) } }
                    }
                }
            }
        }
    };
    layout::page(&v.shell(), Msg::Roles.t(l), content)
}
