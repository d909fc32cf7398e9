//! Storage ports of Guanxi.
//!
//! The [`Store`] trait is everything the application asks of a database, one method per use
//! case, each atomic: it either commits the change together with its domain event (the outbox)
//! or changes nothing. Implementations live in other crates (`guanxi-store-sql`); callers hold
//! an `Arc<dyn Store>` and never see a driver.

mod access;
mod error;
mod imports;
mod leads;
mod model;
mod sales;
mod scores;
pub mod warehouse;

pub use access::*;
pub use error::{StoreError, StoreResult};
pub use imports::*;
pub use leads::*;
pub use model::*;
pub use sales::*;
pub use scores::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use guanxi_core::{
    ApiTokenId, ContactPointId, CustomerId, DuplicateScanId, EventId, FieldDefId, InteractionId,
    OrgId, Reach, UserId,
};
use std::net::IpAddr;

/// Most customers one [`Store::customers_by_ids`] call returns.
pub const CUSTOMERS_BY_IDS_MAX: usize = 1000;

/// Who is acting, in which organisation, from where, and over which customers. Every call that
/// touches tenant data takes one; no query can reach a row of another organisation, and every
/// query over customers applies `reach`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ctx {
    pub org: OrgId,
    /// The signed-in user; `None` for the system itself (command line, demo data, jobs).
    pub actor: Option<UserId>,
    /// The API token the request came with, if any.
    pub token: Option<ApiTokenId>,
    pub ip: Option<IpAddr>,
    /// The customers this request may reach (from the permission table).
    pub reach: Reach,
}

impl Ctx {
    /// The system acting in `org`: reaches every customer.
    pub fn new(org: OrgId) -> Self {
        Self {
            org,
            actor: None,
            token: None,
            ip: None,
            reach: Reach::Org,
        }
    }
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend answers: `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;
    /// Rows per chunk (one transaction) of a customer import: the store knows what a commit
    /// costs it (see docs/PERFORMANCE.md).
    fn import_chunk_rows(&self) -> usize {
        10_000
    }
    /// The database answers a trivial query.
    async fn ping(&self) -> StoreResult<()>;

    // Organisations and users.
    async fn create_org(&self, new: NewOrg) -> StoreResult<Organisation>;
    async fn get_org(&self, id: OrgId) -> StoreResult<Organisation>;
    async fn list_orgs(&self) -> StoreResult<Vec<Organisation>>;
    async fn create_user(&self, ctx: Ctx, new: NewUser) -> StoreResult<User>;
    async fn list_users(&self, ctx: Ctx) -> StoreResult<Vec<User>>;
    async fn get_user(&self, ctx: Ctx, id: UserId) -> StoreResult<User>;
    /// Change a user; the last active administrator keeps the role and stays active.
    async fn update_user(&self, ctx: Ctx, id: UserId, patch: UserPatch) -> StoreResult<User>;
    /// Set a user's password hash and end their sessions (all but `keep_session`).
    async fn set_password(
        &self,
        ctx: Ctx,
        id: UserId,
        password_hash: String,
        keep_session: Option<i64>,
    ) -> StoreResult<()>;
    /// The password hash of a user of this organisation (to check the current password).
    async fn password_hash(&self, ctx: Ctx, id: UserId) -> StoreResult<Option<String>>;

    // Teams.
    async fn create_team(&self, ctx: Ctx, new: NewTeam) -> StoreResult<Team>;
    async fn list_teams(&self, ctx: Ctx) -> StoreResult<Vec<Team>>;

    // Signing in. These run before an organisation is known.
    /// The active or inactive user signing in with this (lower-cased) e-mail, in any
    /// organisation.
    async fn find_login(&self, email: &str) -> StoreResult<Option<Login>>;
    /// Open a session for `new.user`; audited as a sign-in.
    async fn create_session(&self, ctx: Ctx, new: NewSession) -> StoreResult<i64>;
    /// The user behind a session cookie's digest: `None` when unknown, expired, revoked or the
    /// user is deactivated.
    async fn session_user(&self, secret_hash: &str) -> StoreResult<Option<Authenticated>>;
    async fn end_session(&self, ctx: Ctx, session: i64) -> StoreResult<()>;
    /// The user behind an API token's digest; records its use (at most every few minutes).
    async fn token_user(&self, secret_hash: &str, ip: Option<IpAddr>) -> StoreResult<TokenCheck>;

    // Personal API tokens of the acting user.
    async fn create_token(&self, ctx: Ctx, new: NewApiToken) -> StoreResult<ApiToken>;
    async fn list_tokens(&self, ctx: Ctx) -> StoreResult<Vec<ApiToken>>;
    async fn revoke_token(&self, ctx: Ctx, id: ApiTokenId) -> StoreResult<ApiToken>;

    // Sales: the catalogue and orders.
    async fn create_product(&self, ctx: Ctx, new: NewProduct) -> StoreResult<Product>;
    async fn list_products(&self, ctx: Ctx, include_inactive: bool) -> StoreResult<Vec<Product>>;
    async fn update_product(
        &self,
        ctx: Ctx,
        id: guanxi_core::ProductId,
        patch: ProductPatch,
    ) -> StoreResult<Product>;
    /// Create an order for a customer within reach; `false` when an order with the same
    /// `external_id` existed already and is returned instead (nothing is written then).
    async fn create_order(&self, ctx: Ctx, new: NewOrder) -> StoreResult<(Order, bool)>;
    async fn get_order(&self, ctx: Ctx, id: guanxi_core::OrderId) -> StoreResult<Order>;
    /// A customer's orders, newest first.
    async fn customer_orders(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<Order>>;
    /// Move an order to `to` (see `OrderStatus::may_become`), if its version is `expected`.
    async fn set_order_status(
        &self,
        ctx: Ctx,
        id: guanxi_core::OrderId,
        expected_version: Option<i64>,
        to: guanxi_core::order::OrderStatus,
    ) -> StoreResult<Order>;

    // Quotes.
    async fn create_quote(&self, ctx: Ctx, new: NewQuote) -> StoreResult<Quote>;
    async fn get_quote(&self, ctx: Ctx, id: guanxi_core::QuoteId) -> StoreResult<Quote>;
    /// A customer's quotes, newest first.
    async fn customer_quotes(&self, ctx: Ctx, customer: CustomerId) -> StoreResult<Vec<Quote>>;
    /// Send, accept, reject or reopen a quote (see `QuoteStatus::may_become`).
    async fn set_quote_status(
        &self,
        ctx: Ctx,
        id: guanxi_core::QuoteId,
        expected_version: Option<i64>,
        to: guanxi_core::quote::QuoteStatus,
    ) -> StoreResult<Quote>;
    /// Turn a quote into an order (its lines, and a tax line when taxed) once.
    async fn order_quote(
        &self,
        ctx: Ctx,
        id: guanxi_core::QuoteId,
        expected_version: Option<i64>,
    ) -> StoreResult<(Quote, Order)>;

    // Pipelines and opportunities.
    async fn create_pipeline(&self, ctx: Ctx, new: NewPipeline) -> StoreResult<Pipeline>;
    async fn list_pipelines(&self, ctx: Ctx) -> StoreResult<Vec<Pipeline>>;
    async fn create_opportunity(&self, ctx: Ctx, new: NewOpportunity) -> StoreResult<Opportunity>;
    async fn get_opportunity(
        &self,
        ctx: Ctx,
        id: guanxi_core::OpportunityId,
    ) -> StoreResult<Opportunity>;
    /// Move an open opportunity to another stage of its pipeline; a won or lost stage closes
    /// it (`reason` is required to lose one). Every move is kept.
    async fn move_opportunity(
        &self,
        ctx: Ctx,
        id: guanxi_core::OpportunityId,
        expected_version: Option<i64>,
        to: guanxi_core::StageId,
        reason: Option<String>,
    ) -> StoreResult<Opportunity>;
    /// The kanban board of a pipeline: per stage, the open opportunities within reach (at most
    /// `per_stage`), their count and amounts.
    async fn board(
        &self,
        ctx: Ctx,
        pipeline: guanxi_core::PipelineId,
        per_stage: u32,
    ) -> StoreResult<Vec<BoardColumn>>;
    async fn customer_opportunities(
        &self,
        ctx: Ctx,
        customer: CustomerId,
    ) -> StoreResult<Vec<Opportunity>>;

    /// The forecast of a pipeline over the opportunities within reach.
    async fn forecast(&self, ctx: Ctx, pipeline: guanxi_core::PipelineId) -> StoreResult<Forecast>;

    // Activities and the calendar feed.
    /// Plan an activity for the actor or (within reach) another user, about a customer within
    /// reach when one is named.
    async fn create_activity(&self, ctx: Ctx, new: NewActivity) -> StoreResult<Activity>;
    /// A user's activities by due time (open ones unless `include_done`).
    async fn list_activities(&self, ctx: Ctx, query: ActivityQuery) -> StoreResult<Vec<Activity>>;
    /// Mark an activity done (the assignee, or someone whose reach covers them).
    async fn complete_activity(
        &self,
        ctx: Ctx,
        id: guanxi_core::ActivityId,
        expected_version: Option<i64>,
    ) -> StoreResult<Activity>;
    /// Activities about a customer or a lead within reach, latest due first, done ones too.
    async fn activities_about(&self, ctx: Ctx, about: About) -> StoreResult<Vec<Activity>>;
    /// Set (or replace) the digest of the actor's calendar feed secret.
    async fn set_calendar_feed(&self, ctx: Ctx, secret_hash: String) -> StoreResult<()>;
    /// The organisation and user of a calendar feed secret's digest.
    async fn calendar_feed_user(
        &self,
        secret_hash: &str,
    ) -> StoreResult<Option<(guanxi_core::OrgId, User)>>;

    // Key accounts.
    /// The plan and team of a customer within reach (an empty plan when none was saved).
    async fn account_plan(&self, ctx: Ctx, customer: CustomerId) -> StoreResult<AccountPlan>;
    async fn save_account_plan(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        expected_version: Option<i64>,
        patch: AccountPlanPatch,
    ) -> StoreResult<AccountPlan>;
    /// Add a user of the organisation to the account team (or change their role there).
    async fn add_account_member(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        user: UserId,
        role: String,
    ) -> StoreResult<AccountPlan>;
    async fn remove_account_member(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        user: UserId,
    ) -> StoreResult<AccountPlan>;

    // Leads.
    /// Capture a lead; without an owner, the assignment rules choose one (audited with the
    /// rule). Returns the customers and leads that share a contact point with it.
    async fn create_lead(&self, ctx: Ctx, new: NewLead) -> StoreResult<(Lead, Vec<LeadMatch>)>;
    async fn get_lead(&self, ctx: Ctx, id: guanxi_core::LeadId) -> StoreResult<Lead>;
    /// Leads within reach, newest first.
    async fn list_leads(&self, ctx: Ctx, query: LeadQuery) -> StoreResult<Vec<Lead>>;
    async fn update_lead(
        &self,
        ctx: Ctx,
        id: guanxi_core::LeadId,
        expected_version: Option<i64>,
        patch: LeadPatch,
    ) -> StoreResult<Lead>;
    /// Customers and other leads sharing a phone, e-mail or WeChat id with the lead.
    async fn lead_matches(&self, ctx: Ctx, id: guanxi_core::LeadId) -> StoreResult<Vec<LeadMatch>>;
    /// Turn a lead into a customer (new, or the matched one given) and, when asked, an
    /// opportunity, in one transaction; the lead's activities move to the customer.
    async fn convert_lead(
        &self,
        ctx: Ctx,
        id: guanxi_core::LeadId,
        expected_version: Option<i64>,
        how: ConvertLead,
    ) -> StoreResult<Conversion>;
    async fn list_lead_sources(&self, ctx: Ctx) -> StoreResult<Vec<LeadSource>>;
    /// Add a source or rename / (de)activate one, by code.
    async fn save_lead_source(&self, ctx: Ctx, source: LeadSource) -> StoreResult<LeadSource>;
    async fn create_web_form(&self, ctx: Ctx, new: NewWebForm) -> StoreResult<WebForm>;
    async fn list_web_forms(&self, ctx: Ctx) -> StoreResult<Vec<WebForm>>;
    /// The organisation and active form behind a public form key.
    async fn web_form_by_key(
        &self,
        key: &str,
    ) -> StoreResult<Option<(guanxi_core::OrgId, WebForm)>>;
    async fn create_lead_rule(&self, ctx: Ctx, new: NewLeadRule) -> StoreResult<LeadRule>;
    async fn list_lead_rules(&self, ctx: Ctx) -> StoreResult<Vec<LeadRule>>;
    async fn delete_lead_rule(&self, ctx: Ctx, id: guanxi_core::LeadRuleId) -> StoreResult<()>;

    // Saved views of the customer list, the acting user's own.
    async fn list_views(&self, ctx: Ctx) -> StoreResult<Vec<SavedView>>;
    /// Save (or replace, by name) a view; at most 50 per user.
    async fn save_view(&self, ctx: Ctx, name: String, query: String) -> StoreResult<SavedView>;
    async fn delete_view(&self, ctx: Ctx, id: i64) -> StoreResult<()>;

    // The audit log (append-only).
    async fn audit(&self, entry: AuditEntry) -> StoreResult<()>;
    /// Newest first.
    async fn list_audit(&self, ctx: Ctx, query: AuditQuery) -> StoreResult<Vec<AuditRecord>>;

    // Custom field definitions.
    async fn create_field_def(&self, ctx: Ctx, new: NewFieldDef) -> StoreResult<FieldDef>;
    async fn list_field_defs(&self, ctx: Ctx) -> StoreResult<Vec<FieldDef>>;
    async fn delete_field_def(&self, ctx: Ctx, id: FieldDefId) -> StoreResult<()>;

    // Customers.
    async fn create_customer(&self, ctx: Ctx, new: NewCustomer) -> StoreResult<Customer>;
    /// A customer; a soft-deleted one only with `include_deleted`.
    async fn get_customer(
        &self,
        ctx: Ctx,
        id: CustomerId,
        include_deleted: bool,
    ) -> StoreResult<Customer>;
    /// Apply `patch` if the stored version equals `expected_version` (when given).
    async fn update_customer(
        &self,
        ctx: Ctx,
        id: CustomerId,
        expected_version: Option<i64>,
        patch: CustomerPatch,
    ) -> StoreResult<Customer>;
    /// Soft delete: the customer disappears from lists and lookups but can be restored.
    async fn delete_customer(
        &self,
        ctx: Ctx,
        id: CustomerId,
        expected_version: Option<i64>,
    ) -> StoreResult<Customer>;
    async fn restore_customer(&self, ctx: Ctx, id: CustomerId) -> StoreResult<Customer>;
    /// Merge customer `merge` into `keep`: its interactions, contact points (those `keep` lacks),
    /// contact persons and tags move over, empty fields of `keep` are filled from it, and it is
    /// soft-deleted with a pointer to `keep` (it cannot be restored). Audited on both.
    async fn merge_customers(
        &self,
        ctx: Ctx,
        keep: CustomerId,
        merge: CustomerId,
    ) -> StoreResult<(Customer, MergeStats)>;
    async fn list_customers(
        &self,
        ctx: Ctx,
        query: CustomerQuery,
    ) -> StoreResult<Page<CustomerSummary>>;
    /// The full records (with contact points) of the live customers among `ids` within the
    /// caller's reach, in the order of `ids`; the others are left out. For exports, a page of
    /// a list at a time (at most [`CUSTOMERS_BY_IDS_MAX`]).
    async fn customers_by_ids(&self, ctx: Ctx, ids: &[CustomerId]) -> StoreResult<Vec<Customer>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids.iter().take(CUSTOMERS_BY_IDS_MAX) {
            match self.get_customer(ctx, *id, false).await {
                Ok(c) => out.push(c),
                Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
    /// Customers (not deleted) holding this contact point, most recently updated first.
    async fn lookup(&self, ctx: Ctx, key: &ContactLookup) -> StoreResult<Vec<Customer>>;
    async fn customer_360(&self, ctx: Ctx, id: CustomerId) -> StoreResult<Customer360>;

    // Contact points.
    async fn add_contact_point(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        new: NewContactPoint,
    ) -> StoreResult<ContactPoint>;
    async fn update_contact_point(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        id: ContactPointId,
        patch: ContactPointPatch,
    ) -> StoreResult<ContactPoint>;
    async fn remove_contact_point(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        id: ContactPointId,
    ) -> StoreResult<()>;

    // Interactions.
    /// Log an interaction. Without a customer id it is attached to the customer that holds
    /// its contact point, or to a new potential customer when none does (客户识别).
    async fn log_interaction(
        &self,
        ctx: Ctx,
        new: NewInteraction,
    ) -> StoreResult<(Interaction, Recognition)>;
    async fn get_interaction(&self, ctx: Ctx, id: InteractionId) -> StoreResult<Interaction>;
    async fn update_interaction(
        &self,
        ctx: Ctx,
        id: InteractionId,
        expected_version: Option<i64>,
        patch: InteractionPatch,
    ) -> StoreResult<Interaction>;
    /// Delete an interaction if its version equals `expected_version` (when given).
    async fn delete_interaction(
        &self,
        ctx: Ctx,
        id: InteractionId,
        expected_version: Option<i64>,
    ) -> StoreResult<()>;
    /// A customer's interactions, newest first.
    async fn timeline(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        query: TimelineQuery,
    ) -> StoreResult<Page<Interaction>>;

    // Outbox.
    /// Domain events of the organisation after `after`, in commit order.
    async fn events_after(&self, ctx: Ctx, after: EventId, limit: u32) -> StoreResult<Vec<Event>>;

    // Bulk loading (demo data, benchmarks, later imports).
    /// Insert a batch of already-parsed customers with their contact points and interactions
    /// in one transaction; writes one `customers.bulk_loaded` event for the batch.
    async fn bulk_load(&self, ctx: Ctx, batch: BulkBatch) -> StoreResult<BulkStats>;
    /// Import checked rows in one transaction: each matches an existing customer by a contact
    /// point (then `policy` decides) or becomes a new one. All or nothing; one
    /// `customers.imported` event besides each customer's own.
    async fn import_customers(
        &self,
        ctx: Ctx,
        rows: Vec<ImportCustomer>,
        policy: ImportPolicy,
    ) -> StoreResult<Vec<ImportResult>>;
    // Imports as jobs (see `imports.rs`).
    async fn create_import_job(&self, ctx: Ctx, job: NewImportJob) -> StoreResult<ImportJob>;
    async fn import_job(&self, ctx: Ctx, id: guanxi_core::ImportJobId) -> StoreResult<ImportJob>;
    /// The organisation's imports, newest first.
    async fn import_jobs(&self, ctx: Ctx, limit: u32) -> StoreResult<Vec<ImportJob>>;
    /// Take a job to run it: a new one, or an interrupted one to resume from `rows_done`.
    /// Refused (conflict) while another process is running it or when it has finished.
    async fn claim_import_job(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
    ) -> StoreResult<ImportJob>;
    /// Write one chunk of rows and the job's progress in one transaction. Refused when the
    /// chunk does not follow on from `rows_done` or the job is no longer running (cancelled).
    async fn import_chunk(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
        chunk: ImportChunk,
    ) -> StoreResult<ImportCounts>;
    /// Write one chunk of a file of leads, orders or interactions and the job's progress in
    /// one transaction; each record is written or refused on its own (with its reason), and a
    /// check rolls the records back and keeps only the report and the progress.
    async fn import_record_chunk(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
        chunk: RecordChunk,
    ) -> StoreResult<ImportCounts>;
    /// Close a running job as done (`error` none) or failed, with the possible duplicates its
    /// scan queued; one `import.finished` event.
    async fn finish_import_job(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
        duplicates: u64,
        error: Option<String>,
    ) -> StoreResult<ImportJob>;
    /// The lowest customer id an import created, if it created any.
    async fn import_first_customer(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
    ) -> StoreResult<Option<CustomerId>>;
    /// Run a job again from its first row: after a check, to import (or to check again with
    /// another mapping or policy). Refused while it runs.
    async fn restart_import_job(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
        mode: ImportMode,
        mapping: serde_json::Value,
        policy: ImportPolicy,
    ) -> StoreResult<ImportJob>;
    /// Jobs of every organisation that keep a file under `under` (the upload folder) and were
    /// last touched (created, run, finished) before `before`, oldest first, at most `limit`.
    async fn stale_import_files(
        &self,
        under: &str,
        before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<StaleImportFile>>;
    /// Record that a job's file is being deleted by the retention rule (the caller deletes it
    /// afterwards); one `import.file_removed` event. `None` when the job was touched at or
    /// after `before` meanwhile (a resume) or no longer has a file: then the file stays.
    async fn remove_import_file(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
        before: DateTime<Utc>,
    ) -> StoreResult<Option<ImportJob>>;
    /// Stop a job: what it wrote stays, the rest is not imported.
    async fn cancel_import_job(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
    ) -> StoreResult<ImportJob>;
    /// Rows of a job's report by line, optionally of one outcome.
    async fn import_rows(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
        outcome: Option<String>,
        after_line: u64,
        limit: u32,
    ) -> StoreResult<Vec<ImportRowNote>>;
    /// Save (or replace) a named column mapping.
    async fn save_import_mapping(
        &self,
        ctx: Ctx,
        name: String,
        mapping: serde_json::Value,
    ) -> StoreResult<ImportMapping>;
    async fn import_mappings(&self, ctx: Ctx) -> StoreResult<Vec<ImportMapping>>;

    // Duplicates that only look alike: found by a scan, reviewed by a person.
    /// Compare customers with the same name and queue the pairs that look like one person.
    async fn scan_duplicates(
        &self,
        ctx: Ctx,
        scope: ScanScope,
        found_by: String,
    ) -> StoreResult<ScanStats>;
    /// Record a scan of the whole organisation as running (started by the context's actor).
    /// `Conflict` on `status` while another scan of the organisation runs; a scan left
    /// running by a stopped process is closed as failed first.
    async fn start_duplicate_scan(&self, ctx: Ctx) -> StoreResult<DuplicateScan>;
    /// The running scan is alive.
    async fn beat_duplicate_scan(&self, ctx: Ctx, id: DuplicateScanId) -> StoreResult<()>;
    /// Close a running scan with what it found, or why it failed (`Err`).
    async fn finish_duplicate_scan(
        &self,
        ctx: Ctx,
        id: DuplicateScanId,
        outcome: Result<ScanStats, String>,
    ) -> StoreResult<DuplicateScan>;
    async fn duplicate_scan(&self, ctx: Ctx, id: DuplicateScanId) -> StoreResult<DuplicateScan>;
    /// The organisation's scans, newest first.
    async fn duplicate_scans(&self, ctx: Ctx, limit: u32) -> StoreResult<Vec<DuplicateScan>>;
    /// Pairs in the queue of one status, best first, within the caller's reach (both sides).
    async fn duplicate_candidates(
        &self,
        ctx: Ctx,
        status: DuplicateStatus,
        limit: u32,
    ) -> StoreResult<Vec<DuplicateCandidate>>;
    async fn duplicate_candidate(
        &self,
        ctx: Ctx,
        id: guanxi_core::DuplicateId,
    ) -> StoreResult<DuplicateCandidate>;
    /// Close an open pair: merged (after `merge_customers`) or dismissed as two people.
    async fn decide_duplicate(
        &self,
        ctx: Ctx,
        id: guanxi_core::DuplicateId,
        status: DuplicateStatus,
    ) -> StoreResult<DuplicateCandidate>;

    /// Erase a customer's personal data on request (PIPL / GDPR): name, contact points, notes,
    /// interactions' text, leads, tags and custom fields go; orders stay with the anonymous
    /// customer. Event and audit payloads about the customer are cleared; one
    /// `customer.erased` record keeps that it happened, without the data.
    async fn erase_customer(&self, ctx: Ctx, id: CustomerId) -> StoreResult<()>;

    /// Insert opportunities of one pipeline in one transaction (their stages must be of it and
    /// their customers of the organisation); one `opportunities.bulk_loaded` event. Returns how
    /// many.
    async fn bulk_opportunities(
        &self,
        ctx: Ctx,
        pipeline: guanxi_core::PipelineId,
        rows: Vec<BulkOpportunity>,
    ) -> StoreResult<u64>;
    /// One page of the warehouse's extract (数据抽取), across all organisations: at most
    /// `limit` rows of one operational table changed within `window`, from `cursor` on (order
    /// lines come with their orders). A system read for `guanxi warehouse load` and the
    /// server's scheduled load, never reachable from a request.
    async fn warehouse_extract(
        &self,
        window: warehouse::ExtractWindow,
        cursor: warehouse::ExtractCursor,
        limit: u32,
    ) -> StoreResult<warehouse::ExtractPage>;
    /// The store's clock in microseconds since the epoch, the time an extraction window ends.
    async fn store_now(&self) -> StoreResult<i64>;
    /// The organisation's purchases for the customer-value models: paid, shipped and
    /// completed orders of live customers in the organisation's currency (the rest of its
    /// orders are counted in `other_currency`). Organisation-wide: the caller checks the
    /// permission to run the models.
    async fn analysis_purchases(&self, ctx: Ctx) -> StoreResult<Purchases>;
    /// Record a run and write its scores back to every customer in one transaction: the
    /// latest scores replace the earlier ones (keeping the earlier segment, tier and stage),
    /// a history row is appended for every customer whose segment, tier, stage or risk moved,
    /// customers no longer scored lose their scores, and one `customers.scored` event with
    /// its audit record is written.
    async fn save_scores(
        &self,
        ctx: Ctx,
        run: NewScoreRun,
        scores: Vec<CustomerScore>,
    ) -> StoreResult<(ScoreRun, ScoreWrite)>;
    /// The latest runs, newest first.
    async fn score_runs(&self, ctx: Ctx, limit: u32) -> StoreResult<Vec<ScoreRun>>;
    /// One customer's latest scores (within reach), if scored.
    async fn customer_score(&self, ctx: Ctx, id: CustomerId) -> StoreResult<Option<StoredScore>>;
    /// One customer's movement between segments, tiers, stages and risks, oldest first.
    async fn score_history(&self, ctx: Ctx, id: CustomerId) -> StoreResult<Vec<ScoreChange>>;
    /// The organisation's own RFM segment map; none while it uses the default one.
    async fn segment_map(&self, ctx: Ctx) -> StoreResult<Option<SavedSegmentMap>>;
    /// Keep `segments` (already checked) as the organisation's map, or go back to the default
    /// with none; with its event and audit record. The next scoring run uses it.
    async fn save_segment_map(
        &self,
        ctx: Ctx,
        segments: Option<Vec<SegmentDef>>,
    ) -> StoreResult<Option<SavedSegmentMap>>;
    /// Customers within reach counted by a score dimension, with their revenue and lifetime
    /// value, optionally narrowed by a filter.
    async fn score_counts(
        &self,
        ctx: Ctx,
        by: ScoreDim,
        filter: ScoreFilter,
    ) -> StoreResult<Vec<ScoreCount>>;
}
