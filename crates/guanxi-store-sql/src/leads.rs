//! Leads: capture (by hand, API, web form), the duplicate check against customers and other
//! leads, assignment rules, qualification, and conversion into a customer and an opportunity.
//!
//! Lead queries alias `leads` as `c` so that [`Filter::reach`] applies the same record-level
//! reach as for customers (owner, team); an agent's "handled" reach becomes their own leads.

use crate::codec::{
    bool_of, enum_of, i64_of, now_micros, opt_i64, opt_str, opt_time, str_of, time_of,
};
use crate::customers::{check_reach_refs, insert_customer, within_reach, Arg, Filter};
use crate::events::emit;
use crate::{conflict_on, db_err, SqlStore};
use guanxi_core::contact::{ContactKind, ContactValue};
use guanxi_core::customer::{CustomerClass, CustomerKind, CustomerStatus};
use guanxi_core::lead::{next_in_turn, rule_matches, LeadStatus};
use guanxi_core::{
    CustomerId, LeadId, LeadRuleId, OpportunityId, OrgId, PipelineId, Reach, Reason, TeamId,
    UserId, WebFormId,
};
use guanxi_store::{
    Conversion, ConvertLead, Ctx, Lead, LeadMatch, LeadPatch, LeadQuery, LeadRule, LeadSource,
    NewContactPoint, NewCustomer, NewLead, NewLeadRule, NewOpportunity, NewWebForm, StoreError,
    WebForm,
};
use serde_json::{json, Map, Value};
use sqlx::AnyConnection;

const LEAD_COLS: &str = "c.id, c.name, c.company, c.title, c.phone, c.email, c.wechat, c.region, \
    c.source, c.status, c.reason, c.owner_id, c.note, c.rule_id, c.form_id, c.customer_id, \
    c.opportunity_id, c.converted_at, c.version, c.created_at, c.updated_at";

fn lead_from(r: &crate::Row) -> Result<Lead, StoreError> {
    Ok(Lead {
        id: LeadId(i64_of(r, "id")?),
        name: str_of(r, "name")?,
        company: opt_str(r, "company")?,
        title: opt_str(r, "title")?,
        phone: opt_str(r, "phone")?,
        email: opt_str(r, "email")?,
        wechat: opt_str(r, "wechat")?,
        region: opt_str(r, "region")?,
        source: str_of(r, "source")?,
        status: enum_of(r, "status", LeadStatus::parse)?,
        reason: opt_str(r, "reason")?,
        owner_id: opt_i64(r, "owner_id")?.map(UserId),
        note: opt_str(r, "note")?,
        rule_id: opt_i64(r, "rule_id")?.map(LeadRuleId),
        form_id: opt_i64(r, "form_id")?.map(WebFormId),
        customer_id: opt_i64(r, "customer_id")?.map(CustomerId),
        opportunity_id: opt_i64(r, "opportunity_id")?.map(OpportunityId),
        converted_at: opt_time(r, "converted_at")?,
        version: i64_of(r, "version")?,
        created_at: time_of(r, "created_at")?,
        updated_at: time_of(r, "updated_at")?,
    })
}

/// The reach over leads: as over customers, except that an agent reaches the leads they own.
fn lead_reach(reach: Reach) -> Reach {
    match reach {
        Reach::Handled { user } => Reach::Own { user, team: None },
        other => other,
    }
}

pub(crate) async fn load_lead(
    conn: &mut AnyConnection,
    ctx: Ctx,
    id: LeadId,
) -> Result<Lead, StoreError> {
    let mut f = Filter::new(ctx.org);
    let p = f.arg(Arg::I(id.get()));
    f.cond(format!("c.id = {p}"));
    f.reach_owned(ctx.org, lead_reach(ctx.reach));
    let sql = format!("SELECT {LEAD_COLS} FROM leads c WHERE {}", f.where_sql());
    let row = f
        .bind_all(sqlx::query(&sql))
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound { entity: "lead" })?;
    lead_from(&row)
}

/// Is `code` an active source of the organisation?
async fn check_source(
    conn: &mut AnyConnection,
    org: OrgId,
    code: &str,
    field: &str,
) -> Result<(), StoreError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM lead_sources WHERE org_id = $1 AND code = $2 AND active = $3",
    )
    .bind(org.get())
    .bind(code)
    .bind(true)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::invalid(field, Reason::NotFound)),
    }
}

/// The lookup keys of a lead's contact points: (which, kind family, key).
fn keys_of(
    phone: Option<&ContactValue>,
    email: Option<&ContactValue>,
    wechat: Option<&ContactValue>,
) -> Vec<(&'static str, ContactKind, String)> {
    let mut out = Vec::new();
    if let Some(v) = phone {
        out.push(("phone", v.kind, v.key.clone()));
    }
    if let Some(v) = email {
        out.push(("email", ContactKind::Email, v.key.clone()));
    }
    if let Some(v) = wechat {
        out.push(("wechat", ContactKind::Wechat, v.key.clone()));
    }
    out
}

/// Customers (within reach, not deleted) and other leads (within reach, not converted) that
/// share a contact point with a lead.
async fn find_matches(
    conn: &mut AnyConnection,
    ctx: Ctx,
    keys: &[(&'static str, ContactKind, String)],
    except: Option<LeadId>,
) -> Result<Vec<LeadMatch>, StoreError> {
    let mut out: Vec<LeadMatch> = Vec::new();
    for (which, kind, key) in keys {
        // Driven from the contact point's index (a handful of rows), then the customer.
        let mut f = Filter::new(ctx.org);
        let pk = f.arg(Arg::S(key.clone()));
        f.cond(format!(
            "c.deleted_at IS NULL AND cp.org_id = c.org_id AND cp.key = {pk} AND cp.kind IN {}",
            crate::contacts::family(*kind)
        ));
        f.reach(ctx.org, ctx.reach);
        let sql = format!(
            "SELECT DISTINCT c.id, c.name FROM contact_points cp JOIN customers c ON c.id = cp.customer_id \
             WHERE {} ORDER BY c.id LIMIT 10",
            f.where_sql()
        );
        for r in f
            .bind_all(sqlx::query(&sql))
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?
        {
            let id = i64_of(&r, "id")?;
            if !out.iter().any(|m| m.kind == "customer" && m.id == id) {
                out.push(LeadMatch {
                    kind: "customer",
                    id,
                    name: str_of(&r, "name")?,
                    matched_on: which,
                    status: None,
                });
            }
        }
        let mut f = Filter::new(ctx.org);
        let pk = f.arg(Arg::S(key.clone()));
        let px = f.arg(Arg::I(except.map(LeadId::get).unwrap_or(0)));
        f.cond(format!(
            "c.{which}_key = {pk} AND c.id <> {px} AND c.status <> 'converted'"
        ));
        f.reach_owned(ctx.org, lead_reach(ctx.reach));
        let sql = format!(
            "SELECT c.id, c.name, c.status FROM leads c WHERE {} ORDER BY c.id LIMIT 10",
            f.where_sql()
        );
        for r in f
            .bind_all(sqlx::query(&sql))
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?
        {
            let id = i64_of(&r, "id")?;
            if !out.iter().any(|m| m.kind == "lead" && m.id == id) {
                out.push(LeadMatch {
                    kind: "lead",
                    id,
                    name: str_of(&r, "name")?,
                    matched_on: which,
                    status: Some(enum_of(&r, "status", LeadStatus::parse)?),
                });
            }
        }
    }
    Ok(out)
}

fn rule_from(r: &crate::Row) -> Result<LeadRule, StoreError> {
    Ok(LeadRule {
        id: LeadRuleId(i64_of(r, "id")?),
        position: i64_of(r, "position")?,
        source: opt_str(r, "source")?,
        region: opt_str(r, "region")?,
        team_id: opt_i64(r, "team_id")?.map(TeamId),
        user_id: opt_i64(r, "user_id")?.map(UserId),
        last_user_id: opt_i64(r, "last_user_id")?.map(UserId),
        created_at: time_of(r, "created_at")?,
    })
}

const RULE_COLS: &str = "id, position, source, region, team_id, user_id, last_user_id, created_at";

/// Run the assignment rules for a new lead: the first rule that matches and has someone to
/// give it to decides. Round robin moves the rule's turn on.
async fn assign(
    conn: &mut AnyConnection,
    org: OrgId,
    source: &str,
    region: Option<&str>,
) -> Result<Option<(UserId, LeadRuleId)>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {RULE_COLS} FROM lead_rules WHERE org_id = $1 ORDER BY position, id LIMIT 200"
    ))
    .bind(org.get())
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    for r in &rows {
        let rule = rule_from(r)?;
        if !rule_matches(
            rule.source.as_deref(),
            rule.region.as_deref(),
            source,
            region,
        ) {
            continue;
        }
        if let Some(user) = rule.user_id {
            let active: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM users WHERE org_id = $1 AND id = $2 AND active = $3",
            )
            .bind(org.get())
            .bind(user.get())
            .bind(true)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
            if active.is_some() {
                return Ok(Some((user, rule.id)));
            }
            continue;
        }
        let Some(team) = rule.team_id else { continue };
        let members: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM users WHERE org_id = $1 AND team_id = $2 AND active = $3 \
             AND role IN ('sales_rep', 'manager') ORDER BY id LIMIT 1000",
        )
        .bind(org.get())
        .bind(team.get())
        .bind(true)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        let members: Vec<UserId> = members.into_iter().map(UserId).collect();
        if let Some(next) = next_in_turn(&members, rule.last_user_id) {
            sqlx::query("UPDATE lead_rules SET last_user_id = $1 WHERE org_id = $2 AND id = $3")
                .bind(next.get())
                .bind(org.get())
                .bind(rule.id.get())
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            return Ok(Some((next, rule.id)));
        }
    }
    Ok(None)
}

fn reparse(kind: ContactKind, display: Option<&str>) -> Option<ContactValue> {
    let d = display?;
    match kind {
        ContactKind::Mobile | ContactKind::Landline => ContactValue::parse(ContactKind::Mobile, d)
            .or_else(|_| ContactValue::parse(ContactKind::Landline, d))
            .ok(),
        k => ContactValue::parse(k, d).ok(),
    }
}

fn changes(old: &Lead, new: &Lead) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, a: Value, b: Value| {
        if a != b {
            m.insert(k.into(), json!([a, b]));
        }
    };
    put("name", json!(old.name), json!(new.name));
    put("company", json!(old.company), json!(new.company));
    put("title", json!(old.title), json!(new.title));
    put("region", json!(old.region), json!(new.region));
    put("note", json!(old.note), json!(new.note));
    put("source", json!(old.source), json!(new.source));
    put("owner_id", json!(old.owner_id), json!(new.owner_id));
    put("status", json!(old.status), json!(new.status));
    put("reason", json!(old.reason), json!(new.reason));
    m
}

/// Create a lead inside the caller's transaction: its source checked, its owner given or
/// assigned by the rules, `lead.created` (and `lead.assigned`) emitted.
pub(crate) async fn create_lead_in(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    ctx: Ctx,
    new: NewLead,
) -> Result<Lead, StoreError> {
    check_source(&mut *tx, ctx.org, &new.source, "source").await?;
    let mut owner = new.owner_id.or(ctx.reach.default_owner());
    let mut rule = None;
    if owner.is_some() {
        check_reach_refs(&mut *tx, ctx, owner, None).await?;
    } else if let Some((user, r)) =
        assign(&mut *tx, ctx.org, &new.source, new.region.as_deref()).await?
    {
        owner = Some(user);
        rule = Some(r);
    }
    let now = now_micros();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO leads (org_id, name, company, title, phone, phone_key, email, email_key, \
         wechat, wechat_key, region, source, status, owner_id, note, rule_id, form_id, version, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
         'new', $13, $14, $15, $16, 1, $17, $17) RETURNING id",
    )
    .bind(ctx.org.get())
    .bind(&new.name)
    .bind(new.company.as_deref())
    .bind(new.title.as_deref())
    .bind(new.phone.as_ref().map(|v| v.display.clone()))
    .bind(new.phone.as_ref().map(|v| v.key.clone()))
    .bind(new.email.as_ref().map(|v| v.display.clone()))
    .bind(new.email.as_ref().map(|v| v.key.clone()))
    .bind(new.wechat.as_ref().map(|v| v.display.clone()))
    .bind(new.wechat.as_ref().map(|v| v.key.clone()))
    .bind(new.region.as_deref())
    .bind(&new.source)
    .bind(owner.map(UserId::get))
    .bind(new.note.as_deref())
    .bind(rule.map(LeadRuleId::get))
    .bind(new.form_id.map(WebFormId::get))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
    let lead = load_lead(
        &mut *tx,
        Ctx {
            reach: Reach::Org,
            ..ctx
        },
        LeadId(id),
    )
    .await?;
    emit(
        &mut *tx,
        backend,
        ctx,
        "lead.created",
        "lead",
        id,
        &json!({"name": lead.name, "source": lead.source, "owner_id": lead.owner_id,
                "form_id": lead.form_id}),
    )
    .await?;
    if let (Some(owner), Some(rule)) = (owner, rule) {
        emit(
            &mut *tx,
            backend,
            ctx,
            "lead.assigned",
            "lead",
            id,
            &json!({"owner_id": owner, "rule_id": rule,
                    "changes": {"owner_id": [Value::Null, owner]}}),
        )
        .await?;
    }
    Ok(lead)
}

impl SqlStore {
    pub(crate) async fn create_lead_impl(
        &self,
        ctx: Ctx,
        new: NewLead,
    ) -> Result<(Lead, Vec<LeadMatch>), StoreError> {
        let mut tx = self.begin_write().await?;
        let keys_new = (new.phone.clone(), new.email.clone(), new.wechat.clone());
        let lead = create_lead_in(&mut tx, self.backend, ctx, new).await?;
        let keys = keys_of(
            keys_new.0.as_ref(),
            keys_new.1.as_ref(),
            keys_new.2.as_ref(),
        );
        let matches = find_matches(&mut tx, ctx, &keys, Some(lead.id)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok((lead, matches))
    }

    pub(crate) async fn get_lead_impl(&self, ctx: Ctx, id: LeadId) -> Result<Lead, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        load_lead(&mut conn, ctx, id).await
    }

    pub(crate) async fn list_leads_impl(
        &self,
        ctx: Ctx,
        q: LeadQuery,
    ) -> Result<Vec<Lead>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let mut f = Filter::new(ctx.org);
        if let Some(s) = q.status {
            let p = f.arg(Arg::S(s.as_str().into()));
            f.cond(format!("c.status = {p}"));
        }
        if let Some(s) = &q.source {
            let p = f.arg(Arg::S(s.clone()));
            f.cond(format!("c.source = {p}"));
        }
        if let Some(o) = q.owner {
            let p = f.arg(Arg::I(o.get()));
            f.cond(format!("c.owner_id = {p}"));
        }
        if let Some(cu) = q.customer {
            let p = f.arg(Arg::I(cu.get()));
            f.cond(format!("c.customer_id = {p}"));
        }
        if let Some(b) = q.before {
            let p = f.arg(Arg::I(b.get()));
            f.cond(format!("c.id < {p}"));
        }
        f.reach_owned(ctx.org, lead_reach(ctx.reach));
        let sql = format!(
            "SELECT {LEAD_COLS} FROM leads c WHERE {} ORDER BY c.id DESC LIMIT {}",
            f.where_sql(),
            q.limit.clamp(1, 200)
        );
        f.bind_all(sqlx::query(&sql))
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?
            .iter()
            .map(lead_from)
            .collect()
    }

    pub(crate) async fn update_lead_impl(
        &self,
        ctx: Ctx,
        id: LeadId,
        expected: Option<i64>,
        patch: LeadPatch,
    ) -> Result<Lead, StoreError> {
        let mut tx = self.begin_write().await?;
        let old = load_lead(&mut tx, ctx, id).await?;
        if let Some(expected) = expected.filter(|e| *e != old.version) {
            return Err(StoreError::VersionMismatch {
                expected,
                current: old.version,
            });
        }
        if old.status == LeadStatus::Converted {
            return Err(StoreError::invalid(
                "status",
                Reason::AlreadyConverted {
                    customer_id: old.customer_id.map(CustomerId::get).unwrap_or(0),
                },
            ));
        }
        let mut l = old.clone();
        if let Some(v) = patch.name {
            l.name = v;
        }
        if let Some(v) = patch.company {
            l.company = v;
        }
        if let Some(v) = patch.title {
            l.title = v;
        }
        if let Some(v) = patch.region {
            l.region = v;
        }
        if let Some(v) = patch.note {
            l.note = v;
        }
        if let Some(v) = patch.source {
            if v != old.source {
                check_source(&mut tx, ctx.org, &v, "source").await?;
            }
            l.source = v;
        }
        if let Some(v) = patch.owner_id {
            if v != old.owner_id {
                check_reach_refs(&mut tx, ctx, v, None).await?;
            }
            l.owner_id = v;
        }
        if let Some(to) = patch.status {
            if to != old.status && !old.status.may_become(to) {
                return Err(StoreError::invalid(
                    "status",
                    Reason::BadTransition {
                        from: old.status.as_str().into(),
                        to: to.as_str().into(),
                    },
                ));
            }
            l.status = to;
        }
        if l.status == LeadStatus::Disqualified {
            if let Some(r) = patch.reason {
                l.reason = Some(r);
            }
            if l.reason.as_deref().is_none_or(str::is_empty) {
                return Err(StoreError::invalid("reason", Reason::Required));
            }
        } else {
            l.reason = None;
        }
        let diff = changes(&old, &l);
        if diff.is_empty() {
            tx.commit().await.map_err(db_err)?;
            return Ok(old);
        }
        let now = now_micros();
        sqlx::query(
            "UPDATE leads SET name = $1, company = $2, title = $3, region = $4, note = $5, \
             source = $6, owner_id = $7, status = $8, reason = $9, version = version + 1, \
             updated_at = $10 WHERE org_id = $11 AND id = $12",
        )
        .bind(&l.name)
        .bind(l.company.as_deref())
        .bind(l.title.as_deref())
        .bind(l.region.as_deref())
        .bind(l.note.as_deref())
        .bind(&l.source)
        .bind(l.owner_id.map(UserId::get))
        .bind(l.status.as_str())
        .bind(l.reason.as_deref())
        .bind(now)
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let owner_changed = diff.contains_key("owner_id");
        emit(
            &mut tx,
            self.backend,
            ctx,
            if owner_changed {
                "lead.assigned"
            } else {
                "lead.updated"
            },
            "lead",
            id.get(),
            &json!({"changes": diff}),
        )
        .await?;
        let lead = load_lead(
            &mut tx,
            Ctx {
                reach: Reach::Org,
                ..ctx
            },
            id,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(lead)
    }

    pub(crate) async fn lead_matches_impl(
        &self,
        ctx: Ctx,
        id: LeadId,
    ) -> Result<Vec<LeadMatch>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let lead = load_lead(&mut conn, ctx, id).await?;
        let phone = reparse(ContactKind::Mobile, lead.phone.as_deref());
        let email = reparse(ContactKind::Email, lead.email.as_deref());
        let wechat = reparse(ContactKind::Wechat, lead.wechat.as_deref());
        let keys = keys_of(phone.as_ref(), email.as_ref(), wechat.as_ref());
        find_matches(&mut conn, ctx, &keys, Some(id)).await
    }

    pub(crate) async fn convert_lead_impl(
        &self,
        ctx: Ctx,
        id: LeadId,
        expected: Option<i64>,
        how: ConvertLead,
    ) -> Result<Conversion, StoreError> {
        let mut tx = self.begin_write().await?;
        let lead = load_lead(&mut tx, ctx, id).await?;
        if let Some(expected) = expected.filter(|e| *e != lead.version) {
            return Err(StoreError::VersionMismatch {
                expected,
                current: lead.version,
            });
        }
        if lead.status == LeadStatus::Converted {
            return Err(StoreError::Conflict {
                field: "status".into(),
                reason: Reason::AlreadyConverted {
                    customer_id: lead.customer_id.map(CustomerId::get).unwrap_or(0),
                },
            });
        }
        if !lead.status.may_convert() {
            return Err(StoreError::invalid(
                "status",
                Reason::BadTransition {
                    from: lead.status.as_str().into(),
                    to: LeadStatus::Converted.as_str().into(),
                },
            ));
        }
        let values: Vec<(&str, ContactValue)> = [
            ("phone", reparse(ContactKind::Mobile, lead.phone.as_deref())),
            ("email", reparse(ContactKind::Email, lead.email.as_deref())),
            (
                "wechat",
                reparse(ContactKind::Wechat, lead.wechat.as_deref()),
            ),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
        let now = now_micros();
        let (customer_id, matched) = match how.customer_id {
            Some(cid) => {
                match within_reach(&mut tx, ctx, cid, false).await {
                    Ok(()) => {}
                    Err(StoreError::NotFound { .. }) => {
                        return Err(StoreError::invalid("customer_id", Reason::NotFound))
                    }
                    Err(e) => return Err(e),
                }
                // The lead's contact points the customer lacks and nobody else holds.
                for (_, v) in &values {
                    if crate::contacts::holder(&mut tx, ctx.org, v, None)
                        .await?
                        .is_none()
                    {
                        crate::contacts::insert(
                            &mut tx,
                            ctx.org,
                            cid.get(),
                            &NewContactPoint {
                                value: v.clone(),
                                label: None,
                                primary: false,
                            },
                            now,
                        )
                        .await?;
                    }
                }
                (cid, true)
            }
            None => {
                for (field, v) in &values {
                    if let Some(other) = crate::contacts::holder(&mut tx, ctx.org, v, None).await? {
                        return Err(StoreError::Conflict {
                            field: (*field).into(),
                            reason: Reason::Duplicate { customer_id: other },
                        });
                    }
                }
                let company_id = match lead.company.as_deref() {
                    Some(name) => {
                        Some(company_for(&mut tx, self.backend, ctx, name, lead.owner_id).await?)
                    }
                    None => None,
                };
                let customer = insert_customer(
                    &mut tx,
                    self.backend,
                    ctx,
                    NewCustomer {
                        kind: CustomerKind::Person,
                        name: lead.name.clone(),
                        company_id,
                        title: lead.title.clone(),
                        owner_id: lead.owner_id,
                        team_id: None,
                        status: CustomerStatus::Potential,
                        class: CustomerClass::Ordinary,
                        vip: false,
                        tags: Vec::new(),
                        city: lead.region.clone(),
                        birthday: None,
                        note: lead.note.clone(),
                        custom: Map::new(),
                        contact_points: values
                            .iter()
                            .enumerate()
                            .map(|(i, (_, v))| NewContactPoint {
                                value: v.clone(),
                                label: None,
                                primary: i == 0 || v.kind != values[0].1.kind,
                            })
                            .collect(),
                        allow_duplicate: false,
                    },
                )
                .await?;
                (customer.id, false)
            }
        };
        let opportunity = match how.deal {
            None => None,
            Some(deal) => {
                let pipeline = match deal.pipeline_id {
                    Some(p) => p,
                    None => PipelineId(
                        sqlx::query_scalar::<_, i64>(
                            "SELECT id FROM pipelines WHERE org_id = $1 ORDER BY id LIMIT 1",
                        )
                        .bind(ctx.org.get())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .ok_or_else(|| StoreError::invalid("pipeline_id", Reason::NotFound))?,
                    ),
                };
                Some(
                    crate::pipeline::insert_opportunity(
                        &mut tx,
                        self.backend,
                        // The customer may have just been made for the lead's owner.
                        Ctx {
                            reach: Reach::Org,
                            ..ctx
                        },
                        NewOpportunity {
                            customer_id,
                            pipeline_id: pipeline,
                            stage_id: None,
                            name: deal.name,
                            amount: deal.amount,
                            currency: deal.currency,
                            expected_close: deal.expected_close,
                            owner_id: lead.owner_id.or(ctx.reach.default_owner()),
                        },
                    )
                    .await?,
                )
            }
        };
        sqlx::query(
            "UPDATE activities SET customer_id = $1, updated_at = $2 \
             WHERE org_id = $3 AND lead_id = $4 AND customer_id IS NULL",
        )
        .bind(customer_id.get())
        .bind(now)
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "UPDATE leads SET status = 'converted', reason = NULL, customer_id = $1, \
             opportunity_id = $2, converted_at = $3, version = version + 1, updated_at = $3 \
             WHERE org_id = $4 AND id = $5",
        )
        .bind(customer_id.get())
        .bind(opportunity.as_ref().map(|o| o.id.get()))
        .bind(now)
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "lead.converted",
            "lead",
            id.get(),
            &json!({"customer_id": customer_id, "matched": matched,
                    "opportunity_id": opportunity.as_ref().map(|o| o.id),
                    "changes": {"status": [lead.status, "converted"]}}),
        )
        .await?;
        let org_ctx = Ctx {
            reach: Reach::Org,
            ..ctx
        };
        let lead = load_lead(&mut tx, org_ctx, id).await?;
        let customer =
            crate::customers::load(&mut tx, ctx.org, Reach::Org, customer_id, false).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Conversion {
            lead,
            customer,
            matched,
            opportunity,
        })
    }

    pub(crate) async fn list_lead_sources_impl(
        &self,
        ctx: Ctx,
    ) -> Result<Vec<LeadSource>, StoreError> {
        let rows = sqlx::query(
            "SELECT code, name, active FROM lead_sources WHERE org_id = $1 \
             ORDER BY position, code LIMIT 500",
        )
        .bind(ctx.org.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(LeadSource {
                    code: str_of(r, "code")?,
                    name: str_of(r, "name")?,
                    active: bool_of(r, "active")?,
                })
            })
            .collect()
    }

    pub(crate) async fn save_lead_source_impl(
        &self,
        ctx: Ctx,
        s: LeadSource,
    ) -> Result<LeadSource, StoreError> {
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE lead_sources SET name = $1, active = $2 WHERE org_id = $3 AND code = $4",
        )
        .bind(&s.name)
        .bind(s.active)
        .bind(ctx.org.get())
        .bind(&s.code)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if updated == 0 {
            let count: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM lead_sources WHERE org_id = $1")
                    .bind(ctx.org.get())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err)?;
            if count >= 200 {
                return Err(StoreError::invalid("code", Reason::TooMany { max: 200 }));
            }
            sqlx::query(
                "INSERT INTO lead_sources (org_id, code, name, active, position) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(ctx.org.get())
            .bind(&s.code)
            .bind(&s.name)
            .bind(s.active)
            .bind(count)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        emit(
            &mut tx,
            self.backend,
            ctx,
            "lead_source.saved",
            "lead_source",
            0,
            &json!({"code": s.code, "name": s.name, "active": s.active}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(s)
    }

    pub(crate) async fn create_web_form_impl(
        &self,
        ctx: Ctx,
        new: NewWebForm,
    ) -> Result<WebForm, StoreError> {
        let mut tx = self.begin_write().await?;
        check_source(&mut tx, ctx.org, &new.source, "source").await?;
        let now = now_micros();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO web_forms (org_id, form_key, name, source, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(ctx.org.get())
        .bind(&new.key)
        .bind(&new.name)
        .bind(&new.source)
        .bind(true)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_on("key", Reason::Conflict))?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "web_form.created",
            "web_form",
            id,
            &json!({"name": new.name, "source": new.source}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(WebForm {
            id: WebFormId(id),
            key: new.key,
            name: new.name,
            source: new.source,
            active: true,
            created_at: crate::codec::micros_to_time(now),
        })
    }

    pub(crate) async fn list_web_forms_impl(&self, ctx: Ctx) -> Result<Vec<WebForm>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, form_key, name, source, active, created_at FROM web_forms \
             WHERE org_id = $1 ORDER BY id LIMIT 200",
        )
        .bind(ctx.org.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(form_from).collect()
    }

    pub(crate) async fn web_form_by_key_impl(
        &self,
        key: &str,
    ) -> Result<Option<(OrgId, WebForm)>, StoreError> {
        let row = sqlx::query(
            "SELECT org_id, id, form_key, name, source, active, created_at FROM web_forms \
             WHERE form_key = $1 AND active = $2",
        )
        .bind(key)
        .bind(true)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((OrgId(i64_of(&r, "org_id")?), form_from(&r)?))),
        }
    }

    pub(crate) async fn create_lead_rule_impl(
        &self,
        ctx: Ctx,
        new: NewLeadRule,
    ) -> Result<LeadRule, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut errors = guanxi_core::error::Errors::new();
        if let Some(s) = &new.source {
            if let Err(StoreError::Invalid(e)) = check_source(&mut tx, ctx.org, s, "source").await {
                for f in e.fields() {
                    errors.push(f.field.clone(), f.reason.clone());
                }
            }
        }
        match (new.team_id, new.user_id) {
            (Some(_), Some(_)) => errors.push("user_id", Reason::Conflict),
            (None, None) => errors.push("team_id", Reason::Required),
            (Some(t), None) => {
                let found: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM teams WHERE org_id = $1 AND id = $2")
                        .bind(ctx.org.get())
                        .bind(t.get())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                if found.is_none() {
                    errors.push("team_id", Reason::NotFound);
                }
            }
            (None, Some(u)) => {
                let found: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM users WHERE org_id = $1 AND id = $2")
                        .bind(ctx.org.get())
                        .bind(u.get())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                if found.is_none() {
                    errors.push("user_id", Reason::NotFound);
                }
            }
        }
        errors.finish().map_err(StoreError::Invalid)?;
        let now = now_micros();
        let position: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(position), -1) + 1 AS BIGINT) FROM lead_rules WHERE org_id = $1",
        )
        .bind(ctx.org.get())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let row = sqlx::query(&format!(
            "INSERT INTO lead_rules (org_id, position, source, region, team_id, user_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {RULE_COLS}"
        ))
        .bind(ctx.org.get())
        .bind(position)
        .bind(new.source.as_deref())
        .bind(new.region.as_deref())
        .bind(new.team_id.map(TeamId::get))
        .bind(new.user_id.map(UserId::get))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let rule = rule_from(&row)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "lead_rule.created",
            "lead_rule",
            rule.id.get(),
            &json!({"source": rule.source, "region": rule.region, "team_id": rule.team_id,
                    "user_id": rule.user_id, "position": rule.position}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(rule)
    }

    pub(crate) async fn list_lead_rules_impl(&self, ctx: Ctx) -> Result<Vec<LeadRule>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RULE_COLS} FROM lead_rules WHERE org_id = $1 ORDER BY position, id LIMIT 200"
        ))
        .bind(ctx.org.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(rule_from).collect()
    }

    pub(crate) async fn delete_lead_rule_impl(
        &self,
        ctx: Ctx,
        id: LeadRuleId,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM lead_rules WHERE org_id = $1 AND id = $2")
            .bind(ctx.org.get())
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound {
                entity: "lead_rule",
            });
        }
        emit(
            &mut tx,
            self.backend,
            ctx,
            "lead_rule.deleted",
            "lead_rule",
            id.get(),
            &json!({}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }
}

fn form_from(r: &crate::Row) -> Result<WebForm, StoreError> {
    Ok(WebForm {
        id: WebFormId(i64_of(r, "id")?),
        key: str_of(r, "form_key")?,
        name: str_of(r, "name")?,
        source: str_of(r, "source")?,
        active: bool_of(r, "active")?,
        created_at: time_of(r, "created_at")?,
    })
}

/// The company customer a converted lead belongs to: a live company of that exact name, or a new
/// one owned by the lead's owner.
pub(crate) async fn company_for(
    conn: &mut AnyConnection,
    backend: crate::Backend,
    ctx: Ctx,
    name: &str,
    owner: Option<UserId>,
) -> Result<CustomerId, StoreError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM customers WHERE org_id = $1 AND kind = 'company' AND name = $2 \
         AND deleted_at IS NULL ORDER BY id LIMIT 1",
    )
    .bind(ctx.org.get())
    .bind(name)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    if let Some(id) = found {
        return Ok(CustomerId(id));
    }
    let c = insert_customer(
        conn,
        backend,
        ctx,
        NewCustomer {
            kind: CustomerKind::Company,
            name: name.to_owned(),
            company_id: None,
            title: None,
            owner_id: owner,
            team_id: None,
            status: CustomerStatus::Potential,
            class: CustomerClass::Ordinary,
            vip: false,
            tags: Vec::new(),
            city: None,
            birthday: None,
            note: None,
            custom: Map::new(),
            contact_points: Vec::new(),
            allow_duplicate: false,
        },
    )
    .await?;
    Ok(c.id)
}
