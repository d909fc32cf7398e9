//! Users, teams, sign-in sessions, API tokens and reading the audit log.

use crate::codec::{
    bool_of, enum_of, i64_of, json_of, now_micros, opt_i64, opt_str, opt_time, str_of, time_of,
    time_to_micros,
};
use crate::events::{append_audit, emit};
use crate::{conflict_on, db_err, SqlStore};
use guanxi_core::{ApiTokenId, AuditId, Lang, OrgId, Reason, Role, TeamId, UserId};
use guanxi_store::{
    ApiToken, AuditEntry, AuditQuery, AuditRecord, Authenticated, Ctx, Login, NewApiToken,
    NewSession, NewTeam, NewUser, Outcome, SavedView, StoreError, Team, TokenCheck, User,
    UserPatch, Via,
};
use serde_json::json;
use sqlx::AnyConnection;
use std::net::IpAddr;

/// Most audit records one read returns.
pub const AUDIT_PAGE_MAX: u32 = 500;
/// A token's use is written down at most this often (microseconds): once per ten minutes.
const TOKEN_USE_EVERY: i64 = 10 * 60 * 1_000_000;

pub(crate) const USER_COLS: &str =
    "u.id, u.org_id, u.name, u.email, u.role, u.team_id, u.active, u.locale, u.created_at";

pub(crate) fn user_from(r: &crate::Row) -> Result<User, StoreError> {
    Ok(User {
        id: UserId(i64_of(r, "id")?),
        name: str_of(r, "name")?,
        email: str_of(r, "email")?,
        role: enum_of(r, "role", Role::parse)?,
        team_id: opt_i64(r, "team_id")?.map(TeamId),
        active: bool_of(r, "active")?,
        locale: opt_str(r, "locale")?.and_then(|l| Lang::from_tag(&l)),
        created_at: time_of(r, "created_at")?,
    })
}

fn token_from(r: &crate::Row) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: ApiTokenId(i64_of(r, "id")?),
        user: UserId(i64_of(r, "user_id")?),
        name: str_of(r, "name")?,
        hint: str_of(r, "hint")?,
        created_at: time_of(r, "created_at")?,
        expires_at: time_of(r, "expires_at")?,
        last_used_at: opt_time(r, "last_used_at")?,
        revoked_at: opt_time(r, "revoked_at")?,
    })
}

const TOKEN_COLS: &str =
    "id, user_id, name, hint, created_at, expires_at, last_used_at, revoked_at";

/// The team exists in `org`, or the field is refused.
async fn check_team(
    conn: &mut AnyConnection,
    org: OrgId,
    team: Option<TeamId>,
) -> Result<(), StoreError> {
    if let Some(t) = team {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM teams WHERE org_id = $1 AND id = $2")
                .bind(org.get())
                .bind(t.get())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
        if found.is_none() {
            return Err(StoreError::invalid("team_id", Reason::NotFound));
        }
    }
    Ok(())
}

pub(crate) async fn load_user(
    conn: &mut AnyConnection,
    org: OrgId,
    id: UserId,
) -> Result<User, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLS} FROM users u WHERE u.org_id = $1 AND u.id = $2"
    ))
    .bind(org.get())
    .bind(id.get())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?
    .ok_or(StoreError::NotFound { entity: "user" })?;
    user_from(&row)
}

fn actor_is(ctx: Ctx) -> Result<UserId, StoreError> {
    ctx.actor.ok_or(StoreError::NotFound { entity: "user" })
}

impl SqlStore {
    pub(crate) async fn create_user_impl(
        &self,
        ctx: Ctx,
        new: NewUser,
    ) -> Result<User, StoreError> {
        let mut tx = self.begin_write().await?;
        check_team(&mut tx, ctx.org, new.team_id).await?;
        let now = now_micros();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (org_id, name, email, role, team_id, password_hash, active, locale, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(ctx.org.get())
        .bind(&new.name)
        .bind(&new.email)
        .bind(new.role.as_str())
        .bind(new.team_id.map(TeamId::get))
        .bind(new.password_hash.as_deref())
        .bind(true)
        .bind(new.locale.map(Lang::tag))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_on("email", Reason::Conflict))?;
        let user = load_user(&mut tx, ctx.org, UserId(id)).await?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "user.created",
            "user",
            id,
            &json!({"name": user.name, "email": user.email, "role": user.role, "team_id": user.team_id}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(user)
    }

    pub(crate) async fn list_users_impl(&self, ctx: Ctx) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users u WHERE u.org_id = $1 ORDER BY u.id LIMIT 10000"
        ))
        .bind(ctx.org.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(user_from).collect()
    }

    pub(crate) async fn get_user_impl(&self, ctx: Ctx, id: UserId) -> Result<User, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        load_user(&mut conn, ctx.org, id).await
    }

    pub(crate) async fn update_user_impl(
        &self,
        ctx: Ctx,
        id: UserId,
        patch: UserPatch,
    ) -> Result<User, StoreError> {
        let mut tx = self.begin_write().await?;
        let old = load_user(&mut tx, ctx.org, id).await?;
        if let Some(team) = patch.team_id {
            check_team(&mut tx, ctx.org, team).await?;
        }
        let role = patch.role.unwrap_or(old.role);
        let active = patch.active.unwrap_or(old.active);
        if old.role == Role::Admin && old.active && (role != Role::Admin || !active) {
            let admins: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE org_id = $1 AND role = 'admin' AND active = $2",
            )
            .bind(ctx.org.get())
            .bind(true)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
            if admins <= 1 {
                let field = if role != Role::Admin {
                    "role"
                } else {
                    "active"
                };
                return Err(StoreError::invalid(field, Reason::LastAdmin));
            }
        }
        let name = patch.name.clone().unwrap_or_else(|| old.name.clone());
        let team = patch.team_id.unwrap_or(old.team_id);
        let locale = patch.locale.unwrap_or(old.locale);
        sqlx::query(
            "UPDATE users SET name = $1, role = $2, team_id = $3, active = $4, locale = $5, updated_at = $6 \
             WHERE org_id = $7 AND id = $8",
        )
        .bind(&name)
        .bind(role.as_str())
        .bind(team.map(TeamId::get))
        .bind(active)
        .bind(locale.map(Lang::tag))
        .bind(now_micros())
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if !active {
            end_sessions(&mut tx, id, None).await?;
        }
        let new = load_user(&mut tx, ctx.org, id).await?;
        let mut changes = serde_json::Map::new();
        let mut note = |k: &str, a: serde_json::Value, b: serde_json::Value| {
            if a != b {
                changes.insert(k.to_owned(), json!([a, b]));
            }
        };
        note("name", json!(old.name), json!(new.name));
        note("role", json!(old.role), json!(new.role));
        note("team_id", json!(old.team_id), json!(new.team_id));
        note("active", json!(old.active), json!(new.active));
        note(
            "locale",
            json!(old.locale.map(Lang::tag)),
            json!(new.locale.map(Lang::tag)),
        );
        if !changes.is_empty() {
            emit(
                &mut tx,
                self.backend,
                ctx,
                "user.updated",
                "user",
                id.get(),
                &json!({ "changes": changes }),
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(new)
    }

    pub(crate) async fn set_password_impl(
        &self,
        ctx: Ctx,
        id: UserId,
        hash: String,
        keep_session: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, updated_at = $2 WHERE org_id = $3 AND id = $4",
        )
        .bind(&hash)
        .bind(now_micros())
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { entity: "user" });
        }
        let ended = end_sessions(&mut tx, id, keep_session).await?;
        let by_self = ctx.actor == Some(id);
        emit(
            &mut tx,
            self.backend,
            ctx,
            if by_self {
                "user.password_changed"
            } else {
                "user.password_reset"
            },
            "user",
            id.get(),
            &json!({ "sessions_ended": ended }),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn password_hash_impl(
        &self,
        ctx: Ctx,
        id: UserId,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<Option<String>> =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE org_id = $1 AND id = $2")
                .bind(ctx.org.get())
                .bind(id.get())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
        row.ok_or(StoreError::NotFound { entity: "user" })
    }

    pub(crate) async fn create_team_impl(
        &self,
        ctx: Ctx,
        new: NewTeam,
    ) -> Result<Team, StoreError> {
        let mut tx = self.begin_write().await?;
        let now = now_micros();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO teams (org_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(ctx.org.get())
        .bind(&new.name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_on("name", Reason::Conflict))?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "team.created",
            "team",
            id,
            &json!({"name": new.name}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Team {
            id: TeamId(id),
            name: new.name,
            members: 0,
            created_at: crate::codec::micros_to_time(now),
        })
    }

    pub(crate) async fn list_teams_impl(&self, ctx: Ctx) -> Result<Vec<Team>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, t.name, t.created_at, \
             (SELECT COUNT(*) FROM users u WHERE u.org_id = t.org_id AND u.team_id = t.id) AS members \
             FROM teams t WHERE t.org_id = $1 ORDER BY t.id LIMIT 10000",
        )
        .bind(ctx.org.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(Team {
                    id: TeamId(i64_of(r, "id")?),
                    name: str_of(r, "name")?,
                    members: i64_of(r, "members")?,
                    created_at: time_of(r, "created_at")?,
                })
            })
            .collect()
    }

    pub(crate) async fn find_login_impl(&self, email: &str) -> Result<Option<Login>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| {
            Ok(Login {
                org: OrgId(i64_of(&r, "org_id")?),
                user: user_from(&r)?,
                password_hash: opt_str(&r, "password_hash")?,
            })
        })
        .transpose()
    }

    pub(crate) async fn create_session_impl(
        &self,
        ctx: Ctx,
        new: NewSession,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sessions (org_id, user_id, secret_hash, csrf_token, ip, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(ctx.org.get())
        .bind(new.user.get())
        .bind(&new.secret_hash)
        .bind(&new.csrf_token)
        .bind(ctx.ip.map(|ip| ip.to_string()))
        .bind(now_micros())
        .bind(time_to_micros(new.expires_at))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        append_audit(
            &mut tx,
            &AuditEntry {
                org: Some(ctx.org),
                actor: Some(new.user),
                token: None,
                ip: ctx.ip,
                action: "auth.signed_in".into(),
                entity: Some("user".into()),
                entity_id: Some(new.user.get()),
                outcome: Outcome::Ok,
                detail: json!({"session": id}),
            },
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    pub(crate) async fn session_user_impl(
        &self,
        secret_hash: &str,
    ) -> Result<Option<Authenticated>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS}, s.id AS session_id, s.csrf_token, s.expires_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.secret_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.active = $3"
        ))
        .bind(secret_hash)
        .bind(now_micros())
        .bind(true)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| {
            Ok(Authenticated {
                org: OrgId(i64_of(&r, "org_id")?),
                user: user_from(&r)?,
                via: Via::Session {
                    id: i64_of(&r, "session_id")?,
                    csrf_token: str_of(&r, "csrf_token")?,
                    expires_at: time_of(&r, "expires_at")?,
                },
            })
        })
        .transpose()
    }

    pub(crate) async fn end_session_impl(&self, ctx: Ctx, session: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL",
        )
        .bind(now_micros())
        .bind(ctx.org.get())
        .bind(session)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        append_audit(
            &mut tx,
            &AuditEntry {
                org: Some(ctx.org),
                actor: ctx.actor,
                token: None,
                ip: ctx.ip,
                action: "auth.signed_out".into(),
                entity: ctx.actor.map(|_| "user".to_owned()),
                entity_id: ctx.actor.map(UserId::get),
                outcome: Outcome::Ok,
                detail: json!({"session": session}),
            },
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn token_user_impl(
        &self,
        secret_hash: &str,
        ip: Option<IpAddr>,
    ) -> Result<TokenCheck, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS}, t.id AS token_id, t.expires_at, t.revoked_at, t.last_used_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.secret_hash = $1"
        ))
        .bind(secret_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        let Some(r) = row else {
            return Ok(TokenCheck::Unknown);
        };
        let org = OrgId(i64_of(&r, "org_id")?);
        let user = user_from(&r)?;
        let token = ApiTokenId(i64_of(&r, "token_id")?);
        let now = now_micros();
        let why = if opt_i64(&r, "revoked_at")?.is_some() {
            Some("revoked")
        } else if i64_of(&r, "expires_at")? <= now {
            Some("expired")
        } else if !user.active {
            Some("user_inactive")
        } else {
            None
        };
        if let Some(why) = why {
            return Ok(TokenCheck::Refused {
                org,
                user: user.id,
                token,
                why,
            });
        }
        let last = opt_i64(&r, "last_used_at")?;
        if last.is_none_or(|l| now - l >= TOKEN_USE_EVERY) {
            let mut tx = self.begin_write().await?;
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(token.get())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            append_audit(
                &mut tx,
                &AuditEntry {
                    org: Some(org),
                    actor: Some(user.id),
                    token: Some(token),
                    ip,
                    action: "token.used".into(),
                    entity: Some("api_token".into()),
                    entity_id: Some(token.get()),
                    outcome: Outcome::Ok,
                    detail: json!({}),
                },
            )
            .await?;
            tx.commit().await.map_err(db_err)?;
        }
        Ok(TokenCheck::Valid(Authenticated {
            org,
            user,
            via: Via::Token { id: token },
        }))
    }

    pub(crate) async fn create_token_impl(
        &self,
        ctx: Ctx,
        new: NewApiToken,
    ) -> Result<ApiToken, StoreError> {
        let user = actor_is(ctx)?;
        let mut tx = self.begin_write().await?;
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM api_tokens WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3",
        )
        .bind(ctx.org.get())
        .bind(user.get())
        .bind(now_micros())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        if live >= TOKENS_PER_USER {
            return Err(StoreError::invalid(
                "name",
                Reason::TooMany {
                    max: TOKENS_PER_USER as usize,
                },
            ));
        }
        let row = sqlx::query(&format!(
            "INSERT INTO api_tokens (org_id, user_id, name, hint, secret_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {TOKEN_COLS}"
        ))
        .bind(ctx.org.get())
        .bind(user.get())
        .bind(&new.name)
        .bind(&new.hint)
        .bind(&new.secret_hash)
        .bind(now_micros())
        .bind(time_to_micros(new.expires_at))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let token = token_from(&row)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "token.created",
            "api_token",
            token.id.get(),
            &json!({"name": token.name, "hint": token.hint, "expires_at": token.expires_at}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(token)
    }

    pub(crate) async fn list_tokens_impl(&self, ctx: Ctx) -> Result<Vec<ApiToken>, StoreError> {
        let user = actor_is(ctx)?;
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE org_id = $1 AND user_id = $2 ORDER BY id DESC LIMIT 1000"
        ))
        .bind(ctx.org.get())
        .bind(user.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(token_from).collect()
    }

    pub(crate) async fn revoke_token_impl(
        &self,
        ctx: Ctx,
        id: ApiTokenId,
    ) -> Result<ApiToken, StoreError> {
        let user = actor_is(ctx)?;
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) \
             WHERE org_id = $2 AND user_id = $3 AND id = $4 RETURNING {TOKEN_COLS}"
        ))
        .bind(now_micros())
        .bind(ctx.org.get())
        .bind(user.get())
        .bind(id.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound {
            entity: "api_token",
        })?;
        let token = token_from(&row)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "token.revoked",
            "api_token",
            id.get(),
            &json!({"name": token.name, "hint": token.hint}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(token)
    }

    pub(crate) async fn audit_impl(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        append_audit(&mut conn, &entry).await
    }

    pub(crate) async fn list_audit_impl(
        &self,
        ctx: Ctx,
        q: AuditQuery,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut conds = vec!["a.org_id = $1".to_owned()];
        let mut ints: Vec<i64> = vec![ctx.org.get()];
        let mut text: Option<String> = None;
        if let Some(e) = &q.entity {
            conds.push("a.entity = $2".into());
            text = Some(e.clone());
        } else {
            conds.push("$2 IS NULL".into());
        }
        let mut int_cond = |c: &str, v: i64, conds: &mut Vec<String>| {
            ints.push(v);
            conds.push(format!("{c} ${}", ints.len() + 1));
        };
        if let Some(v) = q.entity_id {
            int_cond("a.entity_id =", v, &mut conds);
        }
        if let Some(v) = q.actor {
            int_cond("a.actor_id =", v.get(), &mut conds);
        }
        if let Some(v) = q.before {
            int_cond("a.id <", v.get(), &mut conds);
        }
        let sql = format!(
            "SELECT a.id, a.at, a.actor_id, u.name AS actor_name, a.token_id, a.ip, a.action, a.entity, \
             a.entity_id, a.outcome, a.detail FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id \
             WHERE {} ORDER BY a.id DESC LIMIT {}",
            conds.join(" AND "),
            q.limit.clamp(1, AUDIT_PAGE_MAX)
        );
        let mut query = sqlx::query(&sql).bind(ints[0]).bind(text);
        for v in &ints[1..] {
            query = query.bind(*v);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    id: AuditId(i64_of(r, "id")?),
                    at: time_of(r, "at")?,
                    actor: opt_i64(r, "actor_id")?.map(UserId),
                    actor_name: opt_str(r, "actor_name")?,
                    token: opt_i64(r, "token_id")?.map(ApiTokenId),
                    ip: opt_str(r, "ip")?,
                    action: str_of(r, "action")?,
                    entity: opt_str(r, "entity")?,
                    entity_id: opt_i64(r, "entity_id")?,
                    outcome: str_of(r, "outcome")?,
                    detail: json_of(r, "detail")?,
                })
            })
            .collect()
    }
}

/// Most saved views one user may keep.
pub const VIEWS_PER_USER: i64 = 50;

fn view_from(r: &crate::Row) -> Result<SavedView, StoreError> {
    Ok(SavedView {
        id: i64_of(r, "id")?,
        name: str_of(r, "name")?,
        query: str_of(r, "query")?,
        created_at: time_of(r, "created_at")?,
    })
}

impl SqlStore {
    pub(crate) async fn list_views_impl(&self, ctx: Ctx) -> Result<Vec<SavedView>, StoreError> {
        let user = actor_is(ctx)?;
        let rows = sqlx::query(
            "SELECT id, name, query, created_at FROM saved_views WHERE org_id = $1 AND user_id = $2 \
             ORDER BY name LIMIT 100",
        )
        .bind(ctx.org.get())
        .bind(user.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(view_from).collect()
    }

    pub(crate) async fn save_view_impl(
        &self,
        ctx: Ctx,
        name: String,
        query: String,
    ) -> Result<SavedView, StoreError> {
        let user = actor_is(ctx)?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM saved_views WHERE org_id = $1 AND user_id = $2 AND name = $3")
            .bind(ctx.org.get())
            .bind(user.get())
            .bind(&name)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM saved_views WHERE org_id = $1 AND user_id = $2",
        )
        .bind(ctx.org.get())
        .bind(user.get())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        if count >= VIEWS_PER_USER {
            return Err(StoreError::invalid(
                "name",
                Reason::TooMany {
                    max: VIEWS_PER_USER as usize,
                },
            ));
        }
        let row = sqlx::query(
            "INSERT INTO saved_views (org_id, user_id, name, query, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, name, query, created_at",
        )
        .bind(ctx.org.get())
        .bind(user.get())
        .bind(&name)
        .bind(&query)
        .bind(now_micros())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let view = view_from(&row)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "view.saved",
            "saved_view",
            view.id,
            &json!({"name": view.name, "query": view.query}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(view)
    }

    pub(crate) async fn delete_view_impl(&self, ctx: Ctx, id: i64) -> Result<(), StoreError> {
        let user = actor_is(ctx)?;
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query("DELETE FROM saved_views WHERE org_id = $1 AND user_id = $2 AND id = $3")
                .bind(ctx.org.get())
                .bind(user.get())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "saved_view",
            });
        }
        emit(
            &mut tx,
            self.backend,
            ctx,
            "view.deleted",
            "saved_view",
            id,
            &json!({}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }
}

/// Most live API tokens one user may hold.
pub const TOKENS_PER_USER: i64 = 20;

/// End a user's sessions, all but `keep`; returns how many were ended.
async fn end_sessions(
    conn: &mut AnyConnection,
    user: UserId,
    keep: Option<i64>,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3",
    )
    .bind(now_micros())
    .bind(user.get())
    .bind(keep.unwrap_or(-1))
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(done.rows_affected())
}
