//! Customer search over names (Chinese and Latin), phone numbers and e-mail addresses.
//!
//! Each query term is answered from an index: name tokens (`search_tokens`), or the contact
//! point keys and reversed keys (`contact_points.key` / `rkey`) for number and e-mail parts.
//! Results are newest first (by id) and paged by id, whatever sort the list asked for.

use crate::codec::encode_cursor;
use crate::customers::{summary_from, Arg, Filter, SUMMARY_COLS};
use crate::tokens::{parse_query, prefix_range, reversed, Term};
use crate::{db_err, SqlStore};
use guanxi_core::OrgId;
use guanxi_store::{CustomerSummary, Page, StoreError};
use serde_json::json;
use std::collections::BTreeSet;

/// Ids fetched from the token index per round when streaming.
const CHUNK: i64 = 500;
/// Most rounds one search runs (bounds the work of a query whose matches are all filtered out).
const MAX_ROUNDS: usize = 40;
/// Most matches a range term (a word prefix, digits, an e-mail part) collects.
pub const RANGE_CAP: i64 = 20_000;

pub(crate) async fn search(
    store: &SqlStore,
    org: OrgId,
    filter: &Filter,
    text: &str,
    before: Option<i64>,
    limit: usize,
) -> Result<Page<CustomerSummary>, StoreError> {
    let terms = parse_query(text);
    let empty = || Page {
        items: Vec::new(),
        next_cursor: None,
    };
    if terms.is_empty() {
        return Ok(empty());
    }
    let verify: Vec<String> = terms
        .iter()
        .filter_map(|t| match t {
            Term::Tokens { verify, .. } => verify.clone(),
            _ => None,
        })
        .collect();
    let mut out: Vec<CustomerSummary> = Vec::with_capacity(limit + 1);
    let all_tokens = terms.iter().all(|t| matches!(t, Term::Tokens { .. }));
    if all_tokens {
        // Walk the most selective token's posting list newest first; check the others by
        // point lookups in the same index.
        let mut tokens: Vec<String> = terms
            .iter()
            .flat_map(|t| match t {
                Term::Tokens { tokens, .. } => tokens.clone(),
                _ => Vec::new(),
            })
            .collect();
        tokens.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
        tokens.dedup();
        let mut below = before.unwrap_or(i64::MAX);
        for _ in 0..MAX_ROUNDS {
            let mut sql = String::from(
                "SELECT s.customer_id FROM search_tokens s WHERE s.org_id = $1 AND s.token = $2 AND s.customer_id < $3",
            );
            for i in 1..tokens.len() {
                sql.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM search_tokens s{i} WHERE s{i}.org_id = $1 AND s{i}.token = ${} AND s{i}.customer_id = s.customer_id)",
                    i + 3
                ));
            }
            sql.push_str(&format!(" ORDER BY s.customer_id DESC LIMIT {CHUNK}"));
            let mut q = sqlx::query_scalar::<_, i64>(&sql)
                .bind(org.get())
                .bind(&tokens[0])
                .bind(below);
            for t in &tokens[1..] {
                q = q.bind(t);
            }
            let ids = q.fetch_all(&store.pool).await.map_err(db_err)?;
            let Some(&last) = ids.last() else { break };
            below = last;
            out.extend(fetch_rows(store, filter, &ids, &verify, limit + 1 - out.len()).await?);
            if out.len() > limit || (ids.len() as i64) < CHUNK {
                break;
            }
        }
    } else if let [term] = terms.as_slice() {
        // One range term: the database picks the newest matches, a chunk at a time.
        let mut below = before.unwrap_or(i64::MAX);
        for _ in 0..MAX_ROUNDS {
            let ids = term_ids(store, org, term, below, CHUNK).await?;
            let Some(&last) = ids.last() else { break };
            below = last;
            out.extend(fetch_rows(store, filter, &ids, &verify, limit + 1 - out.len()).await?);
            if out.len() > limit || (ids.len() as i64) < CHUNK {
                break;
            }
        }
    } else {
        // Several terms: the newest matches of each (at most RANGE_CAP), intersected.
        let below = before.unwrap_or(i64::MAX);
        let mut set: Option<BTreeSet<i64>> = None;
        for term in &terms {
            let ids: BTreeSet<i64> = term_ids(store, org, term, below, RANGE_CAP)
                .await?
                .into_iter()
                .collect();
            set = Some(match set {
                None => ids,
                Some(s) => s.intersection(&ids).copied().collect(),
            });
        }
        let ids: Vec<i64> = set.unwrap_or_default().into_iter().rev().collect();
        for chunk in ids.chunks(CHUNK as usize).take(MAX_ROUNDS) {
            out.extend(fetch_rows(store, filter, chunk, &verify, limit + 1 - out.len()).await?);
            if out.len() > limit {
                break;
            }
        }
    }
    let next_cursor = if out.len() > limit {
        out.truncate(limit);
        out.last()
            .map(|c| encode_cursor(&json!([null, c.id.get()])))
    } else {
        None
    };
    Ok(Page {
        items: out,
        next_cursor,
    })
}

/// The newest `want` rows among `ids` that pass the list filters (and contain every CJK run in
/// `verify`).
async fn fetch_rows(
    store: &SqlStore,
    filter: &Filter,
    ids: &[i64],
    verify: &[String],
    want: usize,
) -> Result<Vec<CustomerSummary>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut f = filter.clone();
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    f.cond(format!("c.id IN ({list})"));
    for v in verify {
        // Only CJK characters reach here (see tokens::parse_query), so no LIKE escaping needed.
        let p = f.arg(Arg::S(format!("%{v}%")));
        f.cond(format!("c.name LIKE {p}"));
    }
    let sql = format!(
        "SELECT {SUMMARY_COLS} FROM customers c WHERE {} ORDER BY c.id DESC LIMIT {want}",
        f.where_sql()
    );
    let rows = f
        .bind_all(sqlx::query(&sql))
        .fetch_all(&store.pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(summary_from).collect()
}

/// The newest customer ids (below `below`, at most `cap`) that one term matches, newest
/// first. The database does the ordering over its covering indexes; only `cap` ids travel.
async fn term_ids(
    store: &SqlStore,
    org: OrgId,
    term: &Term,
    below: i64,
    cap: i64,
) -> Result<Vec<i64>, StoreError> {
    // Each source is a query over `customer_id` with its own range ($lo, $hi), numbered below.
    let mut sources: Vec<(&str, String, String)> = Vec::new();
    let mut tokens_sql = None;
    match term {
        Term::Tokens { tokens, .. } => {
            let mut sql = String::from(
                "SELECT s.customer_id FROM search_tokens s WHERE s.org_id = $1 AND s.customer_id < $2 AND s.token = $3",
            );
            for i in 1..tokens.len() {
                sql.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM search_tokens s{i} WHERE s{i}.org_id = $1 AND s{i}.token = ${} AND s{i}.customer_id = s.customer_id)",
                    i + 3
                ));
            }
            sql.push_str(&format!(" ORDER BY s.customer_id DESC LIMIT {cap}"));
            tokens_sql = Some((sql, tokens));
        }
        Term::WordPrefix(w) => {
            let (lo, hi) = prefix_range(w);
            sources.push((
                "search_tokens WHERE org_id = $1 AND token >= {lo} AND token < {hi}",
                lo.clone(),
                hi.clone(),
            ));
            sources.push(("contact_points WHERE org_id = $1 AND key >= {lo} AND key < {hi} AND kind = 'email'", lo, hi));
        }
        Term::Digits(d) => {
            let (lo, hi) = prefix_range(&format!("+86{d}"));
            sources.push((
                "contact_points WHERE org_id = $1 AND key >= {lo} AND key < {hi}",
                lo,
                hi,
            ));
            let (lo, hi) = prefix_range(&format!("+{d}"));
            sources.push((
                "contact_points WHERE org_id = $1 AND key >= {lo} AND key < {hi}",
                lo,
                hi,
            ));
            let (lo, hi) = prefix_range(&reversed(d));
            sources.push(("contact_points WHERE org_id = $1 AND rkey >= {lo} AND rkey < {hi} AND kind IN ('mobile','landline')", lo, hi));
        }
        Term::EmailPart(p) => {
            let (lo, hi) = prefix_range(p);
            sources.push(("contact_points WHERE org_id = $1 AND key >= {lo} AND key < {hi} AND kind = 'email'", lo, hi));
            let (lo, hi) = prefix_range(&reversed(p));
            sources.push(("contact_points WHERE org_id = $1 AND rkey >= {lo} AND rkey < {hi} AND kind = 'email'", lo, hi));
        }
    }
    if let Some((sql, tokens)) = tokens_sql {
        let mut q = sqlx::query_scalar::<_, i64>(&sql)
            .bind(org.get())
            .bind(below);
        for t in tokens {
            q = q.bind(t);
        }
        return q.fetch_all(&store.pool).await.map_err(db_err);
    }
    let parts: Vec<String> = sources
        .iter()
        .enumerate()
        .map(|(i, (from, _, _))| {
            let from = from
                .replace("{lo}", &format!("${}", 3 + 2 * i))
                .replace("{hi}", &format!("${}", 4 + 2 * i));
            format!("SELECT customer_id FROM {from} AND customer_id < $2")
        })
        .collect();
    let sql = format!(
        "SELECT customer_id FROM ({}) u ORDER BY customer_id DESC LIMIT {cap}",
        parts.join(" UNION ALL ")
    );
    let mut q = sqlx::query_scalar::<_, i64>(&sql)
        .bind(org.get())
        .bind(below);
    for (_, lo, hi) in &sources {
        q = q.bind(lo.as_str()).bind(hi.as_str());
    }
    q.fetch_all(&store.pool).await.map_err(db_err)
}
