use guanxi_core::{DomainError, Reason};
use thiserror::Error;

/// What can go wrong in the storage layer. Mapped to HTTP in one place (`guanxi-api`).
#[derive(Debug, Error)]
pub enum StoreError {
    /// The entity does not exist in this organisation (or is deleted). Another organisation's
    /// ids answer exactly like ids that never existed.
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// The caller's version is stale; nothing was changed.
    #[error("version mismatch: expected {expected}, current {current}")]
    VersionMismatch { expected: i64, current: i64 },
    /// The input is well-formed but refused by a rule that needs the stored data (unknown
    /// owner, custom field not defined, …).
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// The change would break a uniqueness rule: a contact point already held by another
    /// customer, a duplicate key.
    #[error("conflict on {field}")]
    Conflict { field: String, reason: Reason },
    /// The database cannot be reached or timed out.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or a broken database. Logged, never shown in detail.
    #[error("storage failure: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn invalid(field: impl Into<String>, reason: Reason) -> Self {
        Self::Invalid(DomainError::field(field, reason))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
