//! `impl Store for SqlStore`: the trait delegates to the per-entity modules.

use crate::SqlStore;
use async_trait::async_trait;
use guanxi_core::{
    ApiTokenId, ContactPointId, CustomerId, DuplicateScanId, EventId, FieldDefId, InteractionId,
    OrgId, UserId,
};
use guanxi_store::*;
use std::net::IpAddr;

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self.backend {
            crate::Backend::Sqlite => "sqlite",
            crate::Backend::Postgres => "postgres",
        }
    }

    fn import_chunk_rows(&self) -> usize {
        self.import_chunk_rows
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(crate::db_err)?;
        Ok(())
    }

    async fn create_org(&self, new: NewOrg) -> StoreResult<Organisation> {
        self.create_org_impl(new).await
    }
    async fn get_org(&self, id: OrgId) -> StoreResult<Organisation> {
        self.get_org_impl(id).await
    }
    async fn list_orgs(&self) -> StoreResult<Vec<Organisation>> {
        self.list_orgs_impl().await
    }
    async fn create_user(&self, ctx: Ctx, new: NewUser) -> StoreResult<User> {
        self.create_user_impl(ctx, new).await
    }
    async fn list_users(&self, ctx: Ctx) -> StoreResult<Vec<User>> {
        self.list_users_impl(ctx).await
    }
    async fn get_user(&self, ctx: Ctx, id: UserId) -> StoreResult<User> {
        self.get_user_impl(ctx, id).await
    }
    async fn update_user(&self, ctx: Ctx, id: UserId, patch: UserPatch) -> StoreResult<User> {
        self.update_user_impl(ctx, id, patch).await
    }
    async fn set_password(
        &self,
        ctx: Ctx,
        id: UserId,
        password_hash: String,
        keep_session: Option<i64>,
    ) -> StoreResult<()> {
        self.set_password_impl(ctx, id, password_hash, keep_session)
            .await
    }
    async fn password_hash(&self, ctx: Ctx, id: UserId) -> StoreResult<Option<String>> {
        self.password_hash_impl(ctx, id).await
    }
    async fn create_team(&self, ctx: Ctx, new: NewTeam) -> StoreResult<Team> {
        self.create_team_impl(ctx, new).await
    }
    async fn list_teams(&self, ctx: Ctx) -> StoreResult<Vec<Team>> {
        self.list_teams_impl(ctx).await
    }
    async fn find_login(&self, email: &str) -> StoreResult<Option<Login>> {
        self.find_login_impl(email).await
    }
    async fn create_session(&self, ctx: Ctx, new: NewSession) -> StoreResult<i64> {
        self.create_session_impl(ctx, new).await
    }
    async fn session_user(&self, secret_hash: &str) -> StoreResult<Option<Authenticated>> {
        self.session_user_impl(secret_hash).await
    }
    async fn end_session(&self, ctx: Ctx, session: i64) -> StoreResult<()> {
        self.end_session_impl(ctx, session).await
    }
    async fn token_user(&self, secret_hash: &str, ip: Option<IpAddr>) -> StoreResult<TokenCheck> {
        self.token_user_impl(secret_hash, ip).await
    }
    async fn create_token(&self, ctx: Ctx, new: NewApiToken) -> StoreResult<ApiToken> {
        self.create_token_impl(ctx, new).await
    }
    async fn list_tokens(&self, ctx: Ctx) -> StoreResult<Vec<ApiToken>> {
        self.list_tokens_impl(ctx).await
    }
    async fn revoke_token(&self, ctx: Ctx, id: ApiTokenId) -> StoreResult<ApiToken> {
        self.revoke_token_impl(ctx, id).await
    }
    async fn create_product(&self, ctx: Ctx, new: NewProduct) -> StoreResult<Product> {
        self.create_product_impl(ctx, new).await
    }
    async fn list_products(&self, ctx: Ctx, include_inactive: bool) -> StoreResult<Vec<Product>> {
        self.list_products_impl(ctx, include_inactive).await
    }
    async fn update_product(
        &self,
        ctx: Ctx,
        id: guanxi_core::ProductId,
        patch: ProductPatch,
    ) -> StoreResult<Product> {
        self.update_product_impl(ctx, id, patch).await
    }
    async fn create_order(&self, ctx: Ctx, new: NewOrder) -> StoreResult<(Order, bool)> {
        self.create_order_impl(ctx, new).await
    }
    async fn get_order(&self, ctx: Ctx, id: guanxi_core::OrderId) -> StoreResult<Order> {
        self.get_order_impl(ctx, id).await
    }
    async fn customer_orders(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<Order>> {
        self.customer_orders_impl(ctx, customer, limit).await
    }
    async fn set_order_status(
        &self,
        ctx: Ctx,
        id: guanxi_core::OrderId,
        expected_version: Option<i64>,
        to: guanxi_core::order::OrderStatus,
    ) -> StoreResult<Order> {
        self.set_order_status_impl(ctx, id, expected_version, to)
            .await
    }
    async fn create_pipeline(&self, ctx: Ctx, new: NewPipeline) -> StoreResult<Pipeline> {
        self.create_pipeline_impl(ctx, new).await
    }
    async fn list_pipelines(&self, ctx: Ctx) -> StoreResult<Vec<Pipeline>> {
        self.list_pipelines_impl(ctx).await
    }
    async fn create_opportunity(&self, ctx: Ctx, new: NewOpportunity) -> StoreResult<Opportunity> {
        self.create_opportunity_impl(ctx, new).await
    }
    async fn get_opportunity(
        &self,
        ctx: Ctx,
        id: guanxi_core::OpportunityId,
    ) -> StoreResult<Opportunity> {
        self.get_opportunity_impl(ctx, id).await
    }
    async fn move_opportunity(
        &self,
        ctx: Ctx,
        id: guanxi_core::OpportunityId,
        expected_version: Option<i64>,
        to: guanxi_core::StageId,
        reason: Option<String>,
    ) -> StoreResult<Opportunity> {
        self.move_opportunity_impl(ctx, id, expected_version, to, reason)
            .await
    }
    async fn board(
        &self,
        ctx: Ctx,
        pipeline: guanxi_core::PipelineId,
        per_stage: u32,
    ) -> StoreResult<Vec<BoardColumn>> {
        self.board_impl(ctx, pipeline, per_stage).await
    }
    async fn customer_opportunities(
        &self,
        ctx: Ctx,
        customer: CustomerId,
    ) -> StoreResult<Vec<Opportunity>> {
        self.customer_opportunities_impl(ctx, customer).await
    }
    async fn forecast(&self, ctx: Ctx, pipeline: guanxi_core::PipelineId) -> StoreResult<Forecast> {
        self.forecast_impl(ctx, pipeline).await
    }
    async fn activities_about(&self, ctx: Ctx, about: About) -> StoreResult<Vec<Activity>> {
        self.activities_about_impl(ctx, about).await
    }
    async fn import_customers(
        &self,
        ctx: Ctx,
        rows: Vec<ImportCustomer>,
        policy: ImportPolicy,
    ) -> StoreResult<Vec<ImportResult>> {
        self.import_customers_impl(ctx, rows, policy).await
    }
    async fn create_import_job(&self, ctx: Ctx, job: NewImportJob) -> StoreResult<ImportJob> {
        self.create_import_job_impl(ctx, job).await
    }
    async fn import_job(&self, ctx: Ctx, id: guanxi_core::ImportJobId) -> StoreResult<ImportJob> {
        self.import_job_impl(ctx, id).await
    }
    async fn import_jobs(&self, ctx: Ctx, limit: u32) -> StoreResult<Vec<ImportJob>> {
        self.import_jobs_impl(ctx, limit).await
    }
    async fn claim_import_job(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
    ) -> StoreResult<ImportJob> {
        self.claim_import_job_impl(ctx, id).await
    }
    async fn import_record_chunk(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
        chunk: RecordChunk,
    ) -> StoreResult<ImportCounts> {
        self.import_record_chunk_impl(ctx, id, chunk).await
    }

    async fn import_chunk(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
        chunk: ImportChunk,
    ) -> StoreResult<ImportCounts> {
        self.import_chunk_impl(ctx, id, chunk).await
    }
    async fn finish_import_job(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
        duplicates: u64,
        error: Option<String>,
    ) -> StoreResult<ImportJob> {
        self.finish_import_job_impl(ctx, id, duplicates, error)
            .await
    }
    async fn import_first_customer(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
    ) -> StoreResult<Option<CustomerId>> {
        self.import_first_customer_impl(ctx, id).await
    }
    async fn restart_import_job(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
        mode: ImportMode,
        mapping: serde_json::Value,
        policy: ImportPolicy,
    ) -> StoreResult<ImportJob> {
        self.restart_import_job_impl(ctx, id, mode, mapping, policy)
            .await
    }
    async fn stale_import_files(
        &self,
        under: &str,
        before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> StoreResult<Vec<guanxi_store::StaleImportFile>> {
        self.stale_import_files_impl(under, before, limit).await
    }
    async fn remove_import_file(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
        before: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Option<ImportJob>> {
        self.remove_import_file_impl(ctx, id, before).await
    }
    async fn cancel_import_job(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
    ) -> StoreResult<ImportJob> {
        self.cancel_import_job_impl(ctx, id).await
    }
    async fn import_rows(
        &self,
        ctx: Ctx,
        id: guanxi_core::ImportJobId,
        outcome: Option<String>,
        after_line: u64,
        limit: u32,
    ) -> StoreResult<Vec<ImportRowNote>> {
        self.import_rows_impl(ctx, id, outcome, after_line, limit)
            .await
    }
    async fn save_import_mapping(
        &self,
        ctx: Ctx,
        name: String,
        mapping: serde_json::Value,
    ) -> StoreResult<ImportMapping> {
        self.save_import_mapping_impl(ctx, name, mapping).await
    }
    async fn import_mappings(&self, ctx: Ctx) -> StoreResult<Vec<ImportMapping>> {
        self.import_mappings_impl(ctx).await
    }
    async fn scan_duplicates(
        &self,
        ctx: Ctx,
        scope: ScanScope,
        found_by: String,
    ) -> StoreResult<ScanStats> {
        self.scan_duplicates_impl(ctx, scope, found_by).await
    }
    async fn start_duplicate_scan(&self, ctx: Ctx) -> StoreResult<DuplicateScan> {
        self.start_duplicate_scan_impl(ctx).await
    }
    async fn beat_duplicate_scan(&self, ctx: Ctx, id: DuplicateScanId) -> StoreResult<()> {
        self.beat_duplicate_scan_impl(ctx, id).await
    }
    async fn finish_duplicate_scan(
        &self,
        ctx: Ctx,
        id: DuplicateScanId,
        outcome: Result<ScanStats, String>,
    ) -> StoreResult<DuplicateScan> {
        self.finish_duplicate_scan_impl(ctx, id, outcome).await
    }
    async fn duplicate_scan(&self, ctx: Ctx, id: DuplicateScanId) -> StoreResult<DuplicateScan> {
        self.duplicate_scan_impl(ctx, id).await
    }
    async fn duplicate_scans(&self, ctx: Ctx, limit: u32) -> StoreResult<Vec<DuplicateScan>> {
        self.duplicate_scans_impl(ctx, limit).await
    }
    async fn duplicate_candidates(
        &self,
        ctx: Ctx,
        status: DuplicateStatus,
        limit: u32,
    ) -> StoreResult<Vec<DuplicateCandidate>> {
        self.duplicate_candidates_impl(ctx, status, limit).await
    }
    async fn duplicate_candidate(
        &self,
        ctx: Ctx,
        id: guanxi_core::DuplicateId,
    ) -> StoreResult<DuplicateCandidate> {
        self.duplicate_candidate_impl(ctx, id).await
    }
    async fn decide_duplicate(
        &self,
        ctx: Ctx,
        id: guanxi_core::DuplicateId,
        status: DuplicateStatus,
    ) -> StoreResult<DuplicateCandidate> {
        self.decide_duplicate_impl(ctx, id, status).await
    }
    async fn erase_customer(&self, ctx: Ctx, id: CustomerId) -> StoreResult<()> {
        self.erase_customer_impl(ctx, id).await
    }
    async fn warehouse_extract(
        &self,
        window: guanxi_store::warehouse::ExtractWindow,
        cursor: guanxi_store::warehouse::ExtractCursor,
        limit: u32,
    ) -> StoreResult<guanxi_store::warehouse::ExtractPage> {
        self.warehouse_extract_impl(window, cursor, limit).await
    }
    async fn store_now(&self) -> StoreResult<i64> {
        Ok(crate::codec::now_micros())
    }
    async fn segment_map(&self, ctx: Ctx) -> StoreResult<Option<SavedSegmentMap>> {
        self.segment_map_impl(ctx).await
    }
    async fn save_segment_map(
        &self,
        ctx: Ctx,
        segments: Option<Vec<SegmentDef>>,
    ) -> StoreResult<Option<SavedSegmentMap>> {
        self.save_segment_map_impl(ctx, segments).await
    }
    async fn analysis_purchases(&self, ctx: Ctx) -> StoreResult<Purchases> {
        self.analysis_purchases_impl(ctx).await
    }
    async fn save_scores(
        &self,
        ctx: Ctx,
        run: NewScoreRun,
        scores: Vec<CustomerScore>,
    ) -> StoreResult<(ScoreRun, ScoreWrite)> {
        self.save_scores_impl(ctx, run, scores).await
    }
    async fn score_runs(&self, ctx: Ctx, limit: u32) -> StoreResult<Vec<ScoreRun>> {
        self.score_runs_impl(ctx, limit).await
    }
    async fn customer_score(&self, ctx: Ctx, id: CustomerId) -> StoreResult<Option<StoredScore>> {
        self.customer_score_impl(ctx, id).await
    }
    async fn score_history(&self, ctx: Ctx, id: CustomerId) -> StoreResult<Vec<ScoreChange>> {
        self.score_history_impl(ctx, id).await
    }
    async fn score_counts(
        &self,
        ctx: Ctx,
        by: ScoreDim,
        filter: ScoreFilter,
    ) -> StoreResult<Vec<ScoreCount>> {
        self.score_counts_impl(ctx, by, filter).await
    }
    async fn bulk_opportunities(
        &self,
        ctx: Ctx,
        pipeline: guanxi_core::PipelineId,
        rows: Vec<BulkOpportunity>,
    ) -> StoreResult<u64> {
        self.bulk_opportunities_impl(ctx, pipeline, rows).await
    }
    async fn create_quote(&self, ctx: Ctx, new: NewQuote) -> StoreResult<Quote> {
        self.create_quote_impl(ctx, new).await
    }
    async fn get_quote(&self, ctx: Ctx, id: guanxi_core::QuoteId) -> StoreResult<Quote> {
        self.get_quote_impl(ctx, id).await
    }
    async fn customer_quotes(&self, ctx: Ctx, customer: CustomerId) -> StoreResult<Vec<Quote>> {
        self.customer_quotes_impl(ctx, customer).await
    }
    async fn set_quote_status(
        &self,
        ctx: Ctx,
        id: guanxi_core::QuoteId,
        expected_version: Option<i64>,
        to: guanxi_core::quote::QuoteStatus,
    ) -> StoreResult<Quote> {
        self.set_quote_status_impl(ctx, id, expected_version, to)
            .await
    }
    async fn order_quote(
        &self,
        ctx: Ctx,
        id: guanxi_core::QuoteId,
        expected_version: Option<i64>,
    ) -> StoreResult<(Quote, Order)> {
        self.order_quote_impl(ctx, id, expected_version).await
    }
    async fn account_plan(&self, ctx: Ctx, customer: CustomerId) -> StoreResult<AccountPlan> {
        self.account_plan_impl(ctx, customer).await
    }
    async fn save_account_plan(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        expected_version: Option<i64>,
        patch: AccountPlanPatch,
    ) -> StoreResult<AccountPlan> {
        self.save_account_plan_impl(ctx, customer, expected_version, patch)
            .await
    }
    async fn add_account_member(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        user: UserId,
        role: String,
    ) -> StoreResult<AccountPlan> {
        self.add_account_member_impl(ctx, customer, user, role)
            .await
    }
    async fn remove_account_member(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        user: UserId,
    ) -> StoreResult<AccountPlan> {
        self.remove_account_member_impl(ctx, customer, user).await
    }
    async fn create_lead(&self, ctx: Ctx, new: NewLead) -> StoreResult<(Lead, Vec<LeadMatch>)> {
        self.create_lead_impl(ctx, new).await
    }
    async fn get_lead(&self, ctx: Ctx, id: guanxi_core::LeadId) -> StoreResult<Lead> {
        self.get_lead_impl(ctx, id).await
    }
    async fn list_leads(&self, ctx: Ctx, query: LeadQuery) -> StoreResult<Vec<Lead>> {
        self.list_leads_impl(ctx, query).await
    }
    async fn update_lead(
        &self,
        ctx: Ctx,
        id: guanxi_core::LeadId,
        expected_version: Option<i64>,
        patch: LeadPatch,
    ) -> StoreResult<Lead> {
        self.update_lead_impl(ctx, id, expected_version, patch)
            .await
    }
    async fn lead_matches(&self, ctx: Ctx, id: guanxi_core::LeadId) -> StoreResult<Vec<LeadMatch>> {
        self.lead_matches_impl(ctx, id).await
    }
    async fn convert_lead(
        &self,
        ctx: Ctx,
        id: guanxi_core::LeadId,
        expected_version: Option<i64>,
        how: ConvertLead,
    ) -> StoreResult<Conversion> {
        self.convert_lead_impl(ctx, id, expected_version, how).await
    }
    async fn list_lead_sources(&self, ctx: Ctx) -> StoreResult<Vec<LeadSource>> {
        self.list_lead_sources_impl(ctx).await
    }
    async fn save_lead_source(&self, ctx: Ctx, source: LeadSource) -> StoreResult<LeadSource> {
        self.save_lead_source_impl(ctx, source).await
    }
    async fn create_web_form(&self, ctx: Ctx, new: NewWebForm) -> StoreResult<WebForm> {
        self.create_web_form_impl(ctx, new).await
    }
    async fn list_web_forms(&self, ctx: Ctx) -> StoreResult<Vec<WebForm>> {
        self.list_web_forms_impl(ctx).await
    }
    async fn web_form_by_key(
        &self,
        key: &str,
    ) -> StoreResult<Option<(guanxi_core::OrgId, WebForm)>> {
        self.web_form_by_key_impl(key).await
    }
    async fn create_lead_rule(&self, ctx: Ctx, new: NewLeadRule) -> StoreResult<LeadRule> {
        self.create_lead_rule_impl(ctx, new).await
    }
    async fn list_lead_rules(&self, ctx: Ctx) -> StoreResult<Vec<LeadRule>> {
        self.list_lead_rules_impl(ctx).await
    }
    async fn delete_lead_rule(&self, ctx: Ctx, id: guanxi_core::LeadRuleId) -> StoreResult<()> {
        self.delete_lead_rule_impl(ctx, id).await
    }
    async fn create_activity(&self, ctx: Ctx, new: NewActivity) -> StoreResult<Activity> {
        self.create_activity_impl(ctx, new).await
    }
    async fn list_activities(&self, ctx: Ctx, query: ActivityQuery) -> StoreResult<Vec<Activity>> {
        self.list_activities_impl(ctx, query).await
    }
    async fn complete_activity(
        &self,
        ctx: Ctx,
        id: guanxi_core::ActivityId,
        expected_version: Option<i64>,
    ) -> StoreResult<Activity> {
        self.complete_activity_impl(ctx, id, expected_version).await
    }
    async fn set_calendar_feed(&self, ctx: Ctx, secret_hash: String) -> StoreResult<()> {
        self.set_calendar_feed_impl(ctx, secret_hash).await
    }
    async fn calendar_feed_user(&self, secret_hash: &str) -> StoreResult<Option<(OrgId, User)>> {
        self.calendar_feed_user_impl(secret_hash).await
    }
    async fn list_views(&self, ctx: Ctx) -> StoreResult<Vec<SavedView>> {
        self.list_views_impl(ctx).await
    }
    async fn save_view(&self, ctx: Ctx, name: String, query: String) -> StoreResult<SavedView> {
        self.save_view_impl(ctx, name, query).await
    }
    async fn delete_view(&self, ctx: Ctx, id: i64) -> StoreResult<()> {
        self.delete_view_impl(ctx, id).await
    }
    async fn audit(&self, entry: AuditEntry) -> StoreResult<()> {
        self.audit_impl(entry).await
    }
    async fn list_audit(&self, ctx: Ctx, query: AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        self.list_audit_impl(ctx, query).await
    }
    async fn create_field_def(&self, ctx: Ctx, new: NewFieldDef) -> StoreResult<FieldDef> {
        self.create_field_def_impl(ctx, new).await
    }
    async fn list_field_defs(&self, ctx: Ctx) -> StoreResult<Vec<FieldDef>> {
        self.list_field_defs_impl(ctx).await
    }
    async fn delete_field_def(&self, ctx: Ctx, id: FieldDefId) -> StoreResult<()> {
        self.delete_field_def_impl(ctx, id).await
    }
    async fn create_customer(&self, ctx: Ctx, new: NewCustomer) -> StoreResult<Customer> {
        self.create_customer_impl(ctx, new).await
    }
    async fn get_customer(
        &self,
        ctx: Ctx,
        id: CustomerId,
        include_deleted: bool,
    ) -> StoreResult<Customer> {
        self.get_customer_impl(ctx, id, include_deleted).await
    }
    async fn customers_by_ids(&self, ctx: Ctx, ids: &[CustomerId]) -> StoreResult<Vec<Customer>> {
        self.customers_by_ids_impl(ctx, ids).await
    }
    async fn update_customer(
        &self,
        ctx: Ctx,
        id: CustomerId,
        expected_version: Option<i64>,
        patch: CustomerPatch,
    ) -> StoreResult<Customer> {
        self.update_customer_impl(ctx, id, expected_version, patch)
            .await
    }
    async fn delete_customer(
        &self,
        ctx: Ctx,
        id: CustomerId,
        expected_version: Option<i64>,
    ) -> StoreResult<Customer> {
        self.delete_customer_impl(ctx, id, expected_version).await
    }
    async fn restore_customer(&self, ctx: Ctx, id: CustomerId) -> StoreResult<Customer> {
        self.restore_customer_impl(ctx, id).await
    }
    async fn merge_customers(
        &self,
        ctx: Ctx,
        keep: CustomerId,
        merge: CustomerId,
    ) -> StoreResult<(Customer, MergeStats)> {
        self.merge_customers_impl(ctx, keep, merge).await
    }
    async fn list_customers(
        &self,
        ctx: Ctx,
        query: CustomerQuery,
    ) -> StoreResult<Page<CustomerSummary>> {
        self.list_customers_impl(ctx, query).await
    }
    async fn lookup(&self, ctx: Ctx, key: &ContactLookup) -> StoreResult<Vec<Customer>> {
        self.lookup_impl(ctx, key).await
    }
    async fn customer_360(&self, ctx: Ctx, id: CustomerId) -> StoreResult<Customer360> {
        self.customer_360_impl(ctx, id).await
    }
    async fn add_contact_point(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        new: NewContactPoint,
    ) -> StoreResult<ContactPoint> {
        self.add_contact_point_impl(ctx, customer, new).await
    }
    async fn update_contact_point(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        id: ContactPointId,
        patch: ContactPointPatch,
    ) -> StoreResult<ContactPoint> {
        self.update_contact_point_impl(ctx, customer, id, patch)
            .await
    }
    async fn remove_contact_point(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        id: ContactPointId,
    ) -> StoreResult<()> {
        self.remove_contact_point_impl(ctx, customer, id).await
    }
    async fn log_interaction(
        &self,
        ctx: Ctx,
        new: NewInteraction,
    ) -> StoreResult<(Interaction, Recognition)> {
        self.log_interaction_impl(ctx, new).await
    }
    async fn get_interaction(&self, ctx: Ctx, id: InteractionId) -> StoreResult<Interaction> {
        self.get_interaction_impl(ctx, id).await
    }
    async fn update_interaction(
        &self,
        ctx: Ctx,
        id: InteractionId,
        expected_version: Option<i64>,
        patch: InteractionPatch,
    ) -> StoreResult<Interaction> {
        self.update_interaction_impl(ctx, id, expected_version, patch)
            .await
    }
    async fn delete_interaction(
        &self,
        ctx: Ctx,
        id: InteractionId,
        expected_version: Option<i64>,
    ) -> StoreResult<()> {
        self.delete_interaction_impl(ctx, id, expected_version)
            .await
    }
    async fn timeline(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        query: TimelineQuery,
    ) -> StoreResult<Page<Interaction>> {
        self.timeline_impl(ctx, customer, query).await
    }
    async fn events_after(&self, ctx: Ctx, after: EventId, limit: u32) -> StoreResult<Vec<Event>> {
        self.events_after_impl(ctx, after, limit).await
    }
    async fn bulk_load(&self, ctx: Ctx, batch: BulkBatch) -> StoreResult<BulkStats> {
        self.bulk_load_impl(ctx, batch).await
    }
}
