//! The router end to end against a small in-memory fake of the store: the HTTP conventions
//! (status codes, error bodies, languages, headers). Real storage is tested in the binary
//! crate against both databases.

use crate::{router, ApiState, MAX_BODY_BYTES};
use async_trait::async_trait;
use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::Utc;
use guanxi_core::{
    secret, ApiTokenId, ContactPointId, CustomerId, DuplicateScanId, EventId, FieldDefId,
    InteractionId, Lang, OrgId, Reason, Role, UserId,
};
use guanxi_store::*;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

// ---------------------------------------------------------------- the fake

#[derive(Default)]
struct Data {
    orgs: Vec<Organisation>,
    users: Vec<(OrgId, User)>,
    customers: Vec<(OrgId, Customer)>,
    interactions: Vec<(OrgId, Interaction)>,
    /// API tokens: the digest of the secret, the organisation and the user.
    tokens: Vec<(String, OrgId, User)>,
    /// Everything written to the audit log, oldest first.
    audit: Vec<AuditEntry>,
}

#[derive(Default)]
struct Fake {
    data: Mutex<Data>,
    ping_fails: bool,
}

fn not_in_fake() -> StoreError {
    StoreError::Internal("not implemented by the test fake: secret detail".into())
}

impl Fake {
    fn lock(&self) -> StoreResult<std::sync::MutexGuard<'_, Data>> {
        self.data
            .lock()
            .map_err(|_| StoreError::Internal("poisoned".into()))
    }
}

#[async_trait]
impl Store for Fake {
    fn backend(&self) -> &'static str {
        "fake"
    }

    async fn ping(&self) -> StoreResult<()> {
        if self.ping_fails {
            Err(StoreError::Unavailable("connection refused".into()))
        } else {
            Ok(())
        }
    }

    async fn create_org(&self, new: NewOrg) -> StoreResult<Organisation> {
        let mut d = self.lock()?;
        let org = Organisation {
            id: OrgId(d.orgs.len() as i64 + 1),
            name: new.name,
            locale: new.locale,
            currency: new.currency,
            time_zone: new.time_zone,
            created_at: Utc::now(),
        };
        d.orgs.push(org.clone());
        Ok(org)
    }

    async fn get_org(&self, id: OrgId) -> StoreResult<Organisation> {
        self.lock()?
            .orgs
            .iter()
            .find(|o| o.id == id)
            .cloned()
            .ok_or(StoreError::NotFound {
                entity: "organisation",
            })
    }

    async fn list_orgs(&self) -> StoreResult<Vec<Organisation>> {
        Ok(self.lock()?.orgs.clone())
    }

    async fn create_user(&self, ctx: Ctx, new: NewUser) -> StoreResult<User> {
        let mut d = self.lock()?;
        let user = User {
            id: UserId(d.users.len() as i64 + 1),
            name: new.name,
            email: new.email,
            role: new.role,
            team_id: new.team_id,
            active: true,
            locale: new.locale,
            created_at: Utc::now(),
        };
        d.users.push((ctx.org, user.clone()));
        Ok(user)
    }

    async fn list_users(&self, ctx: Ctx) -> StoreResult<Vec<User>> {
        Ok(self
            .lock()?
            .users
            .iter()
            .filter(|(o, _)| *o == ctx.org)
            .map(|(_, u)| u.clone())
            .collect())
    }

    async fn get_user(&self, ctx: Ctx, id: UserId) -> StoreResult<User> {
        self.lock()?
            .users
            .iter()
            .find(|(o, u)| *o == ctx.org && u.id == id)
            .map(|(_, u)| u.clone())
            .ok_or(StoreError::NotFound { entity: "user" })
    }

    async fn update_user(&self, _: Ctx, _: UserId, _: UserPatch) -> StoreResult<User> {
        Err(not_in_fake())
    }

    async fn set_password(&self, _: Ctx, _: UserId, _: String, _: Option<i64>) -> StoreResult<()> {
        Err(not_in_fake())
    }

    async fn password_hash(&self, _: Ctx, _: UserId) -> StoreResult<Option<String>> {
        Err(not_in_fake())
    }

    async fn create_team(&self, _: Ctx, _: NewTeam) -> StoreResult<Team> {
        Err(not_in_fake())
    }

    async fn list_teams(&self, _: Ctx) -> StoreResult<Vec<Team>> {
        Err(not_in_fake())
    }

    async fn find_login(&self, _: &str) -> StoreResult<Option<Login>> {
        Err(not_in_fake())
    }

    async fn create_session(&self, _: Ctx, _: NewSession) -> StoreResult<i64> {
        Err(not_in_fake())
    }

    async fn session_user(&self, _: &str) -> StoreResult<Option<Authenticated>> {
        // The fake knows no sessions.
        Ok(None)
    }

    async fn end_session(&self, _: Ctx, _: i64) -> StoreResult<()> {
        Err(not_in_fake())
    }

    async fn token_user(&self, secret_hash: &str, _: Option<IpAddr>) -> StoreResult<TokenCheck> {
        let d = self.lock()?;
        Ok(d.tokens
            .iter()
            .enumerate()
            .find(|(_, (hash, _, _))| hash == secret_hash)
            .map_or(TokenCheck::Unknown, |(i, (_, org, user))| {
                TokenCheck::Valid(Authenticated {
                    org: *org,
                    user: user.clone(),
                    via: Via::Token {
                        id: ApiTokenId(i as i64 + 1),
                    },
                })
            }))
    }

    async fn create_token(&self, _: Ctx, _: NewApiToken) -> StoreResult<ApiToken> {
        Err(not_in_fake())
    }

    async fn list_tokens(&self, _: Ctx) -> StoreResult<Vec<ApiToken>> {
        Err(not_in_fake())
    }

    async fn revoke_token(&self, _: Ctx, _: ApiTokenId) -> StoreResult<ApiToken> {
        Err(not_in_fake())
    }

    async fn audit(&self, entry: AuditEntry) -> StoreResult<()> {
        self.lock()?.audit.push(entry);
        Ok(())
    }

    async fn list_audit(&self, _: Ctx, _: AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        Err(not_in_fake())
    }

    async fn create_field_def(&self, _: Ctx, _: NewFieldDef) -> StoreResult<FieldDef> {
        Err(not_in_fake())
    }

    async fn list_field_defs(&self, _: Ctx) -> StoreResult<Vec<FieldDef>> {
        Ok(Vec::new())
    }

    async fn delete_field_def(&self, _: Ctx, _: FieldDefId) -> StoreResult<()> {
        Err(StoreError::NotFound {
            entity: "field_def",
        })
    }

    async fn create_customer(&self, ctx: Ctx, new: NewCustomer) -> StoreResult<Customer> {
        let mut d = self.lock()?;
        for (i, cp) in new.contact_points.iter().enumerate() {
            let holder = d.customers.iter().find(|(o, c)| {
                *o == ctx.org && c.contact_points.iter().any(|p| p.key == cp.value.key)
            });
            if let (Some((_, c)), false) = (holder, new.allow_duplicate) {
                return Err(StoreError::Conflict {
                    field: format!("contact_points[{i}].value"),
                    reason: Reason::Duplicate {
                        customer_id: c.id.get(),
                    },
                });
            }
        }
        let now = Utc::now();
        let c = Customer {
            id: CustomerId(d.customers.len() as i64 + 1),
            kind: new.kind,
            name: new.name,
            company_id: new.company_id,
            company_name: None,
            title: new.title,
            owner_id: new.owner_id,
            team_id: new.team_id,
            status: new.status,
            class: new.class,
            vip: new.vip,
            tags: new.tags,
            city: new.city,
            birthday: new.birthday,
            note: new.note,
            custom: new.custom,
            contact_points: new
                .contact_points
                .into_iter()
                .enumerate()
                .map(|(i, cp)| ContactPoint {
                    id: ContactPointId(i as i64 + 1),
                    kind: cp.value.kind,
                    value: cp.value.display,
                    key: cp.value.key,
                    label: cp.label,
                    primary: cp.primary,
                    created_at: now,
                })
                .collect(),
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        d.customers.push((ctx.org, c.clone()));
        Ok(c)
    }

    async fn get_customer(&self, ctx: Ctx, id: CustomerId, _: bool) -> StoreResult<Customer> {
        self.lock()?
            .customers
            .iter()
            .find(|(o, c)| *o == ctx.org && c.id == id)
            .map(|(_, c)| c.clone())
            .ok_or(StoreError::NotFound { entity: "customer" })
    }

    async fn update_customer(
        &self,
        ctx: Ctx,
        id: CustomerId,
        expected_version: Option<i64>,
        patch: CustomerPatch,
    ) -> StoreResult<Customer> {
        let mut d = self.lock()?;
        let (_, c) = d
            .customers
            .iter_mut()
            .find(|(o, c)| *o == ctx.org && c.id == id)
            .ok_or(StoreError::NotFound { entity: "customer" })?;
        if let Some(expected) = expected_version.filter(|v| *v != c.version) {
            return Err(StoreError::VersionMismatch {
                expected,
                current: c.version,
            });
        }
        if let Some(name) = patch.name {
            c.name = name;
        }
        if let Some(title) = patch.title {
            c.title = title;
        }
        c.version += 1;
        Ok(c.clone())
    }

    async fn delete_customer(
        &self,
        _: Ctx,
        _: CustomerId,
        _: Option<i64>,
    ) -> StoreResult<Customer> {
        Err(not_in_fake())
    }

    async fn restore_customer(&self, _: Ctx, _: CustomerId) -> StoreResult<Customer> {
        Err(not_in_fake())
    }
    async fn create_product(&self, _: Ctx, _: NewProduct) -> StoreResult<Product> {
        Err(not_in_fake())
    }
    async fn list_products(&self, _: Ctx, _: bool) -> StoreResult<Vec<Product>> {
        Err(not_in_fake())
    }
    async fn update_product(
        &self,
        _: Ctx,
        _: guanxi_core::ProductId,
        _: ProductPatch,
    ) -> StoreResult<Product> {
        Err(not_in_fake())
    }
    async fn create_order(&self, _: Ctx, _: NewOrder) -> StoreResult<(Order, bool)> {
        Err(not_in_fake())
    }
    async fn get_order(&self, _: Ctx, _: guanxi_core::OrderId) -> StoreResult<Order> {
        Err(not_in_fake())
    }
    async fn customer_orders(&self, _: Ctx, _: CustomerId, _: u32) -> StoreResult<Vec<Order>> {
        Err(not_in_fake())
    }
    async fn set_order_status(
        &self,
        _: Ctx,
        _: guanxi_core::OrderId,
        _: Option<i64>,
        _: guanxi_core::order::OrderStatus,
    ) -> StoreResult<Order> {
        Err(not_in_fake())
    }
    async fn create_pipeline(&self, _: Ctx, _: NewPipeline) -> StoreResult<Pipeline> {
        Err(not_in_fake())
    }
    async fn list_pipelines(&self, _: Ctx) -> StoreResult<Vec<Pipeline>> {
        Err(not_in_fake())
    }
    async fn create_opportunity(&self, _: Ctx, _: NewOpportunity) -> StoreResult<Opportunity> {
        Err(not_in_fake())
    }
    async fn get_opportunity(
        &self,
        _: Ctx,
        _: guanxi_core::OpportunityId,
    ) -> StoreResult<Opportunity> {
        Err(not_in_fake())
    }
    async fn move_opportunity(
        &self,
        _: Ctx,
        _: guanxi_core::OpportunityId,
        _: Option<i64>,
        _: guanxi_core::StageId,
        _: Option<String>,
    ) -> StoreResult<Opportunity> {
        Err(not_in_fake())
    }
    async fn board(
        &self,
        _: Ctx,
        _: guanxi_core::PipelineId,
        _: u32,
    ) -> StoreResult<Vec<BoardColumn>> {
        Err(not_in_fake())
    }
    async fn customer_opportunities(&self, _: Ctx, _: CustomerId) -> StoreResult<Vec<Opportunity>> {
        Err(not_in_fake())
    }
    async fn forecast(&self, _: Ctx, _: guanxi_core::PipelineId) -> StoreResult<Forecast> {
        Err(not_in_fake())
    }
    async fn activities_about(&self, _: Ctx, _: About) -> StoreResult<Vec<Activity>> {
        Err(not_in_fake())
    }
    async fn import_customers(
        &self,
        _: Ctx,
        _: Vec<ImportCustomer>,
        _: ImportPolicy,
    ) -> StoreResult<Vec<ImportResult>> {
        Err(not_in_fake())
    }
    async fn bulk_opportunities(
        &self,
        _: Ctx,
        _: guanxi_core::PipelineId,
        _: Vec<BulkOpportunity>,
    ) -> StoreResult<u64> {
        Err(not_in_fake())
    }
    async fn create_import_job(&self, _: Ctx, _: NewImportJob) -> StoreResult<ImportJob> {
        Err(not_in_fake())
    }
    async fn import_job(&self, _: Ctx, _: guanxi_core::ImportJobId) -> StoreResult<ImportJob> {
        Err(not_in_fake())
    }
    async fn import_jobs(&self, _: Ctx, _: u32) -> StoreResult<Vec<ImportJob>> {
        Err(not_in_fake())
    }
    async fn claim_import_job(
        &self,
        _: Ctx,
        _: guanxi_core::ImportJobId,
    ) -> StoreResult<ImportJob> {
        Err(not_in_fake())
    }
    async fn import_chunk(
        &self,
        _: Ctx,
        _: guanxi_core::ImportJobId,
        _: ImportChunk,
    ) -> StoreResult<ImportCounts> {
        Err(not_in_fake())
    }
    async fn import_record_chunk(
        &self,
        _: Ctx,
        _: guanxi_core::ImportJobId,
        _: RecordChunk,
    ) -> StoreResult<ImportCounts> {
        Err(not_in_fake())
    }
    async fn finish_import_job(
        &self,
        _: Ctx,
        _: guanxi_core::ImportJobId,
        _: u64,
        _: Option<String>,
    ) -> StoreResult<ImportJob> {
        Err(not_in_fake())
    }
    async fn import_first_customer(
        &self,
        _: Ctx,
        _: guanxi_core::ImportJobId,
    ) -> StoreResult<Option<CustomerId>> {
        Err(not_in_fake())
    }
    async fn restart_import_job(
        &self,
        _: Ctx,
        _: guanxi_core::ImportJobId,
        _: ImportMode,
        _: serde_json::Value,
        _: ImportPolicy,
    ) -> StoreResult<ImportJob> {
        Err(not_in_fake())
    }
    async fn cancel_import_job(
        &self,
        _: Ctx,
        _: guanxi_core::ImportJobId,
    ) -> StoreResult<ImportJob> {
        Err(not_in_fake())
    }
    async fn stale_import_files(
        &self,
        _: &str,
        _: chrono::DateTime<chrono::Utc>,
        _: u32,
    ) -> StoreResult<Vec<guanxi_store::StaleImportFile>> {
        Err(not_in_fake())
    }
    async fn remove_import_file(
        &self,
        _: Ctx,
        _: guanxi_core::ImportJobId,
        _: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Option<ImportJob>> {
        Err(not_in_fake())
    }
    async fn import_rows(
        &self,
        _: Ctx,
        _: guanxi_core::ImportJobId,
        _: Option<String>,
        _: u64,
        _: u32,
    ) -> StoreResult<Vec<ImportRowNote>> {
        Err(not_in_fake())
    }
    async fn save_import_mapping(
        &self,
        _: Ctx,
        _: String,
        _: serde_json::Value,
    ) -> StoreResult<ImportMapping> {
        Err(not_in_fake())
    }
    async fn import_mappings(&self, _: Ctx) -> StoreResult<Vec<ImportMapping>> {
        Err(not_in_fake())
    }
    async fn scan_duplicates(&self, _: Ctx, _: ScanScope, _: String) -> StoreResult<ScanStats> {
        Err(not_in_fake())
    }
    async fn start_duplicate_scan(&self, _: Ctx) -> StoreResult<DuplicateScan> {
        Err(not_in_fake())
    }
    async fn beat_duplicate_scan(&self, _: Ctx, _: DuplicateScanId) -> StoreResult<()> {
        Err(not_in_fake())
    }
    async fn finish_duplicate_scan(
        &self,
        _: Ctx,
        _: DuplicateScanId,
        _: Result<ScanStats, String>,
    ) -> StoreResult<DuplicateScan> {
        Err(not_in_fake())
    }
    async fn duplicate_scan(&self, _: Ctx, _: DuplicateScanId) -> StoreResult<DuplicateScan> {
        Err(not_in_fake())
    }
    async fn duplicate_scans(&self, _: Ctx, _: u32) -> StoreResult<Vec<DuplicateScan>> {
        Err(not_in_fake())
    }
    async fn duplicate_candidates(
        &self,
        _: Ctx,
        _: DuplicateStatus,
        _: u32,
    ) -> StoreResult<Vec<DuplicateCandidate>> {
        Err(not_in_fake())
    }
    async fn duplicate_candidate(
        &self,
        _: Ctx,
        _: guanxi_core::DuplicateId,
    ) -> StoreResult<DuplicateCandidate> {
        Err(not_in_fake())
    }
    async fn decide_duplicate(
        &self,
        _: Ctx,
        _: guanxi_core::DuplicateId,
        _: DuplicateStatus,
    ) -> StoreResult<DuplicateCandidate> {
        Err(not_in_fake())
    }
    async fn erase_customer(&self, _: Ctx, _: CustomerId) -> StoreResult<()> {
        Err(not_in_fake())
    }
    async fn warehouse_extract(
        &self,
        _: warehouse::ExtractWindow,
        _: warehouse::ExtractCursor,
        _: u32,
    ) -> StoreResult<warehouse::ExtractPage> {
        Err(not_in_fake())
    }
    async fn store_now(&self) -> StoreResult<i64> {
        Err(not_in_fake())
    }
    async fn segment_map(&self, _: Ctx) -> StoreResult<Option<SavedSegmentMap>> {
        Ok(None)
    }
    async fn save_segment_map(
        &self,
        _: Ctx,
        _: Option<Vec<SegmentDef>>,
    ) -> StoreResult<Option<SavedSegmentMap>> {
        Err(not_in_fake())
    }
    async fn analysis_purchases(&self, _: Ctx) -> StoreResult<Purchases> {
        Err(not_in_fake())
    }
    async fn save_scores(
        &self,
        _: Ctx,
        _: NewScoreRun,
        _: Vec<CustomerScore>,
    ) -> StoreResult<(ScoreRun, ScoreWrite)> {
        Err(not_in_fake())
    }
    async fn score_runs(&self, _: Ctx, _: u32) -> StoreResult<Vec<ScoreRun>> {
        Err(not_in_fake())
    }
    async fn customer_score(&self, _: Ctx, _: CustomerId) -> StoreResult<Option<StoredScore>> {
        Err(not_in_fake())
    }
    async fn score_history(&self, _: Ctx, _: CustomerId) -> StoreResult<Vec<ScoreChange>> {
        Err(not_in_fake())
    }
    async fn score_counts(
        &self,
        _: Ctx,
        _: ScoreDim,
        _: ScoreFilter,
    ) -> StoreResult<Vec<ScoreCount>> {
        Err(not_in_fake())
    }
    async fn create_quote(&self, _: Ctx, _: NewQuote) -> StoreResult<Quote> {
        Err(not_in_fake())
    }
    async fn get_quote(&self, _: Ctx, _: guanxi_core::QuoteId) -> StoreResult<Quote> {
        Err(not_in_fake())
    }
    async fn customer_quotes(&self, _: Ctx, _: CustomerId) -> StoreResult<Vec<Quote>> {
        Err(not_in_fake())
    }
    async fn set_quote_status(
        &self,
        _: Ctx,
        _: guanxi_core::QuoteId,
        _: Option<i64>,
        _: guanxi_core::quote::QuoteStatus,
    ) -> StoreResult<Quote> {
        Err(not_in_fake())
    }
    async fn order_quote(
        &self,
        _: Ctx,
        _: guanxi_core::QuoteId,
        _: Option<i64>,
    ) -> StoreResult<(Quote, Order)> {
        Err(not_in_fake())
    }
    async fn account_plan(&self, _: Ctx, _: CustomerId) -> StoreResult<AccountPlan> {
        Err(not_in_fake())
    }
    async fn save_account_plan(
        &self,
        _: Ctx,
        _: CustomerId,
        _: Option<i64>,
        _: AccountPlanPatch,
    ) -> StoreResult<AccountPlan> {
        Err(not_in_fake())
    }
    async fn add_account_member(
        &self,
        _: Ctx,
        _: CustomerId,
        _: UserId,
        _: String,
    ) -> StoreResult<AccountPlan> {
        Err(not_in_fake())
    }
    async fn remove_account_member(
        &self,
        _: Ctx,
        _: CustomerId,
        _: UserId,
    ) -> StoreResult<AccountPlan> {
        Err(not_in_fake())
    }
    async fn create_lead(&self, _: Ctx, _: NewLead) -> StoreResult<(Lead, Vec<LeadMatch>)> {
        Err(not_in_fake())
    }
    async fn get_lead(&self, _: Ctx, _: guanxi_core::LeadId) -> StoreResult<Lead> {
        Err(not_in_fake())
    }
    async fn list_leads(&self, _: Ctx, _: LeadQuery) -> StoreResult<Vec<Lead>> {
        Err(not_in_fake())
    }
    async fn update_lead(
        &self,
        _: Ctx,
        _: guanxi_core::LeadId,
        _: Option<i64>,
        _: LeadPatch,
    ) -> StoreResult<Lead> {
        Err(not_in_fake())
    }
    async fn lead_matches(&self, _: Ctx, _: guanxi_core::LeadId) -> StoreResult<Vec<LeadMatch>> {
        Err(not_in_fake())
    }
    async fn convert_lead(
        &self,
        _: Ctx,
        _: guanxi_core::LeadId,
        _: Option<i64>,
        _: ConvertLead,
    ) -> StoreResult<Conversion> {
        Err(not_in_fake())
    }
    async fn list_lead_sources(&self, _: Ctx) -> StoreResult<Vec<LeadSource>> {
        Err(not_in_fake())
    }
    async fn save_lead_source(&self, _: Ctx, _: LeadSource) -> StoreResult<LeadSource> {
        Err(not_in_fake())
    }
    async fn create_web_form(&self, _: Ctx, _: NewWebForm) -> StoreResult<WebForm> {
        Err(not_in_fake())
    }
    async fn list_web_forms(&self, _: Ctx) -> StoreResult<Vec<WebForm>> {
        Err(not_in_fake())
    }
    async fn web_form_by_key(&self, _: &str) -> StoreResult<Option<(OrgId, WebForm)>> {
        Ok(None)
    }
    async fn create_lead_rule(&self, _: Ctx, _: NewLeadRule) -> StoreResult<LeadRule> {
        Err(not_in_fake())
    }
    async fn list_lead_rules(&self, _: Ctx) -> StoreResult<Vec<LeadRule>> {
        Err(not_in_fake())
    }
    async fn delete_lead_rule(&self, _: Ctx, _: guanxi_core::LeadRuleId) -> StoreResult<()> {
        Err(not_in_fake())
    }
    async fn create_activity(&self, _: Ctx, _: NewActivity) -> StoreResult<Activity> {
        Err(not_in_fake())
    }
    async fn list_activities(&self, _: Ctx, _: ActivityQuery) -> StoreResult<Vec<Activity>> {
        Err(not_in_fake())
    }
    async fn complete_activity(
        &self,
        _: Ctx,
        _: guanxi_core::ActivityId,
        _: Option<i64>,
    ) -> StoreResult<Activity> {
        Err(not_in_fake())
    }
    async fn set_calendar_feed(&self, _: Ctx, _: String) -> StoreResult<()> {
        Err(not_in_fake())
    }
    async fn calendar_feed_user(&self, _: &str) -> StoreResult<Option<(OrgId, User)>> {
        Ok(None)
    }
    async fn list_views(&self, _: Ctx) -> StoreResult<Vec<SavedView>> {
        Err(not_in_fake())
    }
    async fn save_view(&self, _: Ctx, _: String, _: String) -> StoreResult<SavedView> {
        Err(not_in_fake())
    }
    async fn delete_view(&self, _: Ctx, _: i64) -> StoreResult<()> {
        Err(not_in_fake())
    }
    async fn merge_customers(
        &self,
        _: Ctx,
        _: CustomerId,
        _: CustomerId,
    ) -> StoreResult<(Customer, MergeStats)> {
        Err(not_in_fake())
    }

    async fn list_customers(
        &self,
        ctx: Ctx,
        query: CustomerQuery,
    ) -> StoreResult<Page<CustomerSummary>> {
        let d = self.lock()?;
        let items = d
            .customers
            .iter()
            .filter(|(o, _)| *o == ctx.org)
            .take(query.limit as usize)
            .map(|(_, c)| CustomerSummary {
                id: c.id,
                kind: c.kind,
                name: c.name.clone(),
                company_id: c.company_id,
                owner_id: c.owner_id,
                team_id: c.team_id,
                status: c.status,
                class: c.class,
                vip: c.vip,
                tags: c.tags.clone(),
                city: c.city.clone(),
                primary_phone: None,
                primary_email: None,
                version: c.version,
                created_at: c.created_at,
                updated_at: c.updated_at,
                deleted_at: c.deleted_at,
            })
            .collect();
        Ok(Page {
            items,
            next_cursor: None,
        })
    }

    async fn lookup(&self, ctx: Ctx, key: &ContactLookup) -> StoreResult<Vec<Customer>> {
        let k = match key {
            ContactLookup::Phone(k) | ContactLookup::Email(k) | ContactLookup::Wechat(k) => k,
        };
        Ok(self
            .lock()?
            .customers
            .iter()
            .filter(|(o, c)| *o == ctx.org && c.contact_points.iter().any(|p| &p.key == k))
            .map(|(_, c)| c.clone())
            .collect())
    }

    async fn customer_360(&self, _: Ctx, _: CustomerId) -> StoreResult<Customer360> {
        Err(not_in_fake())
    }

    async fn add_contact_point(
        &self,
        _: Ctx,
        _: CustomerId,
        _: NewContactPoint,
    ) -> StoreResult<ContactPoint> {
        Err(not_in_fake())
    }

    async fn update_contact_point(
        &self,
        _: Ctx,
        _: CustomerId,
        _: ContactPointId,
        _: ContactPointPatch,
    ) -> StoreResult<ContactPoint> {
        Err(not_in_fake())
    }

    async fn remove_contact_point(
        &self,
        _: Ctx,
        _: CustomerId,
        _: ContactPointId,
    ) -> StoreResult<()> {
        Err(not_in_fake())
    }

    async fn log_interaction(
        &self,
        ctx: Ctx,
        new: NewInteraction,
    ) -> StoreResult<(Interaction, Recognition)> {
        let mut d = self.lock()?;
        let (customer_id, recognition) = match new.customer_id {
            Some(id) => (id, Recognition::Given),
            None => {
                let key = new.contact.as_ref().map(|c| c.key.clone());
                let found = d.customers.iter().find(|(o, c)| {
                    *o == ctx.org
                        && c.contact_points
                            .iter()
                            .any(|p| Some(&p.key) == key.as_ref())
                });
                match found {
                    Some((_, c)) => (c.id, Recognition::Matched),
                    None => return Err(not_in_fake()),
                }
            }
        };
        let i = Interaction {
            id: InteractionId(d.interactions.len() as i64 + 1),
            customer_id,
            channel: new.channel,
            direction: new.direction,
            occurred_at: new.occurred_at,
            staff_id: new.staff_id,
            subject: new.subject,
            body: new.body,
            duration_seconds: new.duration_seconds,
            outcome: new.outcome,
            contact: new.contact.map(|c| c.display),
            links: new.links,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        d.interactions.push((ctx.org, i.clone()));
        Ok((i, recognition))
    }

    async fn get_interaction(&self, ctx: Ctx, id: InteractionId) -> StoreResult<Interaction> {
        self.lock()?
            .interactions
            .iter()
            .find(|(o, i)| *o == ctx.org && i.id == id)
            .map(|(_, i)| i.clone())
            .ok_or(StoreError::NotFound {
                entity: "interaction",
            })
    }

    async fn update_interaction(
        &self,
        _: Ctx,
        _: InteractionId,
        _: Option<i64>,
        _: InteractionPatch,
    ) -> StoreResult<Interaction> {
        Err(not_in_fake())
    }

    async fn delete_interaction(
        &self,
        ctx: Ctx,
        id: InteractionId,
        expected_version: Option<i64>,
    ) -> StoreResult<()> {
        let mut d = self.lock()?;
        if let Some(expected) = expected_version {
            let current = d
                .interactions
                .iter()
                .find(|(o, i)| *o == ctx.org && i.id == id)
                .map(|(_, i)| i.version);
            if let Some(current) = current.filter(|c| *c != expected) {
                return Err(StoreError::VersionMismatch { expected, current });
            }
        }
        let before = d.interactions.len();
        d.interactions
            .retain(|(o, i)| !(*o == ctx.org && i.id == id));
        if d.interactions.len() == before {
            return Err(StoreError::NotFound {
                entity: "interaction",
            });
        }
        Ok(())
    }

    async fn timeline(
        &self,
        _: Ctx,
        _: CustomerId,
        _: TimelineQuery,
    ) -> StoreResult<Page<Interaction>> {
        Err(not_in_fake())
    }

    async fn events_after(&self, _: Ctx, _: EventId, _: u32) -> StoreResult<Vec<Event>> {
        Ok(vec![])
    }

    async fn bulk_load(&self, _: Ctx, _: BulkBatch) -> StoreResult<BulkStats> {
        Err(not_in_fake())
    }
}

// ---------------------------------------------------------------- helpers

struct App {
    router: Router,
    fake: Arc<Fake>,
    /// The API token [`App::send`] signs every request with, unless it carries its own
    /// `Authorization` header.
    token: Option<String>,
}

impl App {
    /// An app without organisations; requests go out without credentials.
    fn with(fake: Fake) -> Self {
        let fake = Arc::new(fake);
        let router = router(ApiState::new(fake.clone()));
        Self {
            router,
            fake,
            token: None,
        }
    }

    /// An app with one organisation and an administrator, whose token signs every request.
    async fn one_org() -> Self {
        let mut app = Self::with(Fake::default());
        let org = app.add_org("示例公司").await;
        app.token = Some(app.user_with_role(org, Role::Admin).await);
        app
    }

    /// A new user with `role` in `org`, and an API token of theirs.
    async fn user_with_role(&self, org: OrgId, role: Role) -> String {
        let n = self.fake.lock().expect("lock").users.len() + 1;
        let user = self
            .fake
            .create_user(
                Ctx::new(org),
                NewUser::staff(format!("员工{n}"), format!("staff{n}@example.com"), role),
            )
            .await
            .expect("user");
        let token = secret::new_secret(crate::auth::TOKEN_PREFIX);
        self.fake
            .lock()
            .expect("lock")
            .tokens
            .push((secret::digest(&token), org, user));
        token
    }

    /// The actions written to the audit log so far.
    fn audited(&self) -> Vec<AuditEntry> {
        self.fake.lock().expect("lock").audit.clone()
    }

    async fn add_org(&self, name: &str) -> OrgId {
        self.fake
            .create_org(NewOrg {
                name: name.into(),
                locale: Lang::ZhCn,
                currency: guanxi_core::Currency::parse("CNY").expect("cny"),
                time_zone: "Asia/Shanghai".into(),
            })
            .await
            .expect("org")
            .id
    }

    /// Send `req`, signed with the app's token when it has no `Authorization` header.
    async fn send(&self, mut req: Request<Body>) -> Reply {
        if let Some(token) = &self.token {
            if !req.headers().contains_key(header::AUTHORIZATION) {
                req.headers_mut().insert(
                    header::AUTHORIZATION,
                    format!("Bearer {token}").parse().expect("h"),
                );
            }
        }
        self.send_raw(req).await
    }

    /// Send `req` exactly as it is.
    async fn send_raw(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, uri: &str) -> Reply {
        self.send(req(Method::GET, uri).body(Body::empty()).expect("req"))
            .await
    }

    async fn post(&self, uri: &str, body: Value) -> Reply {
        self.send(json_req(Method::POST, uri, &body)).await
    }

    /// Send `req` with another user's token.
    async fn send_as(&self, token: &str, mut req: Request<Body>) -> Reply {
        req.headers_mut().insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("h"),
        );
        self.send(req).await
    }

    async fn get_as(&self, token: &str, uri: &str) -> Reply {
        self.send_as(
            token,
            req(Method::GET, uri).body(Body::empty()).expect("req"),
        )
        .await
    }

    async fn post_as(&self, token: &str, uri: &str, body: Value) -> Reply {
        self.send_as(token, json_req(Method::POST, uri, &body))
            .await
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("<no code>")
    }

    fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }

    fn field(&self, i: usize) -> (&str, &str) {
        let f = &self.body["error"]["fields"][i];
        (
            f["field"].as_str().unwrap_or("<none>"),
            f["reason"].as_str().unwrap_or("<none>"),
        )
    }

    /// Every error body has exactly this shape.
    fn assert_error_shape(&self) {
        let err = self.body["error"].as_object().expect("error object");
        let mut keys: Vec<&str> = err.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["code", "fields", "message"], "{}", self.body);
        assert!(err["fields"].is_array());
        assert_eq!(self.body.as_object().map(|o| o.len()), Some(1));
    }
}

fn req(method: Method, uri: &str) -> axum::http::request::Builder {
    Request::builder().method(method).uri(uri)
}

fn json_req(method: Method, uri: &str, body: &Value) -> Request<Body> {
    req(method, uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("req")
}

fn customer() -> Value {
    json!({"name": "王芳", "contact_points": [{"kind": "mobile", "value": "138 0013 8000"}]})
}

// ---------------------------------------------------------------- probes and docs

#[tokio::test]
async fn probes() {
    let app = App::with(Fake::default());
    let r = app.get("/healthz").await;
    assert_eq!(
        (r.status, &r.body),
        (StatusCode::OK, &json!({"status": "ok"}))
    );
    assert!(r.header("x-request-id").is_some());
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);

    let down = App::with(Fake {
        ping_fails: true,
        ..Fake::default()
    });
    let r = down.get("/readyz").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.code(), "unavailable");
    r.assert_error_shape();
}

#[tokio::test]
async fn openapi_and_swagger_ui_are_served() {
    let app = App::with(Fake::default());
    let r = app.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["paths"]["/api/v1/customers"].is_object());
    let r = app.get("/api/docs/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.as_str().is_some_and(|s| s.contains("swagger")));
    let r = app.get("/api/docs").await;
    assert!(r.status.is_redirection());
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_json() {
    let app = App::one_org().await;
    let r = app.get("/api/v1/nothing-here").await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    r.assert_error_shape();
    let r = app
        .send(
            req(Method::PUT, "/api/v1/customers")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
}

// ---------------------------------------------------------------- bodies

#[tokio::test]
async fn unknown_field_is_named() {
    let app = App::one_org().await;
    let r = app
        .post(
            "/api/v1/customers",
            json!({"name": "王芳", "contact_points": [{"kind": "email", "value": "a@b.cn", "note": "x"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "validation_failed");
    assert_eq!(r.field(0), ("contact_points[0].note", "不是可识别的字段"));
    r.assert_error_shape();
}

#[tokio::test]
async fn wrong_type_names_the_path() {
    let app = App::one_org().await;
    let r = app
        .post(
            "/api/v1/customers",
            json!({"name": "王芳", "contact_points": [{"kind": "mobile", "value": 13800138000_i64}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.field(0),
        ("contact_points[0].value", "类型不对，应为 文本")
    );
    let r = app
        .post("/api/v1/customers", json!({"name": "王芳", "vip": "yes"}))
        .await;
    assert_eq!(r.field(0).0, "vip");
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = App::one_org().await;
    let r = app
        .send(
            req(Method::POST, "/api/v1/customers")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{\"name\": \"王芳\",}"))
                .expect("req"),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "malformed_json")
    );
    assert!(r.message().contains("第 1 行"), "{}", r.message());
    r.assert_error_shape();
}

#[tokio::test]
async fn body_must_be_declared_json() {
    let app = App::one_org().await;
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut b = req(Method::POST, "/api/v1/customers");
        if let Some(ct) = ct {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        let r = app
            .send(b.body(Body::from(customer().to_string())).expect("req"))
            .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct:?}");
        assert_eq!(r.code(), "unsupported_media_type");
    }
    let r = app
        .send(
            req(Method::POST, "/api/v1/customers")
                .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
                .body(Body::from(customer().to_string()))
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn oversize_bodies_are_413() {
    let app = App::one_org().await;
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(MAX_BODY_BYTES + 10));
    // With a Content-Length: refused before reading.
    let r = app
        .send(
            req(Method::POST, "/api/v1/customers")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, big.len())
                .body(Body::from(big.clone()))
                .expect("req"),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    r.assert_error_shape();
    // Without one: refused while reading.
    let r = app
        .send(
            req(Method::POST, "/api/v1/customers")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT_LANGUAGE, "en")
                .body(Body::from(big))
                .expect("req"),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    assert!(r.message().contains("1 MiB"));
}

#[tokio::test]
async fn invalid_phone_in_both_languages() {
    let app = App::one_org().await;
    let body = json!({"name": "", "contact_points": [{"kind": "mobile", "value": "12345"}]});
    let r = app.post("/api/v1/customers", body.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.message(), "请求内容有误，请检查标出的字段");
    assert_eq!(r.header("content-language"), Some("zh-CN"));
    assert_eq!(r.field(0), ("name", "不能为空"));
    assert_eq!(
        r.field(1),
        (
            "contact_points[0].value",
            "不是有效的电话号码（例如 138 0013 8000 或 010-8888 6666）"
        )
    );

    let mut en = json_req(Method::POST, "/api/v1/customers", &body);
    en.headers_mut().insert(
        header::ACCEPT_LANGUAGE,
        "en-GB,en;q=0.9,zh;q=0.5".parse().expect("h"),
    );
    let r = app.send(en).await;
    assert_eq!(
        r.message(),
        "Some fields are invalid; see the listed fields."
    );
    assert_eq!(r.header("content-language"), Some("en"));
    assert_eq!(r.field(0), ("name", "must not be empty"));
    assert!(r.field(1).1.starts_with("is not a valid phone number"));
}

// ---------------------------------------------------------------- customers

#[tokio::test]
async fn create_get_patch_with_versions() {
    let app = App::one_org().await;
    let r = app.post("/api/v1/customers", customer()).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.header("location"), Some("/api/v1/customers/1"));
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert_eq!(r.body["id"], json!(1));
    assert_eq!(r.body["kind"], json!("person"));
    assert_eq!(r.body["status"], json!("new"));
    assert_eq!(r.body["contact_points"][0]["key"], json!("+8613800138000"));
    let created_at = r.body["created_at"].as_str().expect("time");
    assert!(chrono::DateTime::parse_from_rfc3339(created_at).is_ok());
    assert!(created_at.ends_with('Z'));

    let r = app.get("/api/v1/customers/1").await;
    assert_eq!(
        (r.status, r.header("etag")),
        (StatusCode::OK, Some("\"1\""))
    );

    let patch = |if_match: Option<&str>, body: Value| {
        let mut r = json_req(Method::PATCH, "/api/v1/customers/1", &body);
        if let Some(v) = if_match {
            r.headers_mut()
                .insert(header::IF_MATCH, v.parse().expect("h"));
        }
        r
    };
    let r = app
        .send(patch(Some("\"1\""), json!({"title": "经理"})))
        .await;
    assert_eq!(
        (r.status, r.header("etag")),
        (StatusCode::OK, Some("\"2\""))
    );
    assert_eq!(r.body["title"], json!("经理"));

    // Someone else's edit happened meanwhile: the stale version is refused.
    let r = app.send(patch(Some("\"1\""), json!({"title": null}))).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(r.code(), "precondition_failed");
    assert_eq!(r.message(), "该记录已被他人修改，请刷新后重试");
    assert_eq!(r.header("etag"), Some("\"2\""));

    let r = app.send(patch(Some("2"), json!({"title": null}))).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_header")
    );
    assert_eq!(r.field(0).0, "If-Match");

    let r = app.send(patch(None, json!({"title": null}))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["title"], Value::Null);

    let r = app
        .send(patch(None, json!({"name": null, "kind": "company"})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.field(0), ("kind", "不是可识别的字段"));
}

#[tokio::test]
async fn a_held_contact_point_is_a_conflict() {
    let app = App::one_org().await;
    assert_eq!(
        app.post("/api/v1/customers", customer()).await.status,
        StatusCode::CREATED
    );
    let again = json!({"name": "王芳二", "contact_points": [{"kind": "mobile", "value": "+86 138-0013-8000"}]});
    let r = app.post("/api/v1/customers", again).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "conflict"));
    assert_eq!(r.field(0), ("contact_points[0].value", "已属于客户 1"));
    let with_dup = json!({"name": "王芳二", "allow_duplicate": true,
        "contact_points": [{"kind": "mobile", "value": "+86 138-0013-8000"}]});
    assert_eq!(
        app.post("/api/v1/customers", with_dup).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn ids_in_paths_must_be_numbers() {
    let app = App::one_org().await;
    let r = app.get("/api/v1/customers/abc").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_path")
    );
    assert_eq!(r.field(0).0, "id");
    let r = app
        .send(
            req(Method::DELETE, "/api/v1/customers/1/contact-points/x1")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(r.field(0).0, "cp_id");
    let r = app.get("/api/v1/customers/99").await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::NOT_FOUND, "找不到该客户")
    );
}

#[tokio::test]
async fn query_parameters_are_named() {
    let app = App::one_org().await;
    let r = app.get("/api/v1/customers?colour=red").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    assert_eq!(r.field(0), ("colour", "不是可识别的字段"));
    let r = app
        .get("/api/v1/customers?limit=ten&status=vip&sort=age")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = (0..3).map(|i| r.field(i).0).collect();
    assert_eq!(fields, ["status", "sort", "limit"]);
    let r = app
        .get("/api/v1/customers?limit=100000&sort=-created_at&q=%E7%8E%8B")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["next_cursor"], Value::Null);
    let r = app.get("/api/v1/customers/1?include_deleted=maybe").await;
    assert_eq!(r.field(0).0, "include_deleted");
}

#[tokio::test]
async fn lookup_by_any_spelling() {
    let app = App::one_org().await;
    let r = app.get("/api/v1/customers/lookup?phone=13800138000").await;
    assert_eq!(
        (r.status, &r.body),
        (StatusCode::OK, &json!({"matches": []}))
    );
    app.post("/api/v1/customers", customer()).await;
    let r = app
        .get("/api/v1/customers/lookup?phone=%2B86%20138-0013-8000")
        .await;
    assert_eq!(r.body["matches"][0]["id"], json!(1));

    let r = app.get("/api/v1/customers/lookup").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    let r = app
        .get("/api/v1/customers/lookup?phone=13800138000&email=a@b.cn")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app.get("/api/v1/customers/lookup?phone=12345").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.field(0).0, "phone");
}

#[tokio::test]
async fn internal_errors_hide_their_detail() {
    let app = App::one_org().await;
    let r = app.get("/api/v1/customers/1/360").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::INTERNAL_SERVER_ERROR, "internal")
    );
    assert!(!r.body.to_string().contains("secret"));
    r.assert_error_shape();
}

// ---------------------------------------------------------------- authentication, roles, tenancy

#[tokio::test]
async fn requests_without_credentials_are_401() {
    let app = App::one_org().await;
    let r = app
        .send_raw(
            req(Method::GET, "/api/v1/customers")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    assert!(
        r.header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer")),
        "{:?}",
        r.header("www-authenticate")
    );
    assert!(r.message().contains("Authorization"), "{}", r.message());
    r.assert_error_shape();
    // Also for changes, before the body is looked at.
    let r = app
        .send_raw(json_req(Method::POST, "/api/v1/customers", &customer()))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(app.fake.lock().expect("lock").customers.is_empty());
    // The probes need none.
    let anonymous = |uri: &str| req(Method::GET, uri).body(Body::empty()).expect("req");
    assert_eq!(
        app.send_raw(anonymous("/healthz")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.send_raw(anonymous("/readyz")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn malformed_and_unknown_tokens_are_401() {
    let app = App::one_org().await;
    let with_auth = |value: &str| {
        req(Method::GET, "/api/v1/customers")
            .header(header::AUTHORIZATION, value)
            .body(Body::empty())
            .expect("req")
    };
    let unknown = secret::new_secret(crate::auth::TOKEN_PREFIX);
    let malformed = [
        "Bearer gxp_short".to_owned(),
        "Bearer not-a-guanxi-token".to_owned(),
        // A session secret is not an API token.
        format!("Bearer {}", secret::new_secret(crate::auth::SESSION_PREFIX)),
        // Only the bearer scheme.
        format!("Basic {unknown}"),
    ];
    for value in &malformed {
        let r = app.send(with_auth(value)).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "token_invalid"),
            "{value}"
        );
        assert!(r.header("www-authenticate").is_some());
        r.assert_error_shape();
    }
    // Well formed, but no such token.
    let r = app.send(with_auth(&format!("Bearer {unknown}"))).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "token_invalid")
    );
    assert!(r.header("www-authenticate").is_some());
    // Every refusal is audited, without an organisation.
    let audited = app.audited();
    assert_eq!(audited.len(), malformed.len() + 1);
    assert!(audited
        .iter()
        .all(|e| e.action == "auth.rejected" && e.org.is_none() && e.outcome == Outcome::Denied));
    assert_eq!(
        audited.last().map(|e| e.detail["why"].clone()),
        Some(json!("unknown_token"))
    );
    // The right token still works.
    assert_eq!(app.get("/api/v1/customers").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_role_without_the_right_is_403_and_audited() {
    let app = App::one_org().await;
    let analyst = app.user_with_role(OrgId(1), Role::Analyst).await;
    let r = app.post_as(&analyst, "/api/v1/customers", customer()).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "forbidden"));
    r.assert_error_shape();
    assert!(app.fake.lock().expect("lock").customers.is_empty());
    let denied: Vec<AuditEntry> = app
        .audited()
        .into_iter()
        .filter(|e| e.action == "access.denied")
        .collect();
    assert_eq!(denied.len(), 1);
    let e = &denied[0];
    assert_eq!(e.org, Some(OrgId(1)));
    assert_eq!(e.actor, Some(UserId(2)));
    assert!(e.token.is_some());
    assert_eq!(e.outcome, Outcome::Denied);
    assert_eq!(e.detail["why"], json!("role"));
    assert_eq!(e.detail["action"], json!("create_customers"));
    // Reading is allowed to an analyst.
    assert_eq!(
        app.get_as(&analyst, "/api/v1/customers").await.status,
        StatusCode::OK
    );
    // So is the directory, but not managing users.
    let r = app
        .post_as(
            &analyst,
            "/api/v1/users",
            json!({"name": "李娜", "email": "li.na@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_as(&analyst, "/api/v1/users").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn organisations_do_not_see_each_other() {
    let app = App::one_org().await;
    let other = app.add_org("乙公司").await;
    let theirs = app.user_with_role(other, Role::Admin).await;
    let r = app.post("/api/v1/customers", customer()).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(app.get("/api/v1/customers/1").await.status, StatusCode::OK);

    let r = app.get_as(&theirs, "/api/v1/customers/1").await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::NOT_FOUND, "找不到该客户")
    );
    let r = app.get_as(&theirs, "/api/v1/customers").await;
    assert_eq!((r.status, &r.body["items"]), (StatusCode::OK, &json!([])));
    let r = app
        .get_as(&theirs, "/api/v1/customers/lookup?phone=13800138000")
        .await;
    assert_eq!(r.body, json!({"matches": []}));
    // The same contact point is free in the other organisation.
    let r = app.post_as(&theirs, "/api/v1/customers", customer()).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        app.get_as(&theirs, "/api/v1/users").await.body["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn security_headers_are_set() {
    let app = App::one_org().await;
    let r = app.get("/api/v1/customers").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    // Errors too, including refusals before any handler.
    let r = app
        .send_raw(
            req(Method::GET, "/api/v1/customers/1")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let r = app.get("/api/v1/nothing-here").await;
    assert_eq!(r.header("cache-control"), Some("no-store"));
    // Probes are not API answers: no cache rule, but no sniffing either.
    let r = app.get("/healthz").await;
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_ne!(r.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn users_are_created_in_the_organisation() {
    let app = App::one_org().await;
    let r = app
        .post(
            "/api/v1/users",
            json!({"name": "李娜", "email": "Li.Na@Example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["email"], json!("li.na@example.com"));
    assert_eq!(r.body["role"], json!("sales_rep"));
    assert_eq!(r.body["active"], json!(true));
    let r = app.get("/api/v1/users").await;
    assert_eq!(r.status, StatusCode::OK);
    let names: Vec<&str> = r.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(names, ["员工1", "李娜"]);
    // Not in another organisation.
    let other = app.add_org("乙公司").await;
    let theirs = app.user_with_role(other, Role::Admin).await;
    let r = app.get_as(&theirs, "/api/v1/users").await;
    assert!(!r.body.to_string().contains("李娜"), "{}", r.body);
    let r = app.get_as(&theirs, "/api/v1/users/2").await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::NOT_FOUND, "找不到该用户")
    );
}

// ---------------------------------------------------------------- interactions and events

#[tokio::test]
async fn interactions_recognise_and_version() {
    let app = App::one_org().await;
    app.post("/api/v1/customers", customer()).await;
    let r = app
        .post(
            "/api/v1/interactions",
            json!({"contact": {"kind": "mobile", "value": "13800138000"}, "channel": "phone",
                   "duration_seconds": 95, "links": [{"kind": "ticket", "id": 7}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["recognition"], json!("matched"));
    assert_eq!(r.body["interaction"]["customer_id"], json!(1));
    assert_eq!(r.body["interaction"]["direction"], json!("inbound"));
    assert_eq!(
        r.body["interaction"]["links"],
        json!([{"kind": "ticket", "id": 7}])
    );
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert_eq!(r.header("location"), Some("/api/v1/interactions/1"));

    let del = |v: &str| {
        req(Method::DELETE, "/api/v1/interactions/1")
            .header(header::IF_MATCH, v)
            .body(Body::empty())
            .expect("req")
    };
    let r = app.send(del("\"4\"")).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.send(del("\"1\"")).await.status, StatusCode::NO_CONTENT);
    let r = app.get("/api/v1/interactions/1").await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::NOT_FOUND, "找不到该互动记录")
    );

    let r = app
        .post("/api/v1/interactions", json!({"channel": "carrier_pigeon"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.field(0).0, "customer_id");
    assert_eq!(r.field(1).0, "channel");
}

#[tokio::test]
async fn events_page_cursor() {
    let app = App::one_org().await;
    let r = app.get("/api/v1/events").await;
    assert_eq!(
        (r.status, &r.body),
        (StatusCode::OK, &json!({"items": [], "next_cursor": "0"}))
    );
    let r = app.get("/api/v1/events?after=17&limit=5").await;
    assert_eq!(r.body["next_cursor"], json!("17"));
    let r = app.get("/api/v1/events?after=-1").await;
    assert_eq!((r.status, r.field(0).0), (StatusCode::BAD_REQUEST, "after"));
}
