#![forbid(unsafe_code)]
//! `guanxi-cluster`: a Ballista scheduler or executor for Guanxi's warehouse (see the crate
//! docs in `lib.rs` and `README.md`). Logs go to stderr (`--log`, or `RUST_LOG`); the one line
//! `scheduler listening on HOST:PORT` goes to stdout once the scheduler accepts connections.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use ballista_scheduler::scheduler_process::start_server;
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Ballista's binaries run their runtime with 32 MiB thread stacks: planning and (de)serialising
/// deep plans recurses far.
const THREAD_STACK_BYTES: usize = 32 * 1024 * 1024;

#[derive(Parser, Debug)]
#[command(
    name = "guanxi-cluster",
    version,
    about = "A Ballista scheduler or executor for Guanxi's warehouse"
)]
struct Cli {
    /// Log filter (`info`, `warn,ballista=info`, …); `RUST_LOG` takes precedence.
    #[arg(long, global = true, default_value = "info")]
    log: String,
    /// Exit when standard input closes: a supervisor (or a test) that dies, even killed,
    /// takes the process with it.
    #[arg(long, global = true)]
    exit_on_stdin_close: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the scheduler: clients send it queries, executors register with it.
    Scheduler(SchedulerArgs),
    /// Run an executor that registers with a scheduler and runs its tasks.
    Executor(ExecutorArgs),
}

#[derive(Args, Debug)]
struct SchedulerArgs {
    /// Address to listen on (gRPC for clients and executors, and `GET /readyz`).
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Port to listen on.
    #[arg(long, default_value_t = 50050)]
    port: u16,
    /// Host name others reach this scheduler by (default: the bind address, or `localhost`
    /// when binding all interfaces).
    #[arg(long)]
    external_host: Option<String>,
    /// Executors that must be alive before `GET /readyz` answers 200.
    #[arg(long, default_value_t = 1)]
    min_ready_executors: usize,
    /// How tasks are given to executors: `bias` fills one executor's free slots first,
    /// `round-robin` gives one task to each executor in turn.
    #[arg(long, value_enum, default_value_t = Distribution::Bias)]
    task_distribution: Distribution,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Distribution {
    Bias,
    RoundRobin,
}

#[derive(Args, Debug)]
struct ExecutorArgs {
    /// The scheduler's host.
    #[arg(long, default_value = "127.0.0.1")]
    scheduler_host: String,
    /// The scheduler's port.
    #[arg(long, default_value_t = 50050)]
    scheduler_port: u16,
    /// Seconds to keep trying to reach the scheduler at start-up (0: try once).
    #[arg(long, default_value_t = 60)]
    scheduler_connect_timeout: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Host name the scheduler and clients reach this executor by (default: the bind address;
    /// when binding all interfaces, the address the scheduler sees the executor connect from).
    #[arg(long)]
    external_host: Option<String>,
    /// Arrow Flight port: shuffle data and results are fetched from it.
    #[arg(long, default_value_t = 50051)]
    port: u16,
    /// gRPC port the scheduler pushes tasks to.
    #[arg(long, default_value_t = 50052)]
    grpc_port: u16,
    /// Tasks run at once (task slots); 0 = the number of cores.
    #[arg(long, default_value_t = 0)]
    concurrency: usize,
    /// Directory for shuffle files (created if missing; default: a temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Memory pool of the process in bytes, split between the task slots (default: a fraction
    /// of the machine's or cgroup's memory; 0 = unbounded).
    #[arg(long)]
    memory_pool_bytes: Option<u64>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(&cli.log)?;
    if cli.exit_on_stdin_close {
        exit_on_stdin_close()?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(THREAD_STACK_BYTES)
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Scheduler(args) => scheduler(args).await,
            Command::Executor(args) => executor(args).await,
        }
    })
}

fn init_logging(default: &str) -> anyhow::Result<()> {
    let filter = match std::env::var(EnvFilter::DEFAULT_ENV) {
        Ok(env) if !env.trim().is_empty() => EnvFilter::try_new(env),
        _ => EnvFilter::try_new(default),
    }
    .context("invalid log filter")?;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| anyhow!("cannot set up logging: {e}"))
}

async fn scheduler(args: SchedulerArgs) -> anyhow::Result<()> {
    let addr = SocketAddr::new(args.bind, args.port);
    let external_host = args.external_host.unwrap_or_else(|| {
        if args.bind.is_unspecified() {
            "localhost".to_owned()
        } else {
            args.bind.to_string()
        }
    });
    let mut config = SchedulerConfig::default()
        .with_hostname(external_host)
        .with_port(args.port)
        .with_task_distribution(match args.task_distribution {
            Distribution::Bias => TaskDistributionPolicy::Bias,
            Distribution::RoundRobin => TaskDistributionPolicy::RoundRobin,
        });
    config.bind_host = args.bind.to_string();
    config.min_ready_executors = args.min_ready_executors;
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| anyhow!("cannot set up the scheduler's state: {e}"))?;
    let mut server = tokio::spawn(start_server(cluster, addr, Arc::new(config)));

    // `start_server` binds and serves in one call; tell the caller once connections are taken.
    let probe = SocketAddr::new(
        match args.bind {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        },
        args.port,
    );
    loop {
        if server.is_finished() {
            return finished(server.await);
        }
        if tokio::net::TcpStream::connect(probe).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tracing::info!("scheduler listening on {addr}");
    let mut stdout = std::io::stdout();
    writeln!(stdout, "scheduler listening on {addr}")?;
    stdout.flush()?;

    tokio::select! {
        result = &mut server => finished(result),
        () = shutdown_signal() => {
            tracing::info!("scheduler stopping on a signal");
            server.abort();
            Ok(())
        }
    }
}

fn finished<E: std::fmt::Display>(
    result: Result<Result<(), E>, tokio::task::JoinError>,
) -> anyhow::Result<()> {
    match result {
        Ok(Ok(())) => bail!("the scheduler stopped"),
        Ok(Err(e)) => Err(anyhow!("the scheduler failed: {e}")),
        Err(e) => Err(anyhow!("the scheduler task failed: {e}")),
    }
}

async fn executor(args: ExecutorArgs) -> anyhow::Result<()> {
    let work_dir = match args.work_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create the work directory {}", dir.display()))?;
            Some(
                dir.to_str()
                    .ok_or_else(|| anyhow!("the work directory must be valid UTF-8"))?
                    .to_owned(),
            )
        }
        None => None,
    };
    let external_host = args
        .external_host
        .or_else(|| (!args.bind.is_unspecified()).then(|| args.bind.to_string()));
    wait_for_scheduler(
        &args.scheduler_host,
        args.scheduler_port,
        Duration::from_secs(args.scheduler_connect_timeout.into()),
    )
    .await?;
    let config = ExecutorProcessConfig {
        bind_host: args.bind.to_string(),
        external_host,
        port: args.port,
        grpc_port: args.grpc_port,
        scheduler_host: args.scheduler_host,
        scheduler_port: args.scheduler_port,
        // Waited for above; Ballista's own retry loop never gives up (it measures from now).
        scheduler_connect_timeout_seconds: 0,
        vcores: args.concurrency,
        work_dir,
        memory_pool_size: args.memory_pool_bytes,
        ..ExecutorProcessConfig::default()
    };
    tracing::info!(
        "executor {} starting: flight {}:{}, grpc {}:{}, scheduler {}:{}",
        config.executor_id,
        config.bind_host,
        config.port,
        config.bind_host,
        config.grpc_port,
        config.scheduler_host,
        config.scheduler_port
    );
    // Runs until SIGINT/SIGTERM or the scheduler stops it; handles those signals itself.
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| anyhow!("the executor failed: {e}"))
}

/// Reads standard input on a thread of its own and exits the process at its end.
fn exit_on_stdin_close() -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("stdin-watch".to_owned())
        .spawn(|| {
            let mut sink = std::io::sink();
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut sink);
            tracing::warn!("standard input closed: exiting");
            std::process::exit(0);
        })
        .context("cannot watch standard input")?;
    Ok(())
}

/// Waits until the scheduler's port accepts connections, for at most `timeout`.
async fn wait_for_scheduler(host: &str, port: u16, timeout: Duration) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::net::TcpStream::connect((host, port)).await {
            Ok(_) => return Ok(()),
            Err(e) if tokio::time::Instant::now() >= deadline => {
                bail!("cannot reach the scheduler at {host}:{port}: {e}")
            }
            Err(e) => {
                tracing::info!("waiting for the scheduler at {host}:{port}: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// SIGINT or (on Unix) SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
