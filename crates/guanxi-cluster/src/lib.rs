#![forbid(unsafe_code)]
//! # Guanxi's warehouse on a cluster (Apache DataFusion Ballista)
//!
//! The warehouse ([`guanxi_warehouse`]) runs its queries in one process with DataFusion. For
//! data that outgrows one machine the same queries can run on Ballista, DataFusion's
//! distributed engine: a **scheduler** takes a query's logical plan, plans it into stages and
//! hands the stages' tasks to **executors**, which read the Parquet files, exchange shuffle
//! data with each other over Arrow Flight, and hold the final result for the client to fetch.
//!
//! This crate has the two halves:
//! - the `guanxi-cluster` binary (`src/main.rs`) starts a scheduler (`guanxi-cluster scheduler`)
//!   or an executor (`guanxi-cluster executor`), built on the Ballista libraries;
//! - this library makes the client side: [`remote_context`] is a Ballista session configured
//!   like [`guanxi_warehouse::local_context`], and [`run_sql`] runs an analyst's query through
//!   [`Warehouse::sql_in`] in such a session, so exactly the same read-only checks, the same
//!   per-organisation table registration and the same row and time limits apply as locally.
//!
//! ## Deployment
//!
//! **Every process must see the warehouse directory at the same absolute path.** The client
//! (the `guanxi` CLI or server) reads `manifest.json` and registers, for the organisation
//! asked for, listing tables over the committed `load=N` directories as absolute `file://`
//! paths. The scheduler lists those directories when it plans (it receives the logical plan,
//! not file lists), and the executors read the Parquet files. So mount one shared file system
//! (NFS, CephFS, a cloud file share) at the same path on all machines, or run everything on
//! one machine. Object stores (S3 and the like) are not compiled in yet; they need Ballista's
//! object store support and `s3://` table paths in the warehouse.
//!
//! Start one scheduler and any number of executors (each with its own ports and a local work
//! directory for shuffle files):
//!
//! ```text
//! guanxi-cluster scheduler --bind 0.0.0.0 --port 50050 --external-host sched.example
//! guanxi-cluster executor --scheduler-host sched.example --scheduler-port 50050 \
//!     --bind 0.0.0.0 --external-host node1.example --port 50051 --grpc-port 50052 \
//!     --concurrency 8 --work-dir /var/tmp/guanxi-executor
//! ```
//!
//! then point the client at `df://sched.example:50050`. The client talks gRPC to the
//! scheduler **and** fetches results from the executors' Flight port (`--port`) directly, so it
//! must reach both. Each executor registers with the scheduler when it starts; the scheduler's
//! `GET /readyz` (plain HTTP on the scheduler port) answers `ready: N executors registered`
//! once `--min-ready-executors` are alive.
//!
//! There is no authentication between the processes: keep the ports on a private network.
//! The organisation boundary is kept by the client, which registers only one organisation's
//! tables in each session (the cluster runs whatever plan it is given).
//!
//! ## Limits
//!
//! [`Limits::max_rows`] and [`Limits::timeout`] are applied by the client as locally: past its
//! time the client drops the query and returns [`WarehouseError::Timeout`]. Ballista 55 does not
//! cancel the job when its client goes away: the cluster runs it to its end and the result is
//! never fetched (the executors' task slots, `--concurrency`, bound what such jobs take).
//! [`Limits::max_memory_bytes`] applies to the client's session only: executors size their own
//! memory pool per process (`--memory-pool-bytes`, by default a fraction of the machine's
//! memory, split between the task slots), so the cluster's operator bounds memory there.

use ballista::prelude::SessionContextExt;
use datafusion::prelude::SessionContext;
use guanxi_warehouse::{local_context, Limits, QueryResult, Warehouse, WarehouseError};

pub use ballista;
pub use ballista_executor;
pub use ballista_scheduler;

/// The scheme the Guanxi CLI uses for a scheduler URL (`df://host:port`); Ballista accepts any
/// scheme and only reads the host and the port (50050 when none is given).
pub const URL_SCHEME: &str = "df";

/// The scheduler's port when a URL names none.
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;

/// A DataFusion session whose queries run on the Ballista cluster whose scheduler is at
/// `scheduler_url` (`df://host:port`, or just `host:port`).
///
/// It is [`local_context`] upgraded for Ballista: the same batch size, target partitions (the
/// number of partitions each stage is split into; the client's core count, as locally),
/// information schema and client-side memory limit, plus the settings Ballista needs (no
/// round-robin repartition, no view types, sort-merge joins). It holds no tables, as
/// [`Warehouse::sql_in`] requires. Making it does not connect: an unreachable scheduler is
/// reported by the first query.
pub async fn remote_context(
    scheduler_url: &str,
    limits: &Limits,
) -> guanxi_warehouse::Result<SessionContext> {
    let url = normalise_url(scheduler_url);
    let state = local_context(limits)?.state();
    SessionContext::remote_with_state(&url, state)
        .await
        .map_err(|e| WarehouseError::Engine {
            message: format!("cannot make a session for the Ballista scheduler at {url}: {e}"),
        })
}

/// Runs one read-only query of organisation `org_id` on the cluster at `scheduler_url`:
/// [`Warehouse::sql_in`] in a fresh [`remote_context`], so the text is checked as locally (a
/// write, DDL or `COPY` is refused before anything reaches the cluster) and only that
/// organisation's tables are reachable.
pub async fn run_sql(
    warehouse: &Warehouse,
    scheduler_url: &str,
    org_id: i64,
    query: &str,
    limits: &Limits,
) -> guanxi_warehouse::Result<QueryResult> {
    let ctx = remote_context(scheduler_url, limits).await?;
    warehouse.sql_in(ctx, org_id, query, limits).await
}

/// `host:port` becomes `df://host:port`; a URL with a scheme is kept.
fn normalise_url(url: &str) -> String {
    let url = url.trim();
    if url.contains("://") {
        url.to_owned()
    } else {
        format!("{URL_SCHEME}://{url}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_get_a_scheme() {
        assert_eq!(normalise_url("127.0.0.1:50050"), "df://127.0.0.1:50050");
        assert_eq!(normalise_url(" df://h:1 "), "df://h:1");
        assert_eq!(normalise_url("http://h:1"), "http://h:1");
    }

    #[tokio::test]
    async fn a_remote_context_is_made_without_connecting() {
        let ctx = remote_context("df://127.0.0.1:1", &Limits::default())
            .await
            .expect("context");
        let local = local_context(&Limits::default()).expect("local");
        let (remote, local) = (ctx.copied_config(), local.copied_config());
        assert_eq!(remote.batch_size(), local.batch_size());
        assert_eq!(remote.target_partitions(), local.target_partitions());
        assert!(remote.information_schema());
    }
}
