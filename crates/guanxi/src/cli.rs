//! The command line: `guanxi serve | migrate | demo | config | bench`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

use crate::{admin, analyze, bench, demo, import, server, warehouse};

#[derive(Parser)]
#[command(name = "guanxi", version, about = "Guanxi (关系): an integrated CRM", long_about = None)]
struct Cli {
    /// Settings file (TOML). Without it, ./guanxi.toml is read when present.
    #[arg(long, global = true, env = "GUANXI_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (migrates the database first).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Create a demo organisation with generated customers and interactions, then serve.
    Demo(demo::DemoArgs),
    /// Print the effective settings (secrets redacted).
    Config,
    /// Organisations, users and passwords, for the deployment's operator.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Customer files: check, import (resumable jobs), find look-alike customers.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Score every customer of an organisation with the decision-support models (RFM, value
    /// tiers, BG/NBD and Gamma-Gamma lifetime value, lifecycle, churn risk) and write the
    /// scores back.
    Analyze(analyze::AnalyzeArgs),
    /// The data warehouse (数据仓库): load what changed, run read-only SQL, show what it holds.
    #[command(subcommand)]
    Warehouse(warehouse::WarehouseCommand),
    /// Benchmarks: bulk loading, and a load run against a running server.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Parse the command line and run the command.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Import(cmd @ import::ImportCommand::Check { org: None, .. }) = cli.command {
        // Checking a file needs neither settings nor a runtime.
        return import::run(cmd);
    }
    let settings = guanxi_config::Settings::load(cli.config.as_deref())?;
    server::init_tracing(&settings);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve => {
                let store = server::open_store(&settings).await?;
                server::serve(&settings, store).await
            }
            Command::Migrate => {
                server::open_store(&settings).await?;
                println!("migrations applied");
                Ok(())
            }
            Command::Demo(args) => demo::run(&settings, args).await,
            Command::Config => {
                print!("{}", settings.to_redacted_toml());
                Ok(())
            }
            Command::Bench(cmd) => bench::run(&settings, cmd).await,
            Command::Analyze(args) => analyze::run(&settings, args).await,
            Command::Warehouse(cmd) => warehouse::run(&settings, cmd).await,
            Command::Admin(cmd) => admin::run(&settings, cmd).await,
            Command::Import(cmd) => import::run_with_store(&settings, cmd).await,
        }
    })
}
