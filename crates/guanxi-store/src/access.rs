//! Access: teams, sign-in records, sessions, API tokens and the audit log.

use chrono::{DateTime, Utc};
use guanxi_core::{ApiTokenId, AuditId, OrgId, TeamId, UserId};
use serde_json::Value;
use std::net::IpAddr;

use crate::User;

#[derive(Clone, Debug)]
pub struct NewTeam {
    pub name: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub members: i64,
    pub created_at: DateTime<Utc>,
}

/// What signing in needs to know about an e-mail address.
#[derive(Clone, Debug)]
pub struct Login {
    pub org: OrgId,
    pub user: User,
    /// `None` when no password was ever set: such a user cannot sign in.
    pub password_hash: Option<String>,
}

/// A session to open: the digest of the cookie's secret and the CSRF token bound to it.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub user: UserId,
    pub secret_hash: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// The signed-in user behind a session cookie or an API token.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub org: OrgId,
    pub user: User,
    pub via: Via,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    Session {
        id: i64,
        csrf_token: String,
        expires_at: DateTime<Utc>,
    },
    Token {
        id: ApiTokenId,
    },
}

/// What a presented API token turned out to be.
#[derive(Clone, Debug)]
pub enum TokenCheck {
    Valid(Authenticated),
    /// Known, but expired, revoked, or its user deactivated.
    Refused {
        org: OrgId,
        user: UserId,
        token: ApiTokenId,
        why: &'static str,
    },
    Unknown,
}

#[derive(Clone, Debug)]
pub struct NewApiToken {
    pub name: String,
    /// The first characters of the token, shown in lists so that a user can tell them apart.
    pub hint: String,
    pub secret_hash: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub user: UserId,
    pub name: String,
    pub hint: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The outcome recorded with an audit entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The change or sign-in happened.
    Ok,
    /// Refused for lack of rights, a bad CSRF token, an expired token, a throttle …
    Denied,
    /// Wrong credentials.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// One audit record to append. Changes to data are audited by the store itself, in the same
/// transaction as the change; this is for what happens around them (sign-ins, refusals).
#[derive(Clone, Debug)]
pub struct AuditEntry {
    /// `None` when the request could not be tied to an organisation.
    pub org: Option<OrgId>,
    pub actor: Option<UserId>,
    pub token: Option<ApiTokenId>,
    pub ip: Option<IpAddr>,
    /// e.g. `auth.sign_in`, `auth.sign_in_failed`, `access.denied`, `token.used`.
    pub action: String,
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub outcome: Outcome,
    pub detail: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    pub id: AuditId,
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub actor_name: Option<String>,
    pub token: Option<ApiTokenId>,
    pub ip: Option<String>,
    pub action: String,
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub outcome: String,
    pub detail: Value,
}

#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub actor: Option<UserId>,
    /// Records older than this id (paging backwards, newest first).
    pub before: Option<AuditId>,
    pub limit: u32,
}

/// A saved view of the customer list: a name and the list's query string.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    /// The query string of the list (`status=loyal&sort=-updated_at`), without `?`.
    pub query: String,
    pub created_at: DateTime<Utc>,
}
