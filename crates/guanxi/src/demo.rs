//! `guanxi demo`: a demo organisation with generated data, then the server.

use anyhow::Context;
use guanxi_config::Settings;
use guanxi_core::password::Password;
use guanxi_core::{Currency, Lang, Role};
use guanxi_store::{Ctx, NewOrg, NewProduct, NewTeam, NewUser, Store};
use guanxi_store_sql::SqlStore;
use std::time::Instant;

pub const DEMO_ORG: &str = "关系演示公司 Guanxi Demo Co.";

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Number of customers to generate.
    #[arg(long, default_value_t = 2000)]
    pub customers: usize,
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Mean number of interactions per customer.
    #[arg(long, default_value_t = 5.0)]
    pub interactions_per_customer: f64,
    /// Generate the data and exit instead of serving.
    #[arg(long)]
    pub no_serve: bool,
    /// The password of every demo user; a random one is generated and printed without it.
    #[arg(long, env = "GUANXI_DEMO_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

/// The role and team (index into [`DEMO_TEAMS`]) of each demo staff member, in the order of
/// `guanxi_demo::demo_staff()`: one of every role, and two sales teams.
const DEMO_ROLES: &[(Role, Option<usize>)] = &[
    (Role::Admin, None),
    (Role::Manager, Some(0)),
    (Role::SalesRep, Some(0)),
    (Role::SalesRep, Some(1)),
    (Role::Agent, Some(2)),
    (Role::Marketer, None),
    (Role::Analyst, None),
    (Role::SalesRep, Some(1)),
];
const DEMO_TEAMS: &[&str] = &["华东销售组", "华南销售组", "客服中心"];

/// Who can sign in to the demo, for printing.
pub struct DemoLogin {
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// Create `name` with its staff and `customers` generated customers; returns the org context.
/// What to generate.
pub struct Populate<'a> {
    pub customers: usize,
    pub seed: u64,
    pub interactions_per_customer: f64,
    /// Customers per bulk transaction.
    pub batch: usize,
    /// The demo users' password; without one they cannot sign in.
    pub password: Option<&'a Password>,
    /// Create the demo catalogue and years of orders (repeat buying).
    pub orders: bool,
    /// Multiplies the purchase rate (1.0: about two orders per customer).
    pub order_rate: f64,
    /// Bulk-load this many extra opportunities spread over the customers (benchmarks).
    pub bulk_opportunities: usize,
}

/// Create organisation `name` with its teams, staff of every role, catalogue and generated
/// customers, interactions and orders; `progress` hears (customers, interactions) so far.
pub async fn populate(
    store: &SqlStore,
    name: &str,
    opts: Populate<'_>,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<(Ctx, Vec<DemoLogin>)> {
    let Populate {
        customers,
        seed,
        interactions_per_customer,
        batch,
        password,
        orders,
        order_rate,
        bulk_opportunities,
    } = opts;
    let org = store
        .create_org(NewOrg {
            name: name.into(),
            locale: Lang::ZhCn,
            currency: Currency::CNY,
            time_zone: "Asia/Shanghai".into(),
        })
        .await?;
    let ctx = Ctx::new(org.id);
    let mut teams = Vec::new();
    for t in DEMO_TEAMS {
        teams.push(
            store
                .create_team(ctx, NewTeam { name: (*t).into() })
                .await?
                .id,
        );
    }
    let mut staff = Vec::new();
    let mut sellers = Vec::new();
    let mut logins = Vec::new();
    for ((name, email), (role, team)) in guanxi_demo::demo_staff().into_iter().zip(DEMO_ROLES) {
        let password_hash = match password {
            Some(p) => Some(p.hash().map_err(|e| anyhow::anyhow!(e))?),
            None => None,
        };
        let user = store
            .create_user(
                ctx,
                NewUser {
                    name: name.clone(),
                    email: email.clone(),
                    role: *role,
                    team_id: team.map(|i| teams[i]),
                    password_hash,
                    locale: None,
                },
            )
            .await?;
        // Customers belong to the people who sell and serve.
        if matches!(role, Role::Manager | Role::SalesRep | Role::Agent) {
            staff.push(user.id);
        }
        if matches!(role, Role::Manager | Role::SalesRep) {
            sellers.push(user.id);
        }
        logins.push(DemoLogin {
            email,
            name,
            role: *role,
        });
    }
    let mut products = Vec::new();
    if orders {
        for (sku, name, price, weight) in guanxi_demo::demo_products() {
            let p = store
                .create_product(
                    ctx,
                    NewProduct {
                        sku: (*sku).into(),
                        name: (*name).into(),
                        unit_price: *price,
                        currency: Currency::CNY,
                    },
                )
                .await?;
            products.push(guanxi_demo::DemoProduct {
                id: p.id,
                name: p.name,
                price: p.unit_price,
                weight: *weight,
            });
        }
    }
    let mut generator = guanxi_demo::DemoGenerator::new(guanxi_demo::DemoConfig {
        customers,
        seed,
        staff,
        now: chrono::Utc::now(),
        years: 3,
        interactions_per_customer,
        products,
        order_rate,
    });
    let (mut done_c, mut done_i) = (0u64, 0u64);
    while let Some(b) = generator.next_batch(batch) {
        let stats = store.bulk_load(ctx, b).await?;
        done_c += stats.customers;
        done_i += stats.interactions;
        progress(done_c, done_i);
    }
    if orders {
        sales(store, ctx, &teams, &sellers, seed, customers).await?;
    }
    if bulk_opportunities > 0 {
        load_opportunities(store, ctx, &sellers, seed, bulk_opportunities).await?;
    }
    store.analyze().await?;
    Ok((ctx, logins))
}

/// The sales side, through the store like real work: lead rules and a web form, leads from
/// every source (some qualified, some disqualified, some converted), opportunities across the
/// pipeline, and every salesperson's activities.
async fn sales(
    store: &SqlStore,
    ctx: Ctx,
    teams: &[guanxi_core::TeamId],
    sellers: &[guanxi_core::UserId],
    seed: u64,
    customers: usize,
) -> anyhow::Result<()> {
    use chrono::{Duration, Utc};
    use guanxi_core::contact::{ContactKind, ContactValue};
    use guanxi_core::lead::LeadStatus;
    use guanxi_store::{
        ConversionDeal, ConvertLead, CustomerQuery, LeadPatch, NewActivity, NewLead, NewLeadRule,
        NewOpportunity, NewWebForm, StoreError,
    };
    if sellers.is_empty() || teams.len() < 2 {
        return Ok(());
    }
    for (source, team) in [("website", teams[0]), ("event", teams[1])] {
        store
            .create_lead_rule(
                ctx,
                NewLeadRule {
                    source: Some(source.into()),
                    region: None,
                    team_id: Some(team),
                    user_id: None,
                },
            )
            .await?;
    }
    store
        .create_web_form(
            ctx,
            NewWebForm {
                name: "官网咨询表单".into(),
                source: "website".into(),
                key: guanxi_core::secret::new_secret("gxf_"),
            },
        )
        .await?;
    // Customers to sell to: the first thousand, with their account managers.
    let mut pool = Vec::new();
    let mut cursor = None;
    while pool.len() < 1000 {
        let page = store
            .list_customers(
                ctx,
                CustomerQuery {
                    cursor: cursor.clone(),
                    limit: 200,
                    ..Default::default()
                },
            )
            .await?;
        pool.extend(page.items.iter().map(|c| (c.id, c.owner_id)));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let plan = guanxi_demo::sales::sales_plan(
        seed,
        (customers / 20).clamp(30, 2000),
        (customers / 10).clamp(40, 5000),
        pool.len(),
        sellers.len(),
    );
    let pipeline = store
        .list_pipelines(ctx)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no pipeline"))?;
    let today = Utc::now().date_naive();
    for (i, l) in plan.leads.iter().enumerate() {
        // Website and event leads go through the rules; the rest are a salesperson's own
        // finds, and every tenth waits in the pool.
        let owner = match l.source {
            "website" | "event" => None,
            _ if i % 10 == 0 => None,
            _ => Some(sellers[i % sellers.len()]),
        };
        let (lead, _) = store
            .create_lead(
                ctx,
                NewLead {
                    name: l.name.clone(),
                    company: l.company.clone(),
                    title: None,
                    phone: ContactValue::parse(ContactKind::Mobile, &l.phone).ok(),
                    email: None,
                    wechat: None,
                    region: Some(l.region.clone()),
                    source: l.source.into(),
                    note: l.note.clone(),
                    owner_id: owner,
                    form_id: None,
                },
            )
            .await?;
        let status = match l.status {
            "working" => Some(LeadStatus::Working),
            "qualified" | "converted" => Some(LeadStatus::Qualified),
            "disqualified" => Some(LeadStatus::Disqualified),
            _ => None,
        };
        if let Some(st) = status {
            store
                .update_lead(
                    ctx,
                    lead.id,
                    None,
                    LeadPatch {
                        status: Some(st),
                        reason: l.reason.map(str::to_owned),
                        ..Default::default()
                    },
                )
                .await?;
        }
        if l.status == "converted" && lead.owner_id.is_some() {
            let deal = ConversionDeal {
                pipeline_id: Some(pipeline.id),
                name: l.company.clone().unwrap_or_else(|| l.name.clone()),
                amount: l.deal_amount,
                currency: Currency::CNY,
                expected_close: Some(today + Duration::days(60)),
            };
            let how = ConvertLead {
                customer_id: None,
                deal: Some(deal.clone()),
            };
            match store.convert_lead(ctx, lead.id, None, how).await {
                Ok(_) => {}
                // The number belongs to a generated customer already: convert into them.
                Err(StoreError::Conflict {
                    reason: guanxi_core::Reason::Duplicate { customer_id },
                    ..
                }) => {
                    let how = ConvertLead {
                        customer_id: Some(guanxi_core::CustomerId(customer_id)),
                        deal: Some(deal),
                    };
                    store.convert_lead(ctx, lead.id, None, how).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    for (i, d) in plan.deals.iter().enumerate() {
        let (customer, owner) = pool[d.customer];
        let owner = owner
            .filter(|o| sellers.contains(o))
            .unwrap_or(sellers[i % sellers.len()]);
        let opp = store
            .create_opportunity(
                ctx,
                NewOpportunity {
                    customer_id: customer,
                    pipeline_id: pipeline.id,
                    stage_id: None,
                    name: d.name.clone(),
                    amount: d.amount,
                    currency: Currency::CNY,
                    expected_close: Some(today + Duration::days(d.close_in_days)),
                    owner_id: Some(owner),
                },
            )
            .await?;
        if d.stage > 0 {
            let stage = pipeline.stages[d.stage.min(pipeline.stages.len() - 1)].id;
            store
                .move_opportunity(ctx, opp.id, None, stage, d.reason.map(str::to_owned))
                .await?;
        }
    }
    // A few key accounts with their plan.
    for (i, (customer, _)) in pool.iter().take(5).enumerate() {
        store
            .save_account_plan(
                ctx,
                *customer,
                None,
                guanxi_store::AccountPlanPatch {
                    goals: Some(Some("年度采购额增长 20%，新增两个产品线".into())),
                    key_contacts: Some(Some("采购总监（决策人）；IT 经理（技术评估）".into())),
                    service_plan: Some(Some(
                        "每月一次上门拜访，季度业务回顾，专属客服 7×24 响应".into(),
                    )),
                    last_review: Some(Some(today - Duration::days(30 + i as i64))),
                    next_review: Some(Some(today + Duration::days(60 + i as i64))),
                },
            )
            .await?;
    }
    let now = Utc::now();
    for a in &plan.activities {
        store
            .create_activity(
                ctx,
                NewActivity {
                    kind: guanxi_core::pipeline::ActivityKind::parse(a.kind)
                        .map_err(|_| anyhow::anyhow!("activity kind"))?,
                    subject: a.subject.clone(),
                    note: None,
                    customer_id: a.customer.map(|c| pool[c].0),
                    opportunity_id: None,
                    lead_id: None,
                    assignee_id: Some(sellers[a.assignee]),
                    due_at: now + Duration::minutes(a.due_in_minutes),
                    duration_min: 30,
                    remind_at: None,
                },
            )
            .await?;
    }
    Ok(())
}

pub async fn run(settings: &Settings, args: DemoArgs) -> anyhow::Result<()> {
    let store = crate::server::open_store(settings).await?;
    let existing = store
        .list_orgs()
        .await?
        .into_iter()
        .find(|o| o.name == DEMO_ORG);
    match existing {
        Some(o) => eprintln!(
            "Demo organisation already present (id {}); keeping its data and passwords. Delete the \
             database file to start afresh, or set a password with `guanxi admin reset-password`.",
            o.id
        ),
        None => {
            let started = Instant::now();
            eprintln!(
                "Generating {} demo customers (seed {})…",
                args.customers, args.seed
            );
            let generated = args.password.is_none();
            let raw = args
                .password
                .clone()
                .unwrap_or_else(crate::admin::generated_password);
            let password = Password::parse(&raw, "")
                .map_err(|r| anyhow::anyhow!("--password {}", r.message(Lang::En)))?;
            let (ctx, logins) = populate(
                &store,
                DEMO_ORG,
                Populate {
                    customers: args.customers,
                    seed: args.seed,
                    interactions_per_customer: args.interactions_per_customer,
                    batch: 1000,
                    password: Some(&password),
                    orders: true,
                    order_rate: 1.0,
                    bulk_opportunities: 0,
                },
                |c, i| {
                    if c % 50_000 == 0 {
                        eprintln!("  {c} customers, {i} interactions");
                    }
                },
            )
            .await
            .context("generating demo data")?;
            eprintln!(
                "Demo organisation {} ready in {:.1} s.",
                ctx.org,
                started.elapsed().as_secs_f64()
            );
            // Score the customers at once, so that the dashboards have something to show.
            let scored = guanxi_api::analysis::run(
                std::sync::Arc::new(store.clone()),
                &std::sync::Arc::new(guanxi_api::analysis::Runs::default()),
                ctx,
                &crate::analyze::settings_of(settings),
                None,
                std::sync::Arc::new(|_| {}),
            )
            .await
            .map_err(|e| anyhow::anyhow!("scoring the demo customers: {e}"))?;
            eprintln!(
                "Scored {} customers from {} purchases (run {}).",
                scored.write.scored,
                scored.run.purchases,
                scored.run.id.get()
            );
            // And fill the warehouse, so that `guanxi warehouse sql` answers at once (nothing
            // else writes now, so the window may end at the store's clock).
            // A warehouse already there was filled from another database (a demo started
            // again after its database file was removed): its facts would mix with these.
            // It is derived data, so it is set aside and rebuilt from this database.
            let dir = std::path::Path::new(&settings.warehouse_dir);
            let existing = guanxi_warehouse::Warehouse::open(dir)
                .with_context(|| format!("opening the warehouse in {}", dir.display()))?;
            let wh = if existing.status()?.load_seq > 0 {
                let aside = format!(
                    "{}.before-{}",
                    settings.warehouse_dir,
                    chrono::Utc::now().format("%Y%m%d%H%M%S")
                );
                std::fs::rename(dir, &aside)
                    .with_context(|| format!("setting the old warehouse aside as {aside}"))?;
                eprintln!("The warehouse held other data; it is kept as {aside} and rebuilt.");
                guanxi_warehouse::Warehouse::open(dir)
                    .with_context(|| format!("opening the warehouse in {}", dir.display()))?
            } else {
                existing
            };
            let loaded = crate::warehouse::load(&store, &wh, std::time::Duration::ZERO, |_| {})
                .await
                .context("loading the demo data into the warehouse")?;
            eprintln!(
                "Loaded {} orders and {} interactions into the warehouse ({}) in {:.1} s.",
                loaded.orders, loaded.interactions, settings.warehouse_dir, loaded.seconds
            );
            println!(
                "\nSign in as any of these demo users (password {}):",
                if generated {
                    "generated for this run"
                } else {
                    "as given"
                }
            );
            for l in &logins {
                println!("  {:<34} {:<6} {}", l.email, l.name, l.role.label(Lang::En));
            }
            println!("  password: {}\n", password.expose());
        }
    }
    if args.no_serve {
        return Ok(());
    }
    eprintln!(
        "Open http://{}/api/docs to browse the API, or try: curl 'http://{}/api/v1/customers?q=张&limit=5'",
        settings.listen, settings.listen
    );
    crate::server::serve(settings, store).await
}

/// Bulk-load `n` opportunities over the organisation's customers, in the default pipeline:
/// three in five open (spread over the stages), the rest won or lost over the last two years,
/// expected to close within the next year.
pub async fn load_opportunities(
    store: &SqlStore,
    ctx: Ctx,
    sellers: &[guanxi_core::UserId],
    seed: u64,
    n: usize,
) -> anyhow::Result<()> {
    use chrono::{Duration, Utc};
    use guanxi_core::pipeline::{OpportunityStatus, StageKind};
    use rand::{Rng, SeedableRng};
    let range: (Option<i64>, Option<i64>) = store.customer_id_range(ctx).await?;
    let (Some(lo), Some(hi)) = range else {
        return Ok(());
    };
    let pipeline = store
        .list_pipelines(ctx)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no pipeline"))?;
    let open: Vec<_> = pipeline
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Open)
        .collect();
    let won = pipeline.stages.iter().find(|s| s.kind == StageKind::Won);
    let lost = pipeline.stages.iter().find(|s| s.kind == StageKind::Lost);
    let (Some(won), Some(lost)) = (won, lost) else {
        return Ok(());
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x0bb0);
    let now = Utc::now();
    let today = now.date_naive();
    let mut done = 0;
    while done < n {
        let k = (n - done).min(20_000);
        let rows = (0..k)
            .map(|_| {
                let roll: f64 = rng.gen();
                let created = now - Duration::days(rng.gen_range(1..730));
                let (stage, status) = if roll < 0.6 {
                    (
                        open[rng.gen_range(0..open.len())].id,
                        OpportunityStatus::Open,
                    )
                } else if roll < 0.8 {
                    (won.id, OpportunityStatus::Won)
                } else {
                    (lost.id, OpportunityStatus::Lost)
                };
                let closed = (status != OpportunityStatus::Open)
                    .then(|| created + Duration::days(rng.gen_range(1..120)));
                guanxi_store::BulkOpportunity {
                    customer_id: guanxi_core::CustomerId(rng.gen_range(lo..=hi)),
                    stage_id: stage,
                    status,
                    name: "年度采购".into(),
                    amount: rng.gen_range(1..2_000) * 10_000,
                    currency: Currency::CNY,
                    expected_close: Some(today + Duration::days(rng.gen_range(-30..365))),
                    owner_id: (!sellers.is_empty())
                        .then(|| sellers[rng.gen_range(0..sellers.len())]),
                    created_at: created,
                    closed_at: closed.map(|c| c.min(now)),
                    close_reason: match status {
                        OpportunityStatus::Lost => Some("价格高于竞争对手".into()),
                        OpportunityStatus::Won => Some("方案领先".into()),
                        OpportunityStatus::Open => None,
                    },
                }
            })
            .collect();
        done += store.bulk_opportunities(ctx, pipeline.id, rows).await? as usize;
    }
    Ok(())
}
