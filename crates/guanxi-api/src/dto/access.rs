//! Signing in, users, teams, API tokens and the audit log on the wire.

use super::{at, double_option, not_null, nullable, parse_id, parse_limit, required};
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use guanxi_core::access::grant;
use guanxi_core::error::Errors;
use guanxi_core::password::{Password, PASSWORD_MAX};
use guanxi_core::text::{self, LINE_MAX};
use guanxi_core::{Action, AuditId, DomainError, Email, Lang, Reason, Role, TeamId, UserId};
use guanxi_store::{
    ApiToken, AuditQuery, AuditRecord, NewTeam, NewUser, Organisation, Team, User, UserPatch,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Longest name of an API token.
pub const TOKEN_NAME_MAX: usize = 100;
/// API tokens live 1 to 365 days; 90 when not said.
pub const TOKEN_DAYS_DEFAULT: i64 = 90;
pub const TOKEN_DAYS_MAX: i64 = 365;

fn parse_lang(s: &str) -> Result<Lang, DomainError> {
    match s.trim() {
        "zh-CN" => Ok(Lang::ZhCn),
        "en" => Ok(Lang::En),
        _ => Err(DomainError::field(
            "",
            Reason::NotOneOf {
                allowed: vec!["zh-CN".into(), "en".into()],
            },
        )),
    }
}

fn parse_email(s: &str) -> Result<String, DomainError> {
    Email::parse(s).map(|m| m.as_str().to_owned())
}

fn password(e: &mut Errors, path: &str, raw: Option<&str>, email: &str) -> Option<Password> {
    let raw = required(e, path, raw)?;
    match Password::parse(raw, email) {
        Ok(p) => Some(p),
        Err(reason) => {
            e.push(path, reason);
            None
        }
    }
}

// ---------------------------------------------------------------- signing in

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    #[schema(value_type = String, example = "admin@demo.guanxi.example")]
    pub email: Option<String>,
    #[schema(value_type = String, format = Password)]
    pub password: Option<String>,
}

impl SignIn {
    /// The lower-cased e-mail and the password as typed. A malformed address is not refused
    /// here: it simply matches nobody, like any unknown address.
    pub fn parse(self) -> Result<(String, String), DomainError> {
        let mut e = Errors::new();
        let email = required(&mut e, "email", self.email).map(|m| m.trim().to_lowercase());
        let pw = required(&mut e, "password", self.password);
        if let Some(p) = &pw {
            if p.chars().count() > PASSWORD_MAX {
                e.push("password", Reason::TooLong { max: PASSWORD_MAX });
            }
        }
        if let Some(m) = &email {
            if m.chars().count() > LINE_MAX {
                e.push("email", Reason::TooLong { max: LINE_MAX });
            }
        }
        e.finish()?;
        Ok((email.unwrap_or_default(), pw.unwrap_or_default()))
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    #[schema(value_type = String, format = Password)]
    pub current_password: Option<String>,
    #[schema(value_type = String, format = Password)]
    pub new_password: Option<String>,
}

impl ChangePassword {
    pub fn parse(self, email: &str) -> Result<(String, Password), DomainError> {
        let mut e = Errors::new();
        let current = required(&mut e, "current_password", self.current_password);
        let new = password(&mut e, "new_password", self.new_password.as_deref(), email);
        e.finish()?;
        match (current, new) {
            (Some(c), Some(n)) => Ok((c, n)),
            _ => Err(DomainError::field("new_password", Reason::Required)),
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// The user's new password, to be handed to them; they should change it after signing in.
    #[schema(value_type = String, format = Password)]
    pub new_password: Option<String>,
}

impl ResetPassword {
    pub fn parse(self, email: &str) -> Result<Password, DomainError> {
        let mut e = Errors::new();
        let new = password(&mut e, "new_password", self.new_password.as_deref(), email);
        e.finish()?;
        new.ok_or_else(|| DomainError::field("new_password", Reason::Required))
    }
}

/// The signed-in user, their organisation and what their role allows.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub user: UserView,
    pub organisation: super::admin::OrgView,
    /// The actions the role allows (see docs/PERMISSIONS.md).
    #[schema(example = json!(["read_customers", "write_customers"]))]
    pub permissions: Vec<String>,
    /// `session` or `token`.
    pub via: String,
    /// For a browser session: send it back in `X-CSRF-Token` with every change.
    pub csrf_token: Option<String>,
    pub session_expires_at: Option<DateTime<Utc>>,
}

impl MeView {
    pub fn new(
        user: User,
        org: Organisation,
        csrf_token: Option<String>,
        session_expires_at: Option<DateTime<Utc>>,
    ) -> Self {
        let permissions = Action::ALL
            .iter()
            .filter(|a| **a != Action::Public && grant(user.role, **a).is_some())
            .map(|a| a.as_str().to_owned())
            .collect();
        Self {
            via: if csrf_token.is_some() {
                "session"
            } else {
                "token"
            }
            .into(),
            user: user.into(),
            organisation: org.into(),
            permissions,
            csrf_token,
            session_expires_at,
        }
    }
}

// ---------------------------------------------------------------- users

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(value_type = String, example = "李娜")]
    pub name: Option<String>,
    /// The sign-in name: unique across the deployment, case-insensitive.
    #[schema(value_type = String, example = "li.na@example.com")]
    pub email: Option<String>,
    /// `admin`, `manager`, `sales_rep` (default), `agent`, `marketer` or `analyst`.
    #[schema(example = "sales_rep")]
    pub role: Option<String>,
    pub team_id: Option<i64>,
    /// The first password; without one the user cannot sign in until an administrator sets it.
    #[schema(format = Password)]
    pub password: Option<String>,
    /// `zh-CN` or `en`; without it the organisation's language applies.
    pub locale: Option<String>,
}

impl CreateUser {
    pub fn parse(self) -> Result<(NewUser, Option<Password>), DomainError> {
        let mut e = Errors::new();
        let name = required(&mut e, "name", self.name.as_deref())
            .and_then(|n| e.take(at(text::line(n, LINE_MAX), "name")))
            .unwrap_or_default();
        let email = required(&mut e, "email", self.email.as_deref())
            .and_then(|m| e.take(at(parse_email(m), "email")))
            .unwrap_or_default();
        let role = match self.role.as_deref() {
            None => Some(Role::SalesRep),
            Some(r) => e.take(at(Role::parse(r.trim()), "role")),
        };
        let locale = self
            .locale
            .as_deref()
            .and_then(|l| e.take(at(parse_lang(l), "locale")));
        let pw = match self.password.as_deref() {
            None => None,
            Some(raw) => match Password::parse(raw, &email) {
                Ok(p) => Some(p),
                Err(reason) => {
                    e.push("password", reason);
                    None
                }
            },
        };
        e.finish()?;
        Ok((
            NewUser {
                name,
                email,
                role: role.unwrap_or(Role::SalesRep),
                team_id: self.team_id.map(TeamId),
                password_hash: None,
                locale,
            },
            pw,
        ))
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(value_type = String)]
    #[serde(default, deserialize_with = "double_option")]
    pub name: Option<Option<String>>,
    #[schema(value_type = String, example = "manager")]
    #[serde(default, deserialize_with = "double_option")]
    pub role: Option<Option<String>>,
    /// `null` takes the user out of their team.
    #[schema(value_type = Option<i64>)]
    #[serde(default, deserialize_with = "double_option")]
    pub team_id: Option<Option<i64>>,
    /// `false` deactivates the user: their sessions end and their tokens stop working.
    #[schema(value_type = bool)]
    #[serde(default, deserialize_with = "double_option")]
    pub active: Option<Option<bool>>,
    #[schema(value_type = Option<String>)]
    #[serde(default, deserialize_with = "double_option")]
    pub locale: Option<Option<String>>,
}

impl UpdateUser {
    pub fn parse(self) -> Result<UserPatch, DomainError> {
        let mut e = Errors::new();
        let name = not_null(&mut e, "name", self.name)
            .and_then(|n| e.take(at(text::line(&n, LINE_MAX), "name")));
        let role = not_null(&mut e, "role", self.role)
            .and_then(|r| e.take(at(Role::parse(r.trim()), "role")));
        let team_id = nullable(&mut e, self.team_id, |t| Ok(Some(TeamId(t))));
        let active = not_null(&mut e, "active", self.active);
        let locale = nullable(&mut e, self.locale, |l| {
            at(parse_lang(&l), "locale").map(Some)
        });
        e.finish()?;
        let patch = UserPatch {
            name,
            role,
            team_id,
            active,
            locale,
        };
        if patch.is_empty() {
            return Err(DomainError::field("$", Reason::Empty));
        }
        Ok(patch)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub name: String,
    pub email: String,
    #[schema(example = "sales_rep")]
    pub role: String,
    pub team_id: Option<i64>,
    pub active: bool,
    pub locale: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id.get(),
            name: u.name,
            email: u.email,
            role: u.role.as_str().to_owned(),
            team_id: u.team_id.map(TeamId::get),
            active: u.active,
            locale: u.locale.map(|l| l.tag().to_owned()),
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
}

// ---------------------------------------------------------------- teams

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    #[schema(value_type = String, example = "华东销售一组")]
    pub name: Option<String>,
}

impl CreateTeam {
    pub fn parse(self) -> Result<NewTeam, DomainError> {
        let mut e = Errors::new();
        let name = required(&mut e, "name", self.name.as_deref())
            .and_then(|n| e.take(at(text::line(n, LINE_MAX), "name")))
            .unwrap_or_default();
        e.finish()?;
        Ok(NewTeam { name })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamView {
    pub id: i64,
    pub name: String,
    pub members: i64,
    pub created_at: DateTime<Utc>,
}

impl From<Team> for TeamView {
    fn from(t: Team) -> Self {
        Self {
            id: t.id.get(),
            name: t.name,
            members: t.members,
            created_at: t.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamList {
    pub items: Vec<TeamView>,
}

// ---------------------------------------------------------------- API tokens

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    #[schema(value_type = String, example = "门店 POS 对接")]
    pub name: Option<String>,
    /// 1 to 365; 90 when left out.
    #[schema(example = 90)]
    pub expires_in_days: Option<i64>,
}

impl CreateToken {
    pub fn parse(self) -> Result<(String, i64), DomainError> {
        let mut e = Errors::new();
        let name = required(&mut e, "name", self.name.as_deref())
            .and_then(|n| e.take(at(text::line(n, TOKEN_NAME_MAX), "name")))
            .unwrap_or_default();
        let days = self.expires_in_days.unwrap_or(TOKEN_DAYS_DEFAULT);
        if !(1..=TOKEN_DAYS_MAX).contains(&days) {
            e.push(
                "expires_in_days",
                Reason::OutOfRange {
                    min: 1,
                    max: TOKEN_DAYS_MAX,
                },
            );
        }
        e.finish()?;
        Ok((name, days))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    /// The first characters of the token, to tell tokens apart.
    #[schema(example = "gxp_Qm3k")]
    pub hint: String,
    /// `active`, `expired` or `revoked`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> Self {
        let status = if t.revoked_at.is_some() {
            "revoked"
        } else if t.expires_at <= Utc::now() {
            "expired"
        } else {
            "active"
        };
        Self {
            id: t.id.get(),
            name: t.name,
            hint: t.hint,
            status: status.into(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A new token. `token` is shown this once and never again: Guanxi keeps only its digest.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[schema(example = "gxp_Qm3kZ…")]
    pub token: String,
    #[serde(flatten)]
    pub info: TokenView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenView>,
}

// ---------------------------------------------------------------- audit log

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// `customer`, `interaction`, `user`, `api_token`, …
    pub entity: Option<String>,
    /// With `entity`: one record's history.
    pub entity_id: Option<String>,
    /// Only what this user did.
    pub actor_id: Option<String>,
    /// Older than this audit id (the `next_before` of the previous page).
    pub before: Option<String>,
    /// 1 to 500; 50 when left out.
    pub limit: Option<String>,
}

impl AuditParams {
    pub fn parse(self) -> Result<AuditQuery, ApiError> {
        let mut e = Errors::new();
        let id = |e: &mut Errors, v: Option<&str>, path: &str| {
            v.and_then(|s| e.take(at(parse_id(s), path)))
        };
        let entity_id = id(&mut e, self.entity_id.as_deref(), "entity_id");
        let actor = id(&mut e, self.actor_id.as_deref(), "actor_id").map(UserId);
        let before = id(&mut e, self.before.as_deref(), "before").map(AuditId);
        if entity_id.is_some() && self.entity.is_none() {
            e.push("entity", Reason::Required);
        }
        if let Some(ent) = &self.entity {
            if ent.len() > 64 {
                e.push("entity", Reason::TooLong { max: 64 });
            }
        }
        let limit = match self.limit.as_deref() {
            None => Some(50),
            Some(l) => e
                .take(at(parse_limit(Some(l)), "limit"))
                .map(|_| l.trim().parse::<u32>().unwrap_or(50).clamp(1, 500)),
        };
        e.finish().map_err(ApiError::query)?;
        Ok(AuditQuery {
            entity: self.entity,
            entity_id,
            actor,
            before,
            limit: limit.unwrap_or(50),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    /// The API token used, when the change came through the API with one.
    pub token_id: Option<i64>,
    pub ip: Option<String>,
    #[schema(example = "customer.updated")]
    pub action: String,
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    /// `ok`, `denied` or `failed`.
    pub outcome: String,
    /// For changes: `{"changes": {"field": [before, after]}}` or the created record.
    pub detail: serde_json::Value,
}

impl From<AuditRecord> for AuditView {
    fn from(a: AuditRecord) -> Self {
        Self {
            id: a.id.get(),
            at: a.at,
            actor_id: a.actor.map(UserId::get),
            actor_name: a.actor_name,
            token_id: a.token.map(|t| t.get()),
            ip: a.ip,
            action: a.action,
            entity: a.entity,
            entity_id: a.entity_id,
            outcome: a.outcome,
            detail: a.detail,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditView>,
    /// Pass as `before` for older records; `null` on the last page.
    pub next_before: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::parse_json;

    #[test]
    fn users_need_a_valid_email_role_and_password() {
        let (u, pw) = parse_json::<CreateUser>(
            r#"{"name": "李娜", "email": "Li.Na@Example.com", "role": "agent", "password": "春眠不觉晓处处闻啼鸟"}"#,
        )
        .expect("shape")
        .parse()
        .expect("valid");
        assert_eq!(u.email, "li.na@example.com");
        assert_eq!(u.role, Role::Agent);
        assert!(pw.is_some());
        let e = parse_json::<CreateUser>(
            r#"{"name": "李娜", "email": "li.na@", "role": "boss", "password": "short"}"#,
        )
        .expect("shape")
        .parse()
        .expect_err("invalid");
        let fields: Vec<&str> = e.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["email", "role", "password"]);
        assert_eq!(e.fields()[0].reason, Reason::InvalidEmail);
    }

    #[test]
    fn user_patches_refuse_nulls_where_they_make_no_sense() {
        let e = parse_json::<UpdateUser>(r#"{"role": null, "active": null}"#)
            .expect("shape")
            .parse()
            .expect_err("nulls");
        assert_eq!(e.fields().len(), 2);
        let p = parse_json::<UpdateUser>(r#"{"team_id": null}"#)
            .expect("shape")
            .parse()
            .expect("clear team");
        assert_eq!(p.team_id, Some(None));
        assert!(parse_json::<UpdateUser>("{}")
            .expect("shape")
            .parse()
            .is_err());
    }

    #[test]
    fn token_lifetimes_are_bounded() {
        let t = |j: &str| parse_json::<CreateToken>(j).expect("shape").parse();
        assert_eq!(t(r#"{"name": "x"}"#).expect("ok").1, TOKEN_DAYS_DEFAULT);
        assert!(t(r#"{"name": "x", "expires_in_days": 0}"#).is_err());
        assert!(t(r#"{"name": "x", "expires_in_days": 366}"#).is_err());
        assert!(t(r#"{"expires_in_days": 5}"#).is_err());
    }
}
