//! Commands (already parsed, so every value in them is valid) and read models.

use chrono::{DateTime, NaiveDate, Utc};
use guanxi_core::contact::ContactValue;
use guanxi_core::custom_field::FieldType;
use guanxi_core::customer::{CustomerClass, CustomerKind, CustomerStatus};
use guanxi_core::interaction::{Channel, Direction, LinkKind};
use guanxi_core::{
    ContactKind, ContactPointId, Currency, CustomerId, EventId, FieldDefId, InteractionId, Lang,
    OrgId, Role, TeamId, UserId,
};
use serde::Serialize;
use serde_json::{Map, Value};

// ---------------------------------------------------------------- organisations and users

#[derive(Clone, Debug)]
pub struct NewOrg {
    pub name: String,
    pub locale: Lang,
    pub currency: Currency,
    pub time_zone: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    pub locale: Lang,
    pub currency: Currency,
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewUser {
    pub name: String,
    /// Lower-cased e-mail: the sign-in name, unique across the deployment.
    pub email: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    /// An argon2id PHC string; `None` for a user who cannot sign in yet.
    pub password_hash: Option<String>,
    pub locale: Option<Lang>,
}

impl NewUser {
    /// A staff member without a password (demo data, tests).
    pub fn staff(name: impl Into<String>, email: impl Into<String>, role: Role) -> Self {
        Self {
            name: name.into(),
            email: email.into(),
            role,
            team_id: None,
            password_hash: None,
            locale: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub active: bool,
    /// The user's language; `None` follows the organisation and the browser.
    pub locale: Option<Lang>,
    pub created_at: DateTime<Utc>,
}

/// An administrator's change to a user. `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub team_id: Option<Option<TeamId>>,
    pub active: Option<bool>,
    pub locale: Option<Option<Lang>>,
}

impl UserPatch {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.role.is_none()
            && self.team_id.is_none()
            && self.active.is_none()
            && self.locale.is_none()
    }
}

// ---------------------------------------------------------------- custom field definitions

#[derive(Clone, Debug)]
pub struct NewFieldDef {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub field_type: FieldType,
    pub choices: Vec<String>,
    pub required: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldDef {
    pub id: FieldDefId,
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub field_type: FieldType,
    pub choices: Vec<String>,
    pub required: bool,
    pub created_at: DateTime<Utc>,
}

// ---------------------------------------------------------------- customers

/// A contact point to add, already parsed.
#[derive(Clone, Debug)]
pub struct NewContactPoint {
    pub value: ContactValue,
    pub label: Option<String>,
    pub primary: bool,
}

#[derive(Clone, Debug, Default)]
pub struct ContactPointPatch {
    pub value: Option<ContactValue>,
    pub label: Option<Option<String>>,
    pub primary: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContactPoint {
    pub id: ContactPointId,
    pub kind: ContactKind,
    pub value: String,
    pub key: String,
    pub label: Option<String>,
    pub primary: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewCustomer {
    pub kind: CustomerKind,
    pub name: String,
    /// For a person: the company they belong to (a company customer of the same organisation).
    pub company_id: Option<CustomerId>,
    pub title: Option<String>,
    pub owner_id: Option<UserId>,
    /// The team the customer is shared with: its members see it beside their own.
    pub team_id: Option<TeamId>,
    pub status: CustomerStatus,
    pub class: CustomerClass,
    pub vip: bool,
    pub tags: Vec<String>,
    pub city: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub note: Option<String>,
    /// Raw custom values; checked against the organisation's field definitions.
    pub custom: Map<String, Value>,
    pub contact_points: Vec<NewContactPoint>,
    /// Create even when a contact point already belongs to another customer.
    pub allow_duplicate: bool,
}

/// A partial update: `None` leaves a field as it is; `Some(None)` clears a nullable one.
#[derive(Clone, Debug, Default)]
pub struct CustomerPatch {
    pub name: Option<String>,
    pub company_id: Option<Option<CustomerId>>,
    pub title: Option<Option<String>>,
    pub owner_id: Option<Option<UserId>>,
    pub team_id: Option<Option<TeamId>>,
    pub status: Option<CustomerStatus>,
    pub class: Option<CustomerClass>,
    pub vip: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub city: Option<Option<String>>,
    pub birthday: Option<Option<NaiveDate>>,
    pub note: Option<Option<String>>,
    /// Keys to set (a `null` value removes the key).
    pub custom: Option<Map<String, Value>>,
}

impl CustomerPatch {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.company_id.is_none()
            && self.title.is_none()
            && self.owner_id.is_none()
            && self.team_id.is_none()
            && self.status.is_none()
            && self.class.is_none()
            && self.vip.is_none()
            && self.tags.is_none()
            && self.city.is_none()
            && self.birthday.is_none()
            && self.note.is_none()
            && self.custom.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Customer {
    pub id: CustomerId,
    pub kind: CustomerKind,
    pub name: String,
    pub company_id: Option<CustomerId>,
    pub company_name: Option<String>,
    pub title: Option<String>,
    pub owner_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub status: CustomerStatus,
    pub class: CustomerClass,
    pub vip: bool,
    pub tags: Vec<String>,
    pub city: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub note: Option<String>,
    pub custom: Map<String, Value>,
    pub contact_points: Vec<ContactPoint>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// What a merge moved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MergeStats {
    pub interactions: u64,
    pub contact_points: u64,
    pub contact_persons: u64,
}

/// A row of the customer list: enough to show and sort, without the custom fields.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomerSummary {
    pub id: CustomerId,
    pub kind: CustomerKind,
    pub name: String,
    pub company_id: Option<CustomerId>,
    pub owner_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub status: CustomerStatus,
    pub class: CustomerClass,
    pub vip: bool,
    pub tags: Vec<String>,
    pub city: Option<String>,
    pub primary_phone: Option<String>,
    pub primary_email: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CustomerSort {
    /// Newest first by default.
    #[default]
    Id,
    Name,
    CreatedAt,
    UpdatedAt,
    /// By the latest scoring run's lifetime value (潜在价值); customers not scored count as
    /// below any value.
    Clv,
}

#[derive(Clone, Debug, Default)]
pub struct CustomerQuery {
    pub kind: Option<CustomerKind>,
    pub status: Option<CustomerStatus>,
    pub class: Option<CustomerClass>,
    pub vip: Option<bool>,
    pub owner_id: Option<UserId>,
    pub company_id: Option<CustomerId>,
    pub tag: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Free text: names, company names, (parts of) phone numbers and e-mail addresses.
    pub q: Option<String>,
    pub sort: CustomerSort,
    /// Descending (the default for `Id`, `CreatedAt`, `UpdatedAt`).
    pub descending: bool,
    /// List soft-deleted customers instead of live ones.
    pub deleted: bool,
    /// Only customers whose written-back scores match (the decision-support drill-downs).
    pub scores: crate::ScoreFilter,
    pub cursor: Option<String>,
    pub limit: u32,
}

/// How a lookup finds a customer: a normalised contact-point key of one kind family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContactLookup {
    /// E.164, matches mobile and landline entries.
    Phone(String),
    Email(String),
    Wechat(String),
}

impl ContactLookup {
    pub fn from_value(v: &ContactValue) -> Option<Self> {
        match v.kind {
            ContactKind::Mobile | ContactKind::Landline => Some(Self::Phone(v.key.clone())),
            ContactKind::Email => Some(Self::Email(v.key.clone())),
            ContactKind::Wechat => Some(Self::Wechat(v.key.clone())),
            ContactKind::Address => None,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass back to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelCount {
    pub channel: Channel,
    pub count: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Customer360 {
    pub customer: Customer,
    /// For a person: their company. For a company: none.
    pub company: Option<CustomerSummary>,
    /// For a company: its contact persons (at most 100).
    pub contact_persons: Vec<CustomerSummary>,
    /// The 50 latest interactions, newest first.
    pub recent_interactions: Vec<Interaction>,
    pub interaction_counts: Vec<ChannelCount>,
    pub interactions_total: i64,
    pub last_interaction_at: Option<DateTime<Utc>>,
}

// ---------------------------------------------------------------- interactions

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Link {
    pub kind: LinkKind,
    pub id: i64,
}

#[derive(Clone, Debug)]
pub struct NewInteraction {
    /// The customer, when known. Otherwise `contact` is used to recognise (or create) one.
    pub customer_id: Option<CustomerId>,
    pub contact: Option<ContactValue>,
    /// Name for a potential customer created from an unknown contact.
    pub contact_name: Option<String>,
    pub channel: Channel,
    pub direction: Direction,
    pub occurred_at: DateTime<Utc>,
    pub staff_id: Option<UserId>,
    pub subject: Option<String>,
    pub body: String,
    pub duration_seconds: Option<i64>,
    pub outcome: Option<String>,
    pub links: Vec<Link>,
}

#[derive(Clone, Debug, Default)]
pub struct InteractionPatch {
    pub channel: Option<Channel>,
    pub direction: Option<Direction>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub staff_id: Option<Option<UserId>>,
    pub subject: Option<Option<String>>,
    pub body: Option<String>,
    pub duration_seconds: Option<Option<i64>>,
    pub outcome: Option<Option<String>>,
    pub links: Option<Vec<Link>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Interaction {
    pub id: InteractionId,
    pub customer_id: CustomerId,
    pub channel: Channel,
    pub direction: Direction,
    pub occurred_at: DateTime<Utc>,
    pub staff_id: Option<UserId>,
    pub subject: Option<String>,
    pub body: String,
    pub duration_seconds: Option<i64>,
    pub outcome: Option<String>,
    /// The contact point the interaction came from, if it was recognised by one.
    pub contact: Option<String>,
    pub links: Vec<Link>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How an interaction found its customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Recognition {
    /// The caller named the customer.
    Given,
    /// A customer holding the contact point was found.
    Matched,
    /// Nobody held the contact point: a potential customer was created.
    Created,
}

#[derive(Clone, Debug, Default)]
pub struct TimelineQuery {
    pub channel: Option<Channel>,
    pub cursor: Option<String>,
    pub limit: u32,
}

// ---------------------------------------------------------------- outbox

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub id: EventId,
    /// e.g. `customer.created`, `interaction.logged`.
    pub event_type: String,
    pub entity: String,
    pub entity_id: i64,
    pub actor: Option<UserId>,
    pub occurred_at: DateTime<Utc>,
    pub payload: Value,
}

// ---------------------------------------------------------------- bulk loading

#[derive(Clone, Debug)]
pub struct BulkCustomer {
    pub kind: CustomerKind,
    pub name: String,
    /// Index into the same batch of the company this person belongs to.
    pub company_index: Option<usize>,
    pub title: Option<String>,
    pub owner_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub status: CustomerStatus,
    pub class: CustomerClass,
    pub vip: bool,
    pub tags: Vec<String>,
    pub city: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub contact_points: Vec<NewContactPoint>,
}

#[derive(Clone, Debug)]
pub struct BulkInteraction {
    /// Index into the batch's customers.
    pub customer_index: usize,
    pub channel: Channel,
    pub direction: Direction,
    pub occurred_at: DateTime<Utc>,
    pub staff_id: Option<UserId>,
    pub subject: Option<String>,
    pub body: String,
    pub duration_seconds: Option<i64>,
    pub outcome: Option<String>,
}

/// An order of a bulk batch, already priced (the generator and imports compute the lines).
#[derive(Clone, Debug)]
pub struct BulkOrder {
    /// Index into the batch's customers.
    pub customer_index: usize,
    pub placed_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub status: guanxi_core::order::OrderStatus,
    pub currency: Currency,
    pub owner_id: Option<UserId>,
    pub lines: Vec<BulkOrderLine>,
}

#[derive(Clone, Debug)]
pub struct BulkOrderLine {
    pub product_id: Option<guanxi_core::ProductId>,
    pub description: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub discount: i64,
}

#[derive(Clone, Debug, Default)]
pub struct BulkBatch {
    pub customers: Vec<BulkCustomer>,
    pub interactions: Vec<BulkInteraction>,
    pub orders: Vec<BulkOrder>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BulkStats {
    pub customers: u64,
    pub contact_points: u64,
    pub interactions: u64,
    pub orders: u64,
    pub first_customer_id: Option<CustomerId>,
}

// ---------------------------------------------------------------- key accounts

/// A key account's plan (大客户计划) and its team.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountPlan {
    pub customer_id: CustomerId,
    pub goals: Option<String>,
    /// Who matters at the customer and how to work with them.
    pub key_contacts: Option<String>,
    /// The one-to-one service plan (一对一服务计划).
    pub service_plan: Option<String>,
    pub last_review: Option<NaiveDate>,
    pub next_review: Option<NaiveDate>,
    /// Members beyond the owner; they reach the customer like its owner.
    pub team: Vec<AccountMember>,
    /// 0 while no plan was saved.
    pub version: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountMember {
    pub user_id: UserId,
    pub name: String,
    /// What they do for the account (技术支持, 售后, …).
    pub role: String,
}

/// A change of the plan; `None` leaves a field, `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct AccountPlanPatch {
    pub goals: Option<Option<String>>,
    pub key_contacts: Option<Option<String>>,
    pub service_plan: Option<Option<String>>,
    pub last_review: Option<Option<NaiveDate>>,
    pub next_review: Option<Option<NaiveDate>>,
}

// ---------------------------------------------------------------- imports

/// What to do with a row that matches an existing customer by phone, e-mail or WeChat id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportPolicy {
    /// Leave the customer as it is.
    Skip,
    /// Fill the customer's empty fields and add the contact points it lacks.
    FillEmpty,
    /// Replace the customer's fields with the file's (where the file has a value) and add the
    /// contact points it lacks.
    Overwrite,
}

/// A checked row of a file, ready to create or match.
#[derive(Clone, Debug, Default)]
pub struct ImportCustomer {
    pub name: String,
    /// A company customer found by this name, or created.
    pub company: Option<String>,
    pub title: Option<String>,
    pub contacts: Vec<ContactValue>,
    pub city: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub tags: Vec<String>,
    pub note: Option<String>,
    /// Values of the organisation's custom fields by key, already checked against their
    /// definitions by the reader of the file.
    pub custom: Map<String, Value>,
}

/// What an import did with one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ImportResult {
    Created {
        customer_id: CustomerId,
    },
    /// Matched an existing customer (or one created earlier in the same import).
    Matched {
        customer_id: CustomerId,
        updated: bool,
    },
}
