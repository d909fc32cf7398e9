//! Customers that only look alike: a scan of the organisation groups customers by name and,
//! within a group, finds pairs at the same company, with phone numbers one digit apart (a
//! typo, or two neighbouring digits swapped) or with the same mailbox at another domain. Every
//! comparison goes through hash buckets, so the work grows with the number of customers, not
//! with the square of a common name's group. Pairs wait in a queue for a person to merge or
//! dismiss them. Also here: erasing a customer's personal data on request.

use crate::bulk::insert_rows;
use crate::codec::{i64_of, micros_to_time, now_micros, opt_i64, opt_str, str_of};
use crate::customers::{Arg, Filter};
use crate::events::emit;
use crate::{db_err, Row, SqlStore};
use guanxi_core::{CustomerId, DuplicateId, Reach, Reason};
use guanxi_store::{
    Ctx, DuplicateCandidate, DuplicateReason, DuplicateSide, DuplicateStatus, ScanScope, ScanStats,
    StoreError,
};
use serde_json::json;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// Rows read per page while scanning.
const PAGE: i64 = 50_000;
/// Customers of one bucket (one company, one mailbox, one masked number) compared; larger
/// buckets are a shared switchboard or a generic mailbox, not a typo.
const BUCKET_MAX: usize = 50;
/// Pairs one name group may add (a very common name with messy data stays reviewable).
const GROUP_PAIRS_MAX: usize = 200;

fn hash_of(v: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// A name as people would compare it: case, spaces and the middle dot do not count.
pub(crate) fn name_key(name: &str) -> u64 {
    let norm: String = name
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '·' | '•' | '.' | '．'))
        .flat_map(char::to_lowercase)
        .collect();
    hash_of(norm)
}

/// A mailbox name that is more than a name: at least six characters with a digit
/// (`wangfang1988`), not the bare pinyin that everyone called 王芳 may use (`wangfang`).
pub(crate) fn distinctive_mailbox(local: &str) -> bool {
    local.chars().count() >= 6 && local.chars().any(|c| c.is_ascii_digit())
}

/// Digits of a phone key, least significant first, at most 16.
fn digits(key: &str) -> Vec<u8> {
    key.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect()
}

/// Customers and their numbers that share a masked number.
type Bucket<'a> = Vec<(i64, &'a [u8])>;

/// Pairs of customers whose numbers are one digit apart or have two neighbouring digits
/// swapped. `phones` holds (customer, digits).
pub(crate) fn similar_phones(phones: &[(i64, Vec<u8>)]) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    // Exact numbers, to find swaps and to leave out numbers two customers share exactly
    // (those are matches, handled elsewhere).
    let mut exact: HashMap<&[u8], Vec<i64>> = HashMap::new();
    for (c, d) in phones {
        exact.entry(d.as_slice()).or_default().push(*c);
    }
    // One digit masked: numbers in one bucket differ at most at that position.
    let mut masked: HashMap<(usize, u64), Bucket> = HashMap::new();
    for (c, d) in phones {
        for pos in 0..d.len() {
            let mut h = DefaultHasher::new();
            d.len().hash(&mut h);
            d[..pos].hash(&mut h);
            d[pos + 1..].hash(&mut h);
            masked
                .entry((pos, h.finish()))
                .or_default()
                .push((*c, d.as_slice()));
        }
        for pos in 0..d.len().saturating_sub(1) {
            if d[pos] == d[pos + 1] {
                continue;
            }
            let mut s = d.clone();
            s.swap(pos, pos + 1);
            if let Some(others) = exact.get(s.as_slice()) {
                for o in others.iter().take(BUCKET_MAX) {
                    if o != c {
                        out.push(((*c).min(*o), (*c).max(*o)));
                    }
                }
            }
        }
    }
    for bucket in masked.values() {
        if bucket.len() < 2 || bucket.len() > BUCKET_MAX {
            continue;
        }
        for (n, (a, da)) in bucket.iter().enumerate() {
            for (b, db) in &bucket[n + 1..] {
                if a != b && da.len() == db.len() && da != db {
                    out.push(((*a).min(*b), (*a).max(*b)));
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Pairs within buckets of at most [`BUCKET_MAX`].
fn bucket_pairs(buckets: HashMap<u64, Vec<i64>>, out: &mut Vec<(i64, i64)>) {
    for mut ids in buckets.into_values() {
        ids.sort_unstable();
        ids.dedup();
        if ids.len() < 2 || ids.len() > BUCKET_MAX {
            continue;
        }
        for (n, a) in ids.iter().enumerate() {
            for b in &ids[n + 1..] {
                out.push((*a, *b));
            }
        }
    }
}

struct Person {
    group: u64,
    id: i64,
    company: i64,
}

impl SqlStore {
    pub(crate) async fn scan_duplicates_impl(
        &self,
        ctx: Ctx,
        scope: ScanScope,
        found_by: String,
    ) -> Result<ScanStats, StoreError> {
        let org = ctx.org.get();
        let from = match scope {
            ScanScope::All => 0,
            ScanScope::From(id) => id.get(),
        };
        // Paging by id needs the planner to know the tables' size: right after a large import
        // PostgreSQL's statistics still describe empty tables, and every page became a scan
        // and a sort of all contact points (seconds per page at a million customers).
        if self.backend == crate::Backend::Postgres {
            sqlx::raw_sql("ANALYZE customers, contact_points")
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
        }
        // Customers, a page at a time (bounded memory per read).
        let mut people: Vec<Person> = Vec::new();
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT id, name, company_id FROM customers WHERE org_id = $1 AND deleted_at IS NULL \
                 AND erased_at IS NULL AND kind = 'person' AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(org)
            .bind(after)
            .bind(PAGE)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
            let Some(last) = rows.last() else { break };
            after = i64_of(last, "id")?;
            for r in &rows {
                people.push(Person {
                    group: name_key(&str_of(r, "name")?),
                    id: i64_of(r, "id")?,
                    company: opt_i64(r, "company_id")?.unwrap_or(0),
                });
            }
            if rows.len() < PAGE as usize {
                break;
            }
        }
        let mut stats = ScanStats {
            customers: people.len() as u64,
            ..ScanStats::default()
        };
        // Only groups of one name with two or more people matter; keep their members.
        people.sort_unstable_by_key(|p| (p.group, p.id));
        let mut in_group: HashMap<i64, usize> = HashMap::new();
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut start = 0;
        while start < people.len() {
            let mut end = start + 1;
            while end < people.len() && people[end].group == people[start].group {
                end += 1;
            }
            let touched = from == 0 || people[start..end].iter().any(|p| p.id >= from);
            if end - start >= 2 && touched {
                for p in &people[start..end] {
                    in_group.insert(p.id, groups.len());
                }
                groups.push((start, end));
            }
            start = end;
        }
        stats.groups = groups.len() as u64;
        // Phones and e-mails of those people only.
        let mut phones: Vec<Vec<(i64, Vec<u8>)>> = vec![Vec::new(); groups.len()];
        let mut mails: Vec<Vec<(i64, u64, u64)>> = vec![Vec::new(); groups.len()];
        let mut after = 0i64;
        loop {
            // SQLite reads in id order only with `+org_id` (through the key index it sorted
            // all contact points again for every page: 33 s instead of 14 at a million
            // customers); PostgreSQL plans the plain form better (9 s against 14).
            let sql = match self.backend {
                crate::Backend::Sqlite => {
                    "SELECT id, customer_id, kind, key FROM contact_points WHERE +org_id = $1 \
                     AND kind IN ('mobile', 'landline', 'email') AND id > $2 ORDER BY id LIMIT $3"
                }
                crate::Backend::Postgres => {
                    "SELECT id, customer_id, kind, key FROM contact_points WHERE org_id = $1 \
                     AND kind IN ('mobile', 'landline', 'email') AND id > $2 ORDER BY id LIMIT $3"
                }
            };
            let rows = sqlx::query(sql)
                .bind(org)
                .bind(after)
                .bind(PAGE)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
            let Some(last) = rows.last() else { break };
            after = i64_of(last, "id")?;
            for r in &rows {
                let cid = i64_of(r, "customer_id")?;
                let Some(&g) = in_group.get(&cid) else {
                    continue;
                };
                let key = str_of(r, "key")?;
                if str_of(r, "kind")? == "email" {
                    let local = key.split('@').next().unwrap_or("");
                    // People with one name share its pinyin as a mailbox (yehaibo@…), so only
                    // a mailbox with something of its own (digits) says "the same person".
                    if distinctive_mailbox(local) {
                        mails[g].push((cid, hash_of(local), hash_of(&key)));
                    }
                } else {
                    phones[g].push((cid, digits(&key)));
                }
            }
            if rows.len() < PAGE as usize {
                break;
            }
        }
        // Compare within each group.
        let mut found: HashMap<(i64, i64), DuplicateReason> = HashMap::new();
        for (g, (start, end)) in groups.iter().enumerate() {
            let members = &people[*start..*end];
            let n = members.len() as u64;
            stats.pairs_compared += n * (n - 1) / 2;
            let mut pairs: Vec<((i64, i64), DuplicateReason)> = Vec::new();
            let mut by_company: HashMap<u64, Vec<i64>> = HashMap::new();
            for p in members.iter().filter(|p| p.company != 0) {
                by_company
                    .entry(u64::try_from(p.company).unwrap_or(0))
                    .or_default()
                    .push(p.id);
            }
            let mut same = Vec::new();
            bucket_pairs(by_company, &mut same);
            pairs.extend(
                same.into_iter()
                    .map(|p| (p, DuplicateReason::SameNameCompany)),
            );
            pairs.extend(
                similar_phones(&phones[g])
                    .into_iter()
                    .map(|p| (p, DuplicateReason::SimilarPhone)),
            );
            let mut by_local: HashMap<u64, Vec<(i64, u64)>> = HashMap::new();
            for (c, local, full) in &mails[g] {
                by_local.entry(*local).or_default().push((*c, *full));
            }
            for bucket in by_local.values() {
                if bucket.len() > BUCKET_MAX {
                    continue;
                }
                for (k, (a, fa)) in bucket.iter().enumerate() {
                    for (b, fb) in &bucket[k + 1..] {
                        if a != b && fa != fb {
                            pairs.push((
                                ((*a).min(*b), (*a).max(*b)),
                                DuplicateReason::SimilarEmail,
                            ));
                        }
                    }
                }
            }
            let mut added = 0;
            for (pair, reason) in pairs {
                if from > 0 && pair.1 < from {
                    continue;
                }
                if added >= GROUP_PAIRS_MAX {
                    break;
                }
                let e = found.entry(pair).or_insert_with(|| {
                    added += 1;
                    reason
                });
                if reason.score() > e.score() {
                    *e = reason;
                }
            }
        }
        // Pairs already queued (in any status) are not queued again.
        let mut known: HashSet<(i64, i64)> = HashSet::new();
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT id, customer_a, customer_b FROM duplicate_candidates WHERE org_id = $1 \
                 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(org)
            .bind(after)
            .bind(PAGE)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
            let Some(last) = rows.last() else { break };
            after = i64_of(last, "id")?;
            for r in &rows {
                known.insert((i64_of(r, "customer_a")?, i64_of(r, "customer_b")?));
            }
            if rows.len() < PAGE as usize {
                break;
            }
        }
        let now = now_micros();
        let found_by: String = found_by.chars().take(40).collect();
        let mut new: Vec<((i64, i64), DuplicateReason)> = found
            .into_iter()
            .filter(|(p, _)| !known.contains(p))
            .collect();
        new.sort_unstable_by_key(|(p, _)| *p);
        stats.found = new.len() as u64;
        let rows: Vec<Vec<Arg>> = new
            .iter()
            .map(|((a, b), r)| {
                vec![
                    Arg::I(org),
                    Arg::I(*a),
                    Arg::I(*b),
                    Arg::S(r.as_str().into()),
                    Arg::I(r.score()),
                    Arg::S("open".into()),
                    Arg::S(found_by.clone()),
                    Arg::I(now),
                ]
            })
            .collect();
        let mut tx = self.begin_write().await?;
        insert_rows(
            &mut tx,
            self.backend,
            "INSERT INTO duplicate_candidates (org_id, customer_a, customer_b, reason, score, status, found_by, created_at)",
            &rows,
            false,
        )
        .await?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "duplicates.scanned",
            "duplicate_candidate",
            0,
            &json!({"found_by": found_by, "from": from, "stats": stats}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stats)
    }

    /// Candidates of the organisation with both sides live and within the caller's reach.
    async fn candidates_where(
        &self,
        ctx: Ctx,
        extra: &str,
        extra_args: Vec<Arg>,
        limit: u32,
    ) -> Result<Vec<DuplicateCandidate>, StoreError> {
        let mut f = Filter::new(ctx.org);
        f.cond("c.deleted_at IS NULL".into());
        f.reach(ctx.org, ctx.reach);
        let within = f.where_sql();
        let po = f.arg(Arg::I(ctx.org.get()));
        let mut cond = format!(
            "d.org_id = {po} AND d.customer_a IN (SELECT c.id FROM customers c WHERE {within}) \
             AND d.customer_b IN (SELECT c.id FROM customers c WHERE {within})"
        );
        let mut extra_sql = extra.to_owned();
        for (n, a) in extra_args.into_iter().enumerate() {
            let p = f.arg(a);
            extra_sql = extra_sql.replace(&format!("?{}", n + 1), &p);
        }
        if !extra_sql.is_empty() {
            cond.push_str(" AND ");
            cond.push_str(&extra_sql);
        }
        let pl = f.arg(Arg::I(i64::from(limit.clamp(1, 500))));
        let sql = format!(
            "SELECT d.id, d.customer_a, d.customer_b, d.reason, d.score, d.status, d.found_by, d.created_at \
             FROM duplicate_candidates d WHERE {cond} ORDER BY d.score DESC, d.id LIMIT {pl}"
        );
        let rows = f
            .bind_all(sqlx::query(&sql))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let mut ids: Vec<i64> = Vec::new();
        for r in &rows {
            ids.push(i64_of(r, "customer_a")?);
            ids.push(i64_of(r, "customer_b")?);
        }
        ids.sort_unstable();
        ids.dedup();
        let sides = self.sides(ctx, &ids).await?;
        let side = |id: i64| -> Result<DuplicateSide, StoreError> {
            sides
                .get(&id)
                .cloned()
                .ok_or(StoreError::NotFound { entity: "customer" })
        };
        rows.iter()
            .map(|r| {
                let reason = str_of(r, "reason")?;
                let status = str_of(r, "status")?;
                Ok(DuplicateCandidate {
                    id: DuplicateId(i64_of(r, "id")?),
                    a: side(i64_of(r, "customer_a")?)?,
                    b: side(i64_of(r, "customer_b")?)?,
                    reason: DuplicateReason::parse(&reason)
                        .ok_or_else(|| StoreError::Internal(format!("reason {reason:?}")))?,
                    score: i64_of(r, "score")?,
                    status: DuplicateStatus::parse(&status)
                        .ok_or_else(|| StoreError::Internal(format!("status {status:?}")))?,
                    found_by: str_of(r, "found_by")?,
                    created_at: micros_to_time(i64_of(r, "created_at")?),
                })
            })
            .collect()
    }

    async fn sides(
        &self,
        ctx: Ctx,
        ids: &[i64],
    ) -> Result<HashMap<i64, DuplicateSide>, StoreError> {
        let mut out = HashMap::new();
        for part in ids.chunks(400) {
            let list: Vec<String> = (0..part.len()).map(|n| format!("${}", n + 2)).collect();
            let sql = format!(
                "SELECT c.id, c.name, c.city, c.created_at, co.name AS company FROM customers c \
                 LEFT JOIN customers co ON co.id = c.company_id \
                 WHERE c.org_id = $1 AND c.id IN ({})",
                list.join(",")
            );
            let mut q = sqlx::query(&sql).bind(ctx.org.get());
            for id in part {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await.map_err(db_err)? {
                let id = i64_of(&r, "id")?;
                out.insert(
                    id,
                    DuplicateSide {
                        id: CustomerId(id),
                        name: str_of(&r, "name")?,
                        company: opt_str(&r, "company")?,
                        city: opt_str(&r, "city")?,
                        contacts: Vec::new(),
                        created_at: micros_to_time(i64_of(&r, "created_at")?),
                    },
                );
            }
            let sql = format!(
                "SELECT customer_id, value FROM contact_points WHERE org_id = $1 AND customer_id IN ({}) \
                 ORDER BY customer_id, is_primary DESC, id",
                list.join(",")
            );
            let mut q = sqlx::query(&sql).bind(ctx.org.get());
            for id in part {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await.map_err(db_err)? {
                if let Some(s) = out.get_mut(&i64_of(&r, "customer_id")?) {
                    if s.contacts.len() < 8 {
                        s.contacts.push(str_of(&r, "value")?);
                    }
                }
            }
        }
        Ok(out)
    }

    pub(crate) async fn duplicate_candidates_impl(
        &self,
        ctx: Ctx,
        status: DuplicateStatus,
        limit: u32,
    ) -> Result<Vec<DuplicateCandidate>, StoreError> {
        self.candidates_where(
            ctx,
            "d.status = ?1",
            vec![Arg::S(status.as_str().into())],
            limit,
        )
        .await
    }

    pub(crate) async fn duplicate_candidate_impl(
        &self,
        ctx: Ctx,
        id: DuplicateId,
    ) -> Result<DuplicateCandidate, StoreError> {
        self.candidates_where(ctx, "d.id = ?1", vec![Arg::I(id.get())], 1)
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound {
                entity: "duplicate",
            })
    }

    pub(crate) async fn decide_duplicate_impl(
        &self,
        ctx: Ctx,
        id: DuplicateId,
        status: DuplicateStatus,
    ) -> Result<DuplicateCandidate, StoreError> {
        if status == DuplicateStatus::Open {
            return Err(StoreError::invalid(
                "status",
                Reason::NotOneOf {
                    allowed: vec!["merged".into(), "dismissed".into()],
                },
            ));
        }
        // Merging soft-deletes one side, so the pair is looked up without the liveness rule.
        let mut tx = self.begin_write().await?;
        let row: Option<Row> = sqlx::query(
            "SELECT customer_a, customer_b, status FROM duplicate_candidates WHERE org_id = $1 AND id = $2",
        )
        .bind(ctx.org.get())
        .bind(id.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(row) = row else {
            return Err(StoreError::NotFound {
                entity: "duplicate",
            });
        };
        let (a, b) = (i64_of(&row, "customer_a")?, i64_of(&row, "customer_b")?);
        for side in [a, b] {
            crate::customers::load(&mut tx, ctx.org, ctx.reach, CustomerId(side), true).await?;
        }
        if str_of(&row, "status")? != "open" {
            return Err(StoreError::Conflict {
                field: "status".into(),
                reason: Reason::Conflict,
            });
        }
        sqlx::query(
            "UPDATE duplicate_candidates SET status = $1, decided_at = $2, decided_by = $3 \
             WHERE org_id = $4 AND id = $5",
        )
        .bind(status.as_str())
        .bind(now_micros())
        .bind(ctx.actor.map(guanxi_core::UserId::get))
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "duplicate.decided",
            "duplicate_candidate",
            id.get(),
            &json!({"customer_a": a, "customer_b": b, "status": status}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        // Shown without the liveness rule, since one side may be merged away now.
        let mut c = self
            .candidates_where(
                Ctx {
                    reach: Reach::Org,
                    ..ctx
                },
                "d.id = ?1",
                vec![Arg::I(id.get())],
                1,
            )
            .await?;
        match c.pop() {
            Some(c) => Ok(c),
            None => {
                let sides = self.sides(ctx, &[a, b]).await?;
                let side = |id: i64| {
                    sides
                        .get(&id)
                        .cloned()
                        .ok_or(StoreError::NotFound { entity: "customer" })
                };
                Ok(DuplicateCandidate {
                    id,
                    a: side(a)?,
                    b: side(b)?,
                    reason: DuplicateReason::SameNameCompany,
                    score: 0,
                    status,
                    found_by: String::new(),
                    created_at: micros_to_time(now_micros()),
                })
            }
        }
    }

    pub(crate) async fn erase_customer_impl(
        &self,
        ctx: Ctx,
        id: CustomerId,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let c = crate::customers::load(&mut tx, ctx.org, ctx.reach, id, true).await?;
        let org = ctx.org.get();
        let cid = id.get();
        let now = now_micros();
        let placeholder = format!("#{cid}");
        // Records of the customer's leads, interactions, tasks, orders, quotes and deals
        // carry what was said about the person in their events and audit records too.
        let related = "(entity = 'lead' AND entity_id IN (SELECT id FROM leads WHERE org_id = $1 AND customer_id = $2)) \
            OR (entity = 'interaction' AND entity_id IN (SELECT id FROM interactions WHERE org_id = $1 AND customer_id = $2)) \
            OR (entity = 'activity' AND entity_id IN (SELECT id FROM activities WHERE org_id = $1 AND customer_id = $2)) \
            OR (entity = 'order' AND entity_id IN (SELECT id FROM orders WHERE org_id = $1 AND customer_id = $2)) \
            OR (entity = 'quote' AND entity_id IN (SELECT id FROM quotes WHERE org_id = $1 AND customer_id = $2)) \
            OR (entity = 'opportunity' AND entity_id IN (SELECT id FROM opportunities WHERE org_id = $1 AND customer_id = $2))";
        let related_events = format!(
            "UPDATE events SET payload = '{{\"erased\":true}}' WHERE org_id = $1 AND ({related})"
        );
        let related_audit = format!(
            "UPDATE audit_log SET detail = '{{\"erased\":true}}' WHERE org_id = $1 AND ({related})"
        );
        let statements: [(&str, bool); 18] = [
            (&related_events, false),
            (&related_audit, false),
            ("UPDATE customers SET name = $3, title = NULL, city = NULL, birthday = NULL, note = NULL, \
              tags = '[]', custom = '{}', erased_at = $4, deleted_at = COALESCE(deleted_at, $4), \
              version = version + 1, updated_at = $4 WHERE org_id = $1 AND id = $2", true),
            ("DELETE FROM contact_points WHERE org_id = $1 AND customer_id = $2", false),
            ("DELETE FROM search_tokens WHERE org_id = $1 AND customer_id = $2", false),
            ("DELETE FROM customer_tags WHERE org_id = $1 AND customer_id = $2", false),
            ("UPDATE interactions SET subject = NULL, body = '', outcome = NULL, contact = NULL \
              WHERE org_id = $1 AND customer_id = $2", false),
            ("UPDATE activities SET subject = '—', note = NULL WHERE org_id = $1 AND customer_id = $2", false),
            ("UPDATE orders SET note = NULL WHERE org_id = $1 AND customer_id = $2", false),
            ("UPDATE quotes SET note = NULL WHERE org_id = $1 AND customer_id = $2", false),
            ("UPDATE leads SET name = '—', company = NULL, title = NULL, phone = NULL, phone_key = NULL, \
              email = NULL, email_key = NULL, wechat = NULL, wechat_key = NULL, region = NULL, note = NULL \
              WHERE org_id = $1 AND customer_id = $2", false),
            ("DELETE FROM account_plans WHERE org_id = $1 AND customer_id = $2", false),
            ("DELETE FROM account_team WHERE org_id = $1 AND customer_id = $2", false),
            ("DELETE FROM duplicate_candidates WHERE org_id = $1 AND (customer_a = $2 OR customer_b = $2)", false),
            ("UPDATE import_rows SET detail = '{}' WHERE org_id = $1 AND customer_id = $2", false),
            // The log keeps that something happened to the customer, not what it said.
            ("UPDATE events SET payload = '{\"erased\":true}' WHERE org_id = $1 AND entity = 'customer' AND entity_id = $2", false),
            ("UPDATE audit_log SET detail = '{\"erased\":true}' WHERE org_id = $1 AND entity = 'customer' AND entity_id = $2", false),
            ("UPDATE customers SET company_id = NULL WHERE org_id = $1 AND company_id = $2 AND erased_at IS NOT NULL", false),
        ];
        for (sql, first) in statements {
            let mut q = sqlx::query(sql).bind(org).bind(cid);
            if first {
                q = q.bind(&placeholder).bind(now);
            }
            q.execute(&mut *tx).await.map_err(db_err)?;
        }
        emit(
            &mut tx,
            self.backend,
            ctx,
            "customer.erased",
            "customer",
            cid,
            &json!({"kind": c.kind, "at": now}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Vec<u8> {
        digits(s)
    }

    #[test]
    fn phones_one_digit_apart_or_swapped_pair_up() {
        let phones = vec![
            (1, d("+8613800138000")),
            (2, d("+8613800138001")), // one digit apart from 1
            (3, d("+8613800183000")), // 1 with two neighbours swapped
            (4, d("+8613912345678")), // unrelated
            (5, d("+8613800138000")), // the same number as 1: a match, not a look-alike
            (6, d("+861380013800")),  // shorter: not compared
        ];
        let pairs = similar_phones(&phones);
        assert!(pairs.contains(&(1, 2)), "{pairs:?}");
        assert!(pairs.contains(&(1, 3)), "{pairs:?}");
        assert!(pairs.contains(&(2, 5)), "{pairs:?}");
        assert!(!pairs.contains(&(1, 5)), "same number is not a look-alike");
        assert!(!pairs.iter().any(|p| p.0 == 4 || p.1 == 4), "{pairs:?}");
        assert!(!pairs.iter().any(|p| p.0 == 6 || p.1 == 6), "{pairs:?}");
        assert!(!pairs.contains(&(2, 3)), "two digits apart: {pairs:?}");
    }

    #[test]
    fn only_mailboxes_with_something_of_their_own_count() {
        assert!(distinctive_mailbox("wangfang1988"));
        assert!(
            !distinctive_mailbox("wangfang"),
            "the pinyin of a common name"
        );
        assert!(!distinctive_mailbox("wf88"), "too short to say much");
    }

    #[test]
    fn names_compare_without_case_spaces_or_dots() {
        assert_eq!(name_key("张 伟"), name_key("张伟"));
        assert_eq!(name_key("Li Na"), name_key("li na"));
        assert_eq!(name_key("阿卜杜·热合曼"), name_key("阿卜杜热合曼"));
        assert_ne!(name_key("张伟"), name_key("张玮"));
    }

    proptest::proptest! {
        #[test]
        fn the_bucketed_search_finds_what_a_pairwise_one_does(
            nums in proptest::collection::vec(proptest::collection::vec(0u8..3, 4), 2..20)
        ) {
            let phones: Vec<(i64, Vec<u8>)> =
                nums.iter().enumerate().map(|(n, d)| (n as i64, d.clone())).collect();
            let mut want = Vec::new();
            for (n, (a, da)) in phones.iter().enumerate() {
                for (b, db) in &phones[n + 1..] {
                    let diff: Vec<usize> = (0..4).filter(|k| da[*k] != db[*k]).collect();
                    let swapped = diff.len() == 2 && diff[1] == diff[0] + 1
                        && da[diff[0]] == db[diff[1]] && da[diff[1]] == db[diff[0]];
                    if diff.len() == 1 || swapped {
                        want.push((*a.min(b), *a.max(b)));
                    }
                }
            }
            want.sort_unstable();
            want.dedup();
            let mut got = similar_phones(&phones);
            got.sort_unstable();
            // Buckets above the cap are left out on purpose; with at most 19 numbers they
            // never are.
            proptest::prop_assert_eq!(got, want);
        }
    }
}
