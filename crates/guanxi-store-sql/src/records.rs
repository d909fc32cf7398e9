//! Imports of leads, orders and interactions. Unlike customers (decided set-wise, see
//! `jobs.rs`), these records go through the same code as the API's single writes
//! (`create_lead_in`, `create_order_in`, `log_one`), one savepoint per record: a record the
//! store refuses (an unknown source, a customer out of reach) is rolled back alone and
//! reported with its reason, the rest of the chunk is written, and the chunk commits with the
//! job's progress. A check runs exactly the same writes inside a savepoint that is rolled
//! back, so its report is what the import would do.

use crate::bulk::insert_rows;
use crate::codec::{now_micros, str_of, time_to_micros};
use crate::customers::Arg;
use crate::events::emit;
use crate::jobs::{
    conflict, contact_row, customer_row, family, holders, i, load_job, CUSTOMER_HEAD,
};
use crate::tokens::name_tokens;
use crate::{db_err, SqlStore};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use guanxi_core::order::OrderStatus;
use guanxi_core::{Currency, CustomerId, ImportJobId, ImportKind, Lang, Money, Reason};
use guanxi_store::{
    Ctx, ImportCounts, ImportCustomer, ImportCustomerRef, ImportInteraction, ImportLead,
    ImportMode, ImportOrder, ImportStatus, NewInteraction, NewLead, NewOrder, NewOrderLine,
    RecordChunk, RecordItem, Said, StoreError, IMPORT_REPORT_ROWS_MAX, RECORD_CHUNK_MAX,
};
use serde_json::{json, Value};
use sqlx::{Acquire, AnyConnection};
use std::collections::HashMap;

/// What the organisation's records are read in.
struct OrgSettings {
    currency: Currency,
    zone: chrono_tz::Tz,
    /// Lead sources: code and name, lower-cased, to the code.
    sources: HashMap<String, String>,
    source_names: Vec<String>,
}

/// Customers created by earlier records of the chunk (committed savepoints only), so that two
/// orders of one new buyer make one customer.
#[derive(Default)]
struct Created {
    by_key: HashMap<(u8, String), i64>,
    by_name: HashMap<String, i64>,
}

/// A customer created for a record: its id, its keys, its name when it has no keys.
type NewCustomer = (i64, Vec<(u8, String)>, Option<String>);

/// What one record did.
struct Done {
    /// `created`, `matched`.
    outcome: &'static str,
    customer_id: Option<i64>,
    /// A customer created for the record: (id, its keys, its name when it has no keys).
    new_customer: Option<NewCustomer>,
    detail: Value,
}

/// A refusal of the store as the report says it.
fn said_of(e: &StoreError) -> Option<Vec<Said>> {
    let StoreError::Invalid(d) = e else {
        return match e {
            StoreError::Conflict { .. } => Some(vec![Said {
                zh: Reason::Conflict.message(Lang::ZhCn),
                en: Reason::Conflict.message(Lang::En),
            }]),
            StoreError::NotFound { .. } => Some(vec![Said {
                zh: "客户不在您的权限范围内".into(),
                en: "the customer is not within your reach".into(),
            }]),
            _ => None,
        };
    };
    Some(
        d.fields()
            .iter()
            .map(|f| {
                let (zh, en) = match f.field.split(['[', '.']).next().unwrap_or("") {
                    "source" => ("线索来源", "source"),
                    "customer" | "customer_id" | "contact" => ("客户", "customer"),
                    "currency" => ("币种", "currency"),
                    "lines" | "total" | "amount" | "unit_price" => ("金额", "amount"),
                    "owner_id" => ("负责人", "owner"),
                    "occurred_at" | "placed_at" => ("日期", "date"),
                    "name" => ("姓名", "name"),
                    _ => ("", ""),
                };
                let put = |label: &str, lang: Lang| {
                    if label.is_empty() {
                        f.reason.message(lang)
                    } else {
                        format!("{label}{}{}", lang.colon(), f.reason.message(lang))
                    }
                };
                Said {
                    zh: put(zh, Lang::ZhCn),
                    en: put(en, Lang::En),
                }
            })
            .collect(),
    )
}

/// A local time of the organisation as UTC (a time skipped by a clock change moves on an hour).
fn utc_of(zone: chrono_tz::Tz, t: NaiveDateTime) -> Result<DateTime<Utc>, StoreError> {
    zone.from_local_datetime(&t)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(t + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| StoreError::invalid("occurred_at", Reason::NotADate))
}

async fn settings(conn: &mut AnyConnection, org: i64) -> Result<OrgSettings, StoreError> {
    let row = sqlx::query("SELECT currency, time_zone FROM organisations WHERE id = $1")
        .bind(org)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    let currency = Currency::parse(&str_of(&row, "currency")?).unwrap_or(Currency::CNY);
    let zone = str_of(&row, "time_zone")?
        .parse()
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let mut sources = HashMap::new();
    let mut source_names = Vec::new();
    let rows = sqlx::query(
        "SELECT code, name FROM lead_sources WHERE org_id = $1 AND active = $2 ORDER BY position",
    )
    .bind(org)
    .bind(true)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    for r in rows {
        let code = str_of(&r, "code")?;
        let name = str_of(&r, "name")?;
        sources.insert(code.to_lowercase(), code.clone());
        sources.insert(name.trim().to_lowercase(), code.clone());
        source_names.push(name);
    }
    Ok(OrgSettings {
        currency,
        zone,
        sources,
        source_names,
    })
}

/// The customer a record belongs to: found, or created (see [`ImportCustomerRef`]).
async fn resolve(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    ctx: Ctx,
    r: &ImportCustomerRef,
    made: &Created,
) -> Result<(i64, Option<NewCustomer>), StoreError> {
    let org = ctx.org.get();
    let keys: Vec<(u8, String)> = r
        .contacts
        .iter()
        .filter_map(|c| Some((family(c.kind)?, c.key.clone())))
        .collect();
    let name = r.name.clone().unwrap_or_default();
    if !keys.is_empty() {
        if let Some(id) = keys.iter().find_map(|k| made.by_key.get(k)) {
            return Ok((*id, None));
        }
        let wanted: Vec<String> = keys.iter().map(|k| k.1.clone()).collect();
        let held = holders(&mut *tx, backend, org, &wanted).await?;
        if let Some(id) = keys.iter().find_map(|k| held.get(k)) {
            return Ok((*id, None));
        }
    } else {
        if name.is_empty() {
            return Err(StoreError::invalid("customer", Reason::Required));
        }
        if let Some(id) = made.by_name.get(&name) {
            return Ok((*id, None));
        }
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM customers WHERE org_id = $1 AND name = $2 AND deleted_at IS NULL \
             ORDER BY id LIMIT 5",
        )
        .bind(org)
        .bind(&name)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        match ids.as_slice() {
            [id] => return Ok((*id, None)),
            [] => {}
            many => {
                return Err(StoreError::invalid(
                    "customer",
                    Reason::Ambiguous {
                        count: many.len() as u32,
                    },
                ))
            }
        }
    }
    // Nobody holds the record's numbers (or name): a new customer, as the recognition of an
    // unknown caller makes one.
    let name = if name.is_empty() {
        r.contacts
            .first()
            .map(|c| c.display.clone())
            .unwrap_or_default()
    } else {
        name
    };
    let now = now_micros();
    let person = ImportCustomer {
        name: name.clone(),
        ..ImportCustomer::default()
    };
    let row = customer_row(org, &person, false, None, now)?;
    let id = insert_rows(&mut *tx, backend, CUSTOMER_HEAD, &[row], true)
        .await?
        .first()
        .copied()
        .ok_or_else(|| StoreError::Internal("the new customer has no id".into()))?;
    let mut seen = std::collections::HashSet::new();
    let cps: Vec<Vec<Arg>> = r
        .contacts
        .iter()
        .filter(|c| seen.insert((c.kind, c.key.clone())))
        .enumerate()
        .map(|(n, c)| contact_row(org, id, c, n == 0, now))
        .collect();
    insert_rows(
        &mut *tx,
        backend,
        "INSERT INTO contact_points (org_id, customer_id, kind, value, key, rkey, label, is_primary, created_at)",
        &cps,
        false,
    )
    .await?;
    let tokens: Vec<Vec<Arg>> = name_tokens(&name)
        .into_iter()
        .map(|t| vec![Arg::I(org), Arg::S(t), Arg::I(id)])
        .collect();
    insert_rows(
        &mut *tx,
        backend,
        "INSERT INTO search_tokens (org_id, token, customer_id)",
        &tokens,
        false,
    )
    .await?;
    emit(
        &mut *tx,
        backend,
        ctx,
        "customer.created",
        "customer",
        id,
        &json!({"kind": "person", "name": name, "status": "new", "source": "import",
                "contact_points": r.contacts.iter()
                    .map(|c| json!({"kind": c.kind, "value": c.display})).collect::<Vec<_>>()}),
    )
    .await?;
    let by_name = keys.is_empty().then(|| name.clone());
    Ok((id, Some((id, keys, by_name))))
}

async fn write_lead(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    ctx: Ctx,
    org: &OrgSettings,
    lead: ImportLead,
) -> Result<Done, StoreError> {
    let source = match lead.source.as_deref().map(str::trim) {
        None | Some("") => "import".to_owned(),
        Some(s) => org.sources.get(&s.to_lowercase()).cloned().ok_or_else(|| {
            StoreError::invalid(
                "source",
                Reason::NotOneOf {
                    allowed: org.source_names.clone(),
                },
            )
        })?,
    };
    // A lead already held (the same number, e-mail or WeChat id; without any, the same name
    // at the same company) is that lead.
    let mut found: Option<i64> = None;
    for (col, v) in [
        ("phone_key", &lead.phone),
        ("email_key", &lead.email),
        ("wechat_key", &lead.wechat),
    ] {
        let Some(v) = v else { continue };
        found = sqlx::query_scalar(&format!(
            "SELECT id FROM leads WHERE org_id = $1 AND {col} = $2 ORDER BY id LIMIT 1"
        ))
        .bind(ctx.org.get())
        .bind(&v.key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        if found.is_some() {
            break;
        }
    }
    if found.is_none() && lead.phone.is_none() && lead.email.is_none() && lead.wechat.is_none() {
        found = sqlx::query_scalar(
            "SELECT id FROM leads WHERE org_id = $1 AND name = $2 AND COALESCE(company, '') = $3 \
             ORDER BY id LIMIT 1",
        )
        .bind(ctx.org.get())
        .bind(&lead.name)
        .bind(lead.company.as_deref().unwrap_or(""))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
    }
    if let Some(id) = found {
        return Ok(Done {
            outcome: "matched",
            customer_id: None,
            new_customer: None,
            detail: json!({"lead_id": id}),
        });
    }
    let created = crate::leads::create_lead_in(
        &mut *tx,
        backend,
        ctx,
        NewLead {
            name: lead.name,
            company: lead.company,
            title: lead.title,
            phone: lead.phone,
            email: lead.email,
            wechat: lead.wechat,
            region: lead.region,
            source,
            note: lead.note,
            owner_id: None,
            form_id: None,
        },
    )
    .await?;
    Ok(Done {
        outcome: "created",
        customer_id: None,
        new_customer: None,
        detail: json!({"lead_id": created.id}),
    })
}

async fn write_order(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    ctx: Ctx,
    org: &OrgSettings,
    order: ImportOrder,
    made: &Created,
) -> Result<Done, StoreError> {
    // An order number seen before is that order; no customer is made for it.
    if let Some(ext) = &order.external_id {
        let seen: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, customer_id FROM orders WHERE org_id = $1 AND external_id = $2",
        )
        .bind(ctx.org.get())
        .bind(ext)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        if let Some((id, customer)) = seen {
            return Ok(Done {
                outcome: "matched",
                customer_id: Some(customer),
                new_customer: None,
                detail: json!({"order_id": id}),
            });
        }
    }
    let currency = order.currency.unwrap_or(org.currency);
    let mut lines = Vec::with_capacity(order.lines.len());
    for (n, l) in order.lines.iter().enumerate() {
        let total = Money::parse(&l.amount, currency)
            .map_err(|e| StoreError::Invalid(e.nest(&format!("lines[{n}].amount"))))?
            .minor;
        if total < 0 {
            return Err(StoreError::invalid(
                format!("lines[{n}].amount"),
                Reason::OutOfRange {
                    min: 0,
                    max: i64::MAX,
                },
            ));
        }
        let quantity = l.quantity.max(1);
        // The unit price that comes to the line's total: rounded up, the rest a discount.
        let unit = (total + quantity - 1) / quantity;
        lines.push(NewOrderLine {
            product_id: None,
            description: Some(l.description.clone()),
            quantity,
            unit_price: Some(unit),
            discount: unit * quantity - total,
        });
    }
    let placed = utc_of(org.zone, order.placed)?;
    let status = order.status.unwrap_or(OrderStatus::Completed);
    let paid = matches!(
        status,
        OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Completed | OrderStatus::Refunded
    );
    let (customer, new_customer) = resolve(&mut *tx, backend, ctx, &order.customer, made).await?;
    let (created, _) = crate::sales::create_order_in(
        &mut *tx,
        backend,
        ctx,
        NewOrder {
            customer_id: CustomerId(customer),
            opportunity_id: None,
            external_id: order.external_id,
            currency,
            status,
            placed_at: placed,
            paid_at: paid.then_some(placed),
            owner_id: None,
            note: order.note,
            lines,
            expected_total: None,
        },
    )
    .await?;
    Ok(Done {
        outcome: "created",
        customer_id: Some(customer),
        new_customer,
        detail: json!({"order_id": created.id, "total": created.total}),
    })
}

async fn write_interaction(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    ctx: Ctx,
    org: &OrgSettings,
    it: ImportInteraction,
    made: &Created,
) -> Result<Done, StoreError> {
    let occurred = utc_of(org.zone, it.occurred)?;
    let (customer, new_customer) = resolve(&mut *tx, backend, ctx, &it.customer, made).await?;
    if new_customer.is_none() {
        // The same contact imported again (same customer, time, channel and text) is that one.
        let seen: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM interactions WHERE org_id = $1 AND customer_id = $2 \
             AND occurred_at = $3 AND channel = $4 AND body = $5 LIMIT 1",
        )
        .bind(ctx.org.get())
        .bind(customer)
        .bind(time_to_micros(occurred))
        .bind(it.channel.as_str())
        .bind(&it.body)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        if let Some(id) = seen {
            return Ok(Done {
                outcome: "matched",
                customer_id: Some(customer),
                new_customer: None,
                detail: json!({"interaction_id": id}),
            });
        }
    }
    let (logged, _) = crate::interactions::log_one(
        &mut *tx,
        backend,
        ctx,
        NewInteraction {
            customer_id: Some(CustomerId(customer)),
            contact: None,
            contact_name: None,
            channel: it.channel,
            direction: it.direction,
            occurred_at: occurred,
            staff_id: None,
            subject: it.subject,
            body: it.body,
            duration_seconds: it.duration_seconds,
            outcome: None,
            links: Vec::new(),
        },
    )
    .await?;
    Ok(Done {
        outcome: "created",
        customer_id: Some(customer),
        new_customer,
        detail: json!({"interaction_id": logged.id}),
    })
}

impl SqlStore {
    pub(crate) async fn import_record_chunk_impl(
        &self,
        ctx: Ctx,
        id: ImportJobId,
        chunk: RecordChunk,
    ) -> Result<ImportCounts, StoreError> {
        if chunk.items.len() > RECORD_CHUNK_MAX || chunk.rows > RECORD_CHUNK_MAX as u64 * 10 {
            return Err(StoreError::invalid(
                "rows",
                Reason::TooMany {
                    max: RECORD_CHUNK_MAX,
                },
            ));
        }
        let backend = self.backend;
        let org_id = ctx.org.get();
        let mut tx = self.begin_bulk().await?;
        let job = load_job(&mut tx, ctx, id).await?;
        if job.status != ImportStatus::Running {
            return Err(conflict("status"));
        }
        if job.kind == ImportKind::Customers {
            return Err(conflict("kind"));
        }
        if job.rows_done != chunk.from_row {
            return Err(conflict("rows_done"));
        }
        let dry = job.mode == ImportMode::Check;
        let org = settings(&mut tx, org_id).await?;
        let mut counts = ImportCounts::default();
        // The lowest id of a customer this chunk created: the look-alike scan after the job
        // starts there (`import_first_customer`).
        let mut first_new: Option<i64> = None;
        let mut notes: Vec<(u64, &'static str, Option<i64>, Value)> = Vec::new();
        let mut made = Created::default();
        let mut written: Vec<Value> = Vec::new();
        // Each record in its own savepoint straight inside the transaction. Not inside one
        // savepoint for the whole chunk: SQLite then keeps one statement journal for all of
        // them (in memory, temp_store = MEMORY) and releasing each record's savepoint walked
        // it from the start, so a chunk took quadratic time (100,000 orders: 290 s, most of
        // it in memjrnlTruncate). A check rolls the whole transaction back below instead.
        for item in chunk.items {
            let (line, result) = match item {
                RecordItem::Skipped { .. } => {
                    counts.skipped += 1;
                    continue;
                }
                RecordItem::Rejected { line, reasons } => {
                    counts.rejected += 1;
                    notes.push((line, "rejected", None, json!({ "reasons": reasons })));
                    continue;
                }
                RecordItem::Lead { line, lead } => {
                    let mut sp = tx.begin().await.map_err(db_err)?;
                    let r = write_lead(&mut sp, backend, ctx, &org, lead).await;
                    (line, finish(sp, r).await?)
                }
                RecordItem::Order { line, order } => {
                    let mut sp = tx.begin().await.map_err(db_err)?;
                    let r = write_order(&mut sp, backend, ctx, &org, order, &made).await;
                    (line, finish(sp, r).await?)
                }
                RecordItem::Interaction { line, interaction } => {
                    let mut sp = tx.begin().await.map_err(db_err)?;
                    let r =
                        write_interaction(&mut sp, backend, ctx, &org, interaction, &made).await;
                    (line, finish(sp, r).await?)
                }
            };
            match result {
                Err(reasons) => {
                    counts.rejected += 1;
                    notes.push((line, "rejected", None, json!({ "reasons": reasons })));
                }
                Ok(done) => {
                    if done.outcome == "matched" {
                        counts.matched += 1;
                        notes.push((line, "matched", done.customer_id, done.detail));
                    } else {
                        counts.created += 1;
                        written.push(done.detail.clone());
                    }
                    if let Some((cid, keys, name)) = done.new_customer {
                        counts.customers += 1;
                        first_new = Some(first_new.map_or(cid, |f: i64| f.min(cid)));
                        for k in keys {
                            made.by_key.entry(k).or_insert(cid);
                        }
                        if let Some(n) = name {
                            made.by_name.entry(n).or_insert(cid);
                        }
                        notes.push((line, "customer_created", Some(cid), json!({})));
                    }
                }
            }
        }
        if dry {
            // Nothing a check wrote is kept: the transaction goes, and the report and the
            // progress are written in a new one (the progress guard below still holds: the
            // job must be running and at this chunk).
            tx.rollback().await.map_err(db_err)?;
            tx = self.begin_bulk().await?;
        }

        // The report rows, up to the cap per job.
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM import_rows WHERE job_id = $1")
            .bind(id.get())
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        let room = usize::try_from(i(IMPORT_REPORT_ROWS_MAX) - kept).unwrap_or(0);
        notes.sort_by_key(|n| n.0);
        let note_rows: Vec<Vec<Arg>> = notes
            .into_iter()
            .take(room)
            .map(|(line, outcome, cid, detail)| {
                vec![
                    Arg::I(org_id),
                    Arg::I(id.get()),
                    Arg::I(i(line)),
                    Arg::S(outcome.to_owned()),
                    cid.map_or(Arg::N, Arg::I),
                    Arg::S(detail.to_string()),
                ]
            })
            .collect();
        insert_rows(
            &mut tx,
            backend,
            "INSERT INTO import_rows (org_id, job_id, line, outcome, customer_id, detail)",
            &note_rows,
            false,
        )
        .await?;

        // The job's progress, in the same transaction as the records.
        let rows_done = chunk.from_row + chunk.rows;
        let n = sqlx::query(
            "UPDATE import_jobs SET rows_done = $1, bytes_done = $2, created = created + $3, \
             matched = matched + $4, rejected = rejected + $5, skipped = skipped + $6, \
             customers = customers + $7, heartbeat_at = $8, \
             first_customer_id = COALESCE(first_customer_id, $12) \
             WHERE org_id = $9 AND id = $10 AND rows_done = $11 AND status = 'running'",
        )
        .bind(i(rows_done))
        .bind(i(chunk.bytes_done))
        .bind(i(counts.created))
        .bind(i(counts.matched))
        .bind(i(counts.rejected))
        .bind(i(counts.skipped))
        .bind(i(counts.customers))
        .bind(now_micros())
        .bind(org_id)
        .bind(id.get())
        .bind(i(chunk.from_row))
        // The customers a check would create are gone with its transaction.
        .bind(if dry { None } else { first_new })
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n != 1 {
            return Err(conflict("rows_done"));
        }
        if !dry {
            emit(
                &mut tx,
                backend,
                ctx,
                "records.imported",
                "import_job",
                id.get(),
                &json!({"kind": job.kind, "from_row": chunk.from_row, "rows": chunk.rows,
                        "counts": counts, "written": written}),
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(counts)
    }
}

/// Keep a record's savepoint when it was written, roll it back when the store refused it
/// (the reasons go to the report); a database failure fails the chunk.
async fn finish(
    sp: sqlx::Transaction<'_, sqlx::Any>,
    r: Result<Done, StoreError>,
) -> Result<Result<Done, Vec<Said>>, StoreError> {
    match r {
        Ok(done) => {
            sp.commit().await.map_err(db_err)?;
            Ok(Ok(done))
        }
        Err(e) => match said_of(&e) {
            Some(reasons) => {
                sp.rollback().await.map_err(db_err)?;
                Ok(Err(reasons))
            }
            None => Err(e),
        },
    }
}
