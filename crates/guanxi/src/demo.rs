//! `guanxi demo`: a demo organisation with generated data, then the server.

use anyhow::Context;
use guanxi_config::Settings;
use guanxi_core::{Currency, Lang};
use guanxi_store::{Ctx, NewOrg, NewUser, Store};
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
}

/// Create `name` with its staff and `customers` generated customers; returns the org context.
pub async fn populate(
    store: &SqlStore,
    name: &str,
    customers: usize,
    seed: u64,
    interactions_per_customer: f64,
    batch: usize,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<Ctx> {
    let org = store
        .create_org(NewOrg {
            name: name.into(),
            locale: Lang::ZhCn,
            currency: Currency::CNY,
            time_zone: "Asia/Shanghai".into(),
        })
        .await?;
    let ctx = Ctx::new(org.id);
    let mut staff = Vec::new();
    for (name, email) in guanxi_demo::demo_staff() {
        staff.push(store.create_user(ctx, NewUser { name, email }).await?.id);
    }
    let mut generator = guanxi_demo::DemoGenerator::new(guanxi_demo::DemoConfig {
        customers,
        seed,
        staff,
        now: chrono::Utc::now(),
        years: 3,
        interactions_per_customer,
    });
    let (mut done_c, mut done_i) = (0u64, 0u64);
    while let Some(b) = generator.next_batch(batch) {
        let stats = store.bulk_load(ctx, b).await?;
        done_c += stats.customers;
        done_i += stats.interactions;
        progress(done_c, done_i);
    }
    store.analyze().await?;
    Ok(ctx)
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
            "Demo organisation already present (id {}); keeping its data. Delete the database file to start afresh.",
            o.id
        ),
        None => {
            let started = Instant::now();
            eprintln!(
                "Generating {} demo customers (seed {})…",
                args.customers, args.seed
            );
            let ctx = populate(
                &store,
                DEMO_ORG,
                args.customers,
                args.seed,
                args.interactions_per_customer,
                1000,
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
