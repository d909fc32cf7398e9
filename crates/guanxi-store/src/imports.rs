//! Imports as resumable jobs, the duplicate review queue and erasure: the model the store
//! speaks. Reading files is `guanxi-import`'s; deciding per row against the database is the
//! store's.

use crate::{ImportCustomer, ImportPolicy};
use chrono::{DateTime, NaiveDateTime, Utc};
use guanxi_core::contact::ContactValue;
use guanxi_core::interaction::{Channel, Direction};
use guanxi_core::order::OrderStatus;
use guanxi_core::{
    Currency, CustomerId, DuplicateId, DuplicateScanId, ImportJobId, ImportKind, OrgId, UserId,
};
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
    /// What the file holds: customers, leads, orders or interactions.
    pub kind: ImportKind,
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
    /// Customers created because orders or interactions of the file named people Guanxi did
    /// not know yet (files of those kinds only).
    pub customers: u64,
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
        self.customers += o.customers;
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
    pub kind: ImportKind,
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
    /// When the uploaded file was deleted because it waited longer than the retention period;
    /// the job can no longer be started or resumed (the file has to be uploaded again).
    pub file_removed_at: Option<DateTime<Utc>>,
    /// Running in the database but silent for longer than [`IMPORT_HEARTBEAT_SECS`]: its
    /// process stopped, and it can be resumed.
    pub interrupted: bool,
}

/// A job whose uploaded file has waited past the retention period (see
/// [`crate::Store::stale_import_files`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaleImportFile {
    pub org: OrgId,
    pub id: ImportJobId,
    pub path: String,
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

/// Who an imported order or interaction belongs to. Found by its phone, e-mail or WeChat id
/// when it has any (and created with them when nobody holds them); without any, by its exact
/// name when exactly one customer has it (created when none does, refused when several do).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportCustomerRef {
    pub name: Option<String>,
    pub company: Option<String>,
    pub contacts: Vec<ContactValue>,
}

/// A lead read from a file. A lead with the phone, e-mail or WeChat id of an existing lead is
/// that lead (reported as matched, never created twice).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportLead {
    pub name: String,
    pub company: Option<String>,
    pub title: Option<String>,
    pub phone: Option<ContactValue>,
    pub email: Option<ContactValue>,
    pub wechat: Option<ContactValue>,
    pub region: Option<String>,
    /// A source code or name of the organisation's list; `import` when the file has none.
    pub source: Option<String>,
    pub note: Option<String>,
}

/// One line of an imported order: what was bought and what the line came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportOrderLine {
    pub description: String,
    pub quantity: i64,
    /// The line's total as a decimal (`1234.50`), read in the order's currency.
    pub amount: String,
}

/// An order read from a file: one row, or consecutive rows with the same order number (one
/// line each). An order number seen before is that order (matched, not created again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportOrder {
    pub customer: ImportCustomerRef,
    pub external_id: Option<String>,
    /// Local time in the organisation's time zone.
    pub placed: NaiveDateTime,
    /// The organisation's currency when `None`.
    pub currency: Option<Currency>,
    /// `completed` when the file does not say (a history of past orders).
    pub status: Option<OrderStatus>,
    pub note: Option<String>,
    pub lines: Vec<ImportOrderLine>,
}

/// An interaction read from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportInteraction {
    pub customer: ImportCustomerRef,
    /// Local time in the organisation's time zone.
    pub occurred: NaiveDateTime,
    pub channel: Channel,
    pub direction: Direction,
    pub subject: Option<String>,
    pub body: String,
    pub duration_seconds: Option<i64>,
}

/// One record of a file of leads, orders or interactions, as the reader decided.
// Records are made once and moved into a chunk; boxing them would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum RecordItem {
    Lead {
        line: u64,
        lead: ImportLead,
    },
    Order {
        line: u64,
        order: ImportOrder,
    },
    Interaction {
        line: u64,
        interaction: ImportInteraction,
    },
    Rejected {
        line: u64,
        reasons: Vec<Said>,
    },
    Skipped {
        line: u64,
    },
}

/// Consecutive records of a file of leads, orders or interactions, written in one transaction
/// with the job's progress (a check runs the same writes and rolls them back).
#[derive(Clone, Debug)]
pub struct RecordChunk {
    /// The job's `rows_done` before this chunk (see [`ImportChunk::from_row`]).
    pub from_row: u64,
    /// Rows of the file the chunk covers (an order of three lines is three rows).
    pub rows: u64,
    pub bytes_done: u64,
    pub items: Vec<RecordItem>,
}

/// Most rows in one chunk of a customer file (decided and written in memory).
pub const IMPORT_CHUNK_MAX: usize = 200_000;
/// Most records in one chunk of a file of leads, orders or interactions.
pub const RECORD_CHUNK_MAX: usize = 20_000;
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

/// Where a scan of the whole organisation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    Running,
    Done,
    Failed,
}

impl ScanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => Self::Running,
            "done" => Self::Done,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

/// A running scan beats this often; one silent for [`SCAN_STALE_SECS`] was interrupted.
pub const SCAN_HEARTBEAT_SECS: u64 = 10;
pub const SCAN_STALE_SECS: i64 = 60;

/// A scan of the whole organisation for look-alike customers (`POST /duplicates/scan`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DuplicateScan {
    pub id: DuplicateScanId,
    pub status: ScanStatus,
    /// Running, but its process stopped beating (a restart): it will not finish, and the
    /// next scan may start.
    pub interrupted: bool,
    pub started_by: Option<UserId>,
    /// What it compared and found (zero while it runs).
    pub stats: ScanStats,
    /// Why it failed.
    pub error: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Which customers a scan compares with the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanScope {
    /// Every customer of the organisation.
    All,
    /// Customers with an id at or above this one (those created by an import), against all.
    From(CustomerId),
}
