//! Group commit for SQLite.
//!
//! SQLite has one writer at a time. With many clients logging interactions or posting orders
//! at once, each
//! transaction would wait for the write lock in SQLite's busy handler (which sleeps in
//! steps of milliseconds) and then pay its own fsync. Instead, one task owns the writing: it
//! takes every request that is waiting, runs each in its own savepoint inside one transaction,
//! commits once (one fsync for the group) and answers each caller. A request that fails rolls
//! back only its savepoint; a failed commit fails the whole group, and nothing of it is kept.

use crate::{db_err, Backend};
use guanxi_store::{Ctx, Interaction, NewInteraction, NewOrder, Order, Recognition, StoreError};
use sqlx::{Acquire, AnyPool};
use tokio::sync::{mpsc, oneshot};

/// Most requests committed together.
const GROUP_MAX: usize = 256;
/// Requests that may wait for the writer before callers are held back.
const QUEUE: usize = 4096;

type Reply = Result<(Interaction, Recognition), StoreError>;
type OrderReply = Result<(Order, bool), StoreError>;

/// One change to commit with the group, and where its answer goes.
enum Job {
    Interaction {
        ctx: Ctx,
        new: NewInteraction,
        reply: oneshot::Sender<Reply>,
    },
    Order {
        ctx: Ctx,
        new: NewOrder,
        reply: oneshot::Sender<OrderReply>,
    },
}

/// The outcome of one job, kept until the group commits.
enum Outcome {
    Interaction(Reply),
    Order(OrderReply),
}

#[derive(Clone)]
pub(crate) struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Start the writer task on the current Tokio runtime.
    pub(crate) fn spawn(pool: AnyPool, backend: Backend) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, backend, rx));
        Self { tx }
    }

    pub(crate) async fn log_interaction(&self, ctx: Ctx, new: NewInteraction) -> Reply {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job::Interaction { ctx, new, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the writer dropped the request".into()))?
    }

    pub(crate) async fn create_order(&self, ctx: Ctx, new: NewOrder) -> OrderReply {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job::Order { ctx, new, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the writer dropped the request".into()))?
    }
}

async fn run(pool: AnyPool, backend: Backend, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < GROUP_MAX {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let results = commit_group(&pool, backend, &mut jobs).await;
        match results {
            Ok(results) => {
                for (job, result) in jobs.into_iter().zip(results) {
                    match (job, result) {
                        (Job::Interaction { reply, .. }, Outcome::Interaction(r)) => {
                            let _ = reply.send(r);
                        }
                        (Job::Order { reply, .. }, Outcome::Order(r)) => {
                            let _ = reply.send(r);
                        }
                        // Outcomes are pushed in the order of the jobs, one of the same kind
                        // each; anything else is a bug, answered rather than hung.
                        (Job::Interaction { reply, .. }, _) => {
                            let _ = reply.send(Err(StoreError::Internal("writer mix-up".into())));
                        }
                        (Job::Order { reply, .. }, _) => {
                            let _ = reply.send(Err(StoreError::Internal("writer mix-up".into())));
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, group = jobs.len(), "group commit failed");
                let message = e.to_string();
                for job in jobs {
                    let err = StoreError::Unavailable(message.clone());
                    match job {
                        Job::Interaction { reply, .. } => {
                            let _ = reply.send(Err(err));
                        }
                        Job::Order { reply, .. } => {
                            let _ = reply.send(Err(err));
                        }
                    }
                }
            }
        }
    }
}

async fn commit_group(
    pool: &AnyPool,
    backend: Backend,
    jobs: &mut [Job],
) -> Result<Vec<Outcome>, StoreError> {
    let begin = match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    };
    let mut tx = pool.begin_with(begin).await.map_err(db_err)?;
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs.iter() {
        let mut sp = tx.begin().await.map_err(db_err)?;
        let outcome = match job {
            Job::Interaction { ctx, new, .. } => Outcome::Interaction(
                crate::interactions::log_one(&mut sp, backend, *ctx, new.clone()).await,
            ),
            Job::Order { ctx, new, .. } => Outcome::Order(
                crate::sales::create_order_in(&mut sp, backend, *ctx, new.clone()).await,
            ),
        };
        let ok = match &outcome {
            Outcome::Interaction(r) => r.is_ok(),
            Outcome::Order(r) => r.is_ok(),
        };
        if ok {
            sp.commit().await.map_err(db_err)?;
        } else {
            sp.rollback().await.map_err(db_err)?;
        }
        results.push(outcome);
    }
    tx.commit().await.map_err(db_err)?;
    Ok(results)
}
