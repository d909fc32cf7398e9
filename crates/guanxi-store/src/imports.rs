//! Imports as resumable jobs, the duplicate review queue and erasure: the model the store
//! speaks. Reading files is `guanxi-import`'s; deciding per row against the database is the
//! store's.

use crate::{ImportCustomer, ImportPolicy};
use chrono::{DateTime, Utc};
use guanxi_core::{CustomerId, DuplicateId, ImportJobId, OrgId, UserId};
use serde::{Deserialize, Serialize};

/// Where an import stands. An import whose process stopped (killed, crashed) stays `Running`
/// in the database; [`ImportJob::interrupted`] tells it apart by its heartbeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Running,
    Done,
    Failed,
    Cancelled,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => Self::Running,
            "done" => Self::Done,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }
}

/// What a run of a job does: check the file against the database and report (nothing is
/// written but the report), or import it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    Check,
    Import,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Check => "check",
            Self::Import => "import",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "check" => Self::Check,
            "import" => Self::Import,
            _ => return None,
        })
    }
}

impl ImportPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Skip => "skip",
            Self::FillEmpty => "fill",
            Self::Overwrite => "overwrite",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "skip" => Self::Skip,
            "fill" => Self::FillEmpty,
            "overwrite" => Self::Overwrite,
            _ => return None,
        })
    }
}

/// A job without a heartbeat for this long is taken as stopped (its process is gone).
pub const IMPORT_HEARTBEAT_SECS: i64 = 60;

/// What the caller knows about a file before its first row is written.
#[derive(Clone, Debug)]
pub struct NewImportJob {
    pub file_name: String,
    /// Where the file is kept so that the import can resume (the server's upload folder, or
    /// the path given to the command line).
    pub file_path: Option<String>,
    pub file_size: u64,
    /// Hex SHA-256 of the file: a resumed import refuses a file that changed.
    pub file_sha256: String,
    pub format: String,
    pub encoding: String,
    /// The column mapping, as `guanxi-import` writes it.
    pub mapping: serde_json::Value,
    pub policy: ImportPolicy,
    /// Check first (the web UI's dry run) or import at once (the command line).
    pub mode: ImportMode,
}

/// Counts of what an import did, complete even when the listed rows are capped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    /// New customers from rows of the file.
    pub created: u64,
    /// Company customers created because rows named them.
    pub companies: u64,
    /// Rows that matched an existing customer by phone, e-mail or WeChat id.
    pub matched: u64,
    /// Of those, customers that changed (policy fill or overwrite).
    pub updated: u64,
    /// Rows with the phone, e-mail or WeChat id of an earlier row, merged into it.
    pub same_as: u64,
    pub rejected: u64,
    /// Empty rows.
    pub skipped: u64,
    /// Possible duplicates put in the review queue.
    pub duplicates: u64,
}

impl ImportCounts {
    pub fn add(&mut self, o: &ImportCounts) {
        self.created += o.created;
        self.companies += o.companies;
        self.matched += o.matched;
        self.updated += o.updated;
        self.same_as += o.same_as;
        self.rejected += o.rejected;
        self.skipped += o.skipped;
        self.duplicates += o.duplicates;
    }

    /// Rows of the file accounted for.
    pub fn rows(&self) -> u64 {
        self.created + self.matched + self.same_as + self.rejected + self.skipped
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportJob {
    pub id: ImportJobId,
    pub org: OrgId,
    pub created_by: Option<UserId>,
    pub file_name: String,
    #[serde(skip)]
    pub file_path: Option<String>,
    pub file_size: u64,
    pub file_sha256: String,
    pub format: String,
    pub encoding: String,
    pub mapping: serde_json::Value,
    pub policy: ImportPolicy,
    pub mode: ImportMode,
    pub status: ImportStatus,
    /// Records of the file (after the header) written so far: where a resumed import goes on.
    pub rows_done: u64,
    pub bytes_done: u64,
    pub counts: ImportCounts,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Running in the database but silent for longer than [`IMPORT_HEARTBEAT_SECS`]: its
    /// process stopped, and it can be resumed.
    pub interrupted: bool,
}

/// A reason in both languages, rendered by the reader of the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Said {
    pub zh: String,
    pub en: String,
}

/// One record of a file, as the reader decided.
#[derive(Clone, Debug)]
pub enum ChunkRow {
    /// A customer to create, or to match with an existing one.
    Import {
        line: u64,
        row: ImportCustomer,
    },
    /// The same phone, e-mail or WeChat id as the row at `first_line`: merged into that
    /// customer under the policy.
    SameAs {
        line: u64,
        first_line: u64,
        row: ImportCustomer,
    },
    Rejected {
        line: u64,
        reasons: Vec<Said>,
    },
    Skipped {
        line: u64,
    },
}

/// Consecutive records of a file, written in one transaction with the job's progress.
#[derive(Clone, Debug)]
pub struct ImportChunk {
    /// The job's `rows_done` before this chunk: a chunk that does not follow on is refused
    /// (it was written already, or the job was resumed elsewhere).
    pub from_row: u64,
    /// Bytes of the file read when the chunk ends (for progress).
    pub bytes_done: u64,
    pub rows: Vec<ChunkRow>,
}

/// Most rows in one chunk.
pub const IMPORT_CHUNK_MAX: usize = 20_000;
/// Most report rows kept per job (the counts stay complete).
pub const IMPORT_REPORT_ROWS_MAX: u64 = 10_000;

/// One row of an import's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportRowNote {
    pub line: u64,
    /// `rejected`, `same_as`, `matched`, `updated` or `possible_duplicate`.
    pub outcome: String,
    pub customer_id: Option<CustomerId>,
    pub detail: serde_json::Value,
}

/// A saved column mapping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportMapping {
    pub id: i64,
    pub name: String,
    pub mapping: serde_json::Value,
}

/// Why two customers may be one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// The same name at the same company.
    SameNameCompany,
    /// The same name and phone numbers one digit apart (a typo, or two digits swapped).
    SimilarPhone,
    /// The same name and the same mailbox (with digits of its own, not just the pinyin of the
    /// name) at another domain.
    SimilarEmail,
}

impl DuplicateReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SameNameCompany => "same_name_company",
            Self::SimilarPhone => "similar_phone",
            Self::SimilarEmail => "similar_email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "same_name_company" => Self::SameNameCompany,
            "similar_phone" => Self::SimilarPhone,
            "similar_email" => Self::SimilarEmail,
            _ => return None,
        })
    }

    /// How sure, out of 100.
    pub fn score(self) -> i64 {
        match self {
            Self::SameNameCompany => 90,
            Self::SimilarPhone => 80,
            Self::SimilarEmail => 70,
        }
    }

    pub fn label(self, lang: guanxi_core::Lang) -> &'static str {
        match self {
            Self::SameNameCompany => lang.pick("姓名和公司相同", "Same name and company"),
            Self::SimilarPhone => lang.pick(
                "姓名相同，电话只差一位",
                "Same name, phone numbers one digit apart",
            ),
            Self::SimilarEmail => lang.pick(
                "姓名相同，邮箱用户名相同",
                "Same name, same mailbox at another domain",
            ),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateStatus {
    Open,
    Merged,
    Dismissed,
}

impl DuplicateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Merged => "merged",
            Self::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => Self::Open,
            "merged" => Self::Merged,
            "dismissed" => Self::Dismissed,
            _ => return None,
        })
    }
}

/// A customer as the review queue shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DuplicateSide {
    pub id: CustomerId,
    pub name: String,
    pub company: Option<String>,
    pub city: Option<String>,
    pub contacts: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DuplicateCandidate {
    pub id: DuplicateId,
    pub a: DuplicateSide,
    pub b: DuplicateSide,
    pub reason: DuplicateReason,
    pub score: i64,
    pub status: DuplicateStatus,
    /// `scan` or `import:<job id>`.
    pub found_by: String,
    pub created_at: DateTime<Utc>,
}

/// What a scan found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ScanStats {
    pub customers: u64,
    /// Groups of customers with the same name that were compared.
    pub groups: u64,
    pub pairs_compared: u64,
    /// New pairs put in the queue (pairs already there, in any status, are not repeated).
    pub found: u64,
}

/// Which customers a scan compares with the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanScope {
    /// Every customer of the organisation.
    All,
    /// Customers with an id at or above this one (those created by an import), against all.
    From(CustomerId),
}
