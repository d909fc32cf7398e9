//! Customers and their contact points on the wire.

use super::{
    at, double_option, not_null, nullable, parse_bool, parse_cursor, parse_date, parse_id,
    parse_limit, parse_time, required, ChannelSchema, ContactKindSchema, CustomerClassSchema,
    CustomerKindSchema, CustomerStatusSchema,
};
use crate::dto::interactions::InteractionView;
use crate::error::ApiError;
use chrono::{DateTime, NaiveDate, Utc};
use guanxi_core::contact::ContactValue;
use guanxi_core::custom_field::FIELDS_MAX;
use guanxi_core::customer::{
    parse_tags, CustomerClass, CustomerKind, CustomerStatus, CONTACT_POINTS_MAX, NAME_MAX, TAGS_MAX,
};
use guanxi_core::error::Errors;
use guanxi_core::interaction::Channel;
use guanxi_core::text::{self, BODY_MAX, LINE_MAX};
use guanxi_core::{ContactKind, CustomerId, DomainError, Reason, TeamId, UserId};
use guanxi_store::{
    ChannelCount, ContactLookup, ContactPoint, ContactPointPatch, Customer, Customer360,
    CustomerPatch, CustomerQuery, CustomerSort, CustomerSummary, NewContactPoint, NewCustomer,
    Page,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

// ---------------------------------------------------------------- requests

/// A new customer. Only `name` is required.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    /// Default `person`.
    #[schema(value_type = Option<CustomerKindSchema>)]
    pub kind: Option<String>,
    /// 1–120 characters.
    #[schema(value_type = String, example = "王芳")]
    pub name: Option<String>,
    /// For a person: the company customer they belong to.
    pub company_id: Option<i64>,
    pub title: Option<String>,
    /// The account manager (a user id). Defaults to the signed-in user unless they reach the
    /// whole organisation.
    pub owner_id: Option<i64>,
    /// Share the customer with a team: its members see it beside their own.
    pub team_id: Option<i64>,
    /// Default `new`.
    #[schema(value_type = Option<CustomerStatusSchema>)]
    pub status: Option<String>,
    /// Default `ordinary`.
    #[schema(value_type = Option<CustomerClassSchema>)]
    pub class: Option<String>,
    pub vip: Option<bool>,
    /// At most 50, each at most 40 characters; duplicates are dropped.
    pub tags: Option<Vec<String>>,
    pub city: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(value_type = Option<String>, format = Date, example = "1990-05-17")]
    pub birthday: Option<String>,
    pub note: Option<String>,
    /// Values of the organisation's custom fields, by key.
    #[schema(value_type = Option<Object>)]
    pub custom: Option<Map<String, Value>>,
    /// At most 50.
    pub contact_points: Option<Vec<CreateContactPoint>>,
    /// Create even when a contact point already belongs to another customer (409 otherwise).
    pub allow_duplicate: Option<bool>,
}

impl CreateCustomer {
    pub fn parse(self) -> Result<NewCustomer, DomainError> {
        let mut e = Errors::new();
        let kind = match self.kind.as_deref() {
            None => CustomerKind::Person,
            Some(s) => e
                .take(at(CustomerKind::parse(s), "kind"))
                .unwrap_or(CustomerKind::Person),
        };
        let name = required(&mut e, "name", self.name.as_deref())
            .and_then(|n| e.take(at(text::line(n, NAME_MAX), "name")))
            .unwrap_or_default();
        if kind == CustomerKind::Company && self.company_id.is_some() {
            e.push("company_id", Reason::PersonOnly);
        }
        let title = e
            .take(at(
                text::optional_line(self.title.as_deref(), LINE_MAX),
                "title",
            ))
            .flatten();
        let status = match self.status.as_deref() {
            None => CustomerStatus::New,
            Some(s) => e
                .take(at(CustomerStatus::parse(s), "status"))
                .unwrap_or(CustomerStatus::New),
        };
        let class = match self.class.as_deref() {
            None => CustomerClass::Ordinary,
            Some(s) => e
                .take(at(CustomerClass::parse(s), "class"))
                .unwrap_or(CustomerClass::Ordinary),
        };
        let tags = e
            .take(at(
                parse_tag_list(self.tags.as_deref().unwrap_or(&[])),
                "tags",
            ))
            .unwrap_or_default();
        let city = e
            .take(at(
                text::optional_line(self.city.as_deref(), LINE_MAX),
                "city",
            ))
            .flatten();
        let birthday = match self.birthday.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => e.take(at(parse_date(s), "birthday")),
        };
        let note = e
            .take(at(parse_note(self.note.as_deref().unwrap_or("")), "note"))
            .flatten();
        let custom = self.custom.unwrap_or_default();
        if custom.len() > FIELDS_MAX {
            e.push("custom", Reason::TooMany { max: FIELDS_MAX });
        }
        let mut contact_points = Vec::new();
        let given = self.contact_points.unwrap_or_default();
        if given.len() > CONTACT_POINTS_MAX {
            e.push(
                "contact_points",
                Reason::TooMany {
                    max: CONTACT_POINTS_MAX,
                },
            );
        } else {
            for (i, cp) in given.into_iter().enumerate() {
                if let Some(cp) = cp.parse_into(&mut e, &format!("contact_points[{i}]")) {
                    contact_points.push(cp);
                }
            }
        }
        e.finish()?;
        Ok(NewCustomer {
            kind,
            name,
            company_id: self.company_id.map(CustomerId),
            title,
            owner_id: self.owner_id.map(UserId),
            team_id: self.team_id.map(TeamId),
            status,
            class,
            vip: self.vip.unwrap_or(false),
            tags,
            city,
            birthday,
            note,
            custom,
            contact_points,
            allow_duplicate: self.allow_duplicate.unwrap_or(false),
        })
    }
}

fn parse_tag_list(tags: &[String]) -> Result<Vec<String>, DomainError> {
    if tags.len() > TAGS_MAX {
        return Err(DomainError::field("", Reason::TooMany { max: TAGS_MAX }));
    }
    parse_tags(tags)
}

/// Notes are multi-line; an empty note is no note.
fn parse_note(s: &str) -> Result<Option<String>, DomainError> {
    text::body(s, BODY_MAX).map(|n| Some(n).filter(|n| !n.is_empty()))
}

/// A partial update. Absent fields are left alone; `null` clears a nullable field
/// (`company_id`, `title`, `owner_id`, `city`, `birthday`, `note`) and is refused for the others.
/// In `custom`, a key set to `null` removes that value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, nullable)]
    pub company_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, nullable)]
    pub owner_id: Option<Option<i64>>,
    /// The team the customer is shared with; `null` stops sharing.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, nullable)]
    pub team_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = CustomerStatusSchema)]
    pub status: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = CustomerClassSchema)]
    pub class: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = bool)]
    pub vip: Option<Option<bool>>,
    /// Replaces the whole tag list.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Vec<String>)]
    pub tags: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub city: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Date, nullable)]
    pub birthday: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub note: Option<Option<String>>,
    /// Keys to set; a key set to `null` removes that value.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Object)]
    pub custom: Option<Option<Map<String, Value>>>,
}

impl UpdateCustomer {
    pub fn parse(self) -> Result<CustomerPatch, DomainError> {
        let mut e = Errors::new();
        let name = not_null(&mut e, "name", self.name)
            .and_then(|n| e.take(at(text::line(&n, NAME_MAX), "name")));
        let company_id = self.company_id.map(|v| v.map(CustomerId));
        let title = nullable(&mut e, self.title, |t| {
            at(text::optional_line(Some(&t), LINE_MAX), "title")
        });
        let owner_id = self.owner_id.map(|v| v.map(UserId));
        let team_id = self.team_id.map(|v| v.map(TeamId));
        let status = not_null(&mut e, "status", self.status)
            .and_then(|s| e.take(at(CustomerStatus::parse(&s), "status")));
        let class = not_null(&mut e, "class", self.class)
            .and_then(|s| e.take(at(CustomerClass::parse(&s), "class")));
        let vip = not_null(&mut e, "vip", self.vip);
        let tags = not_null(&mut e, "tags", self.tags)
            .and_then(|t| e.take(at(parse_tag_list(&t), "tags")));
        let city = nullable(&mut e, self.city, |c| {
            at(text::optional_line(Some(&c), LINE_MAX), "city")
        });
        let birthday = nullable(&mut e, self.birthday, |b| match b.trim() {
            "" => Ok(None),
            s => at(parse_date(s), "birthday").map(Some),
        });
        let note = nullable(&mut e, self.note, |n| at(parse_note(&n), "note"));
        let custom = not_null(&mut e, "custom", self.custom);
        if custom.as_ref().is_some_and(|c| c.len() > FIELDS_MAX) {
            e.push("custom", Reason::TooMany { max: FIELDS_MAX });
        }
        e.finish()?;
        Ok(CustomerPatch {
            name,
            company_id,
            title,
            owner_id,
            team_id,
            status,
            class,
            vip,
            tags,
            city,
            birthday,
            note,
            custom,
        })
    }
}

/// A contact point to add: a phone number (mobile or landline: the number decides), an
/// e-mail address, a WeChat id or a postal address.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContactPoint {
    #[schema(value_type = ContactKindSchema)]
    pub kind: Option<String>,
    #[schema(value_type = String, example = "138 0013 8000")]
    pub value: Option<String>,
    /// e.g. 工作, 家庭.
    pub label: Option<String>,
    /// The primary one of its kind.
    pub primary: Option<bool>,
}

impl CreateContactPoint {
    pub fn parse(self) -> Result<NewContactPoint, DomainError> {
        let mut e = Errors::new();
        let cp = self.parse_into(&mut e, "");
        e.finish()?;
        cp.ok_or_else(|| DomainError::field("", Reason::Required))
    }

    /// Parse into `e` under `prefix` (e.g. `contact_points[2]`).
    fn parse_into(self, e: &mut Errors, prefix: &str) -> Option<NewContactPoint> {
        let path = |f: &str| {
            if prefix.is_empty() {
                f.to_owned()
            } else {
                format!("{prefix}.{f}")
            }
        };
        let kind = required(e, &path("kind"), self.kind.as_deref())
            .and_then(|k| e.take(at(ContactKind::parse(k), &path("kind"))));
        let value = required(e, &path("value"), self.value.as_deref());
        let label = e
            .take(at(
                text::optional_line(self.label.as_deref(), LINE_MAX),
                &path("label"),
            ))
            .flatten();
        let value = match (kind, value) {
            (Some(kind), Some(v)) => e.take(at(ContactValue::parse(kind, v), &path("value"))),
            _ => None,
        }?;
        Some(NewContactPoint {
            value,
            label,
            primary: self.primary.unwrap_or(false),
        })
    }
}

/// A partial update of a contact point. A new `value` needs its `kind`; `label: null` clears
/// the label.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContactPoint {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = ContactKindSchema)]
    pub kind: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String)]
    pub value: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub label: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = bool)]
    pub primary: Option<Option<bool>>,
}

impl UpdateContactPoint {
    pub fn parse(self) -> Result<ContactPointPatch, DomainError> {
        let mut e = Errors::new();
        let kind = not_null(&mut e, "kind", self.kind);
        let value = not_null(&mut e, "value", self.value);
        let value = match (kind, value) {
            (Some(k), Some(v)) => e
                .take(at(ContactKind::parse(&k), "kind"))
                .and_then(|k| e.take(at(ContactValue::parse(k, &v), "value"))),
            (None, Some(_)) => {
                e.push("kind", Reason::Required);
                None
            }
            (Some(_), None) => {
                e.push("value", Reason::Required);
                None
            }
            (None, None) => None,
        };
        let label = nullable(&mut e, self.label, |l| {
            at(text::optional_line(Some(&l), LINE_MAX), "label")
        });
        let primary = not_null(&mut e, "primary", self.primary);
        e.finish()?;
        Ok(ContactPointPatch {
            value,
            label,
            primary,
        })
    }
}

/// `GET /customers/{id}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GetCustomerQuery {
    /// `true` to see a soft-deleted customer.
    #[param(value_type = Option<bool>)]
    pub include_deleted: Option<String>,
}

impl GetCustomerQuery {
    pub fn parse(self) -> Result<bool, ApiError> {
        match self.include_deleted.as_deref() {
            None => Ok(false),
            Some(s) => at(parse_bool(s), "include_deleted").map_err(ApiError::query),
        }
    }
}

/// Filters, order and page of the customer list. Every parameter is optional.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListCustomersQuery {
    #[param(value_type = Option<CustomerKindSchema>)]
    pub kind: Option<String>,
    #[param(value_type = Option<CustomerStatusSchema>)]
    pub status: Option<String>,
    #[param(value_type = Option<CustomerClassSchema>)]
    pub class: Option<String>,
    #[param(value_type = Option<bool>)]
    pub vip: Option<String>,
    #[param(value_type = Option<i64>)]
    pub owner_id: Option<String>,
    #[param(value_type = Option<i64>)]
    pub company_id: Option<String>,
    /// Customers carrying this tag.
    pub tag: Option<String>,
    /// Created at or after (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_from: Option<String>,
    /// Created before (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_to: Option<String>,
    /// Search text: names, company names, parts of phone numbers and e-mail addresses.
    pub q: Option<String>,
    /// `id`, `name`, `created_at`, `updated_at` or `clv` (the latest score's lifetime value, customers
    /// not scored last); prefix `-` for descending. Default `-id`.
    #[param(example = "-id")]
    pub sort: Option<String>,
    /// `true` to list soft-deleted customers instead of live ones.
    #[param(value_type = Option<bool>)]
    pub deleted: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–200, default 50.
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// Written-back scores (see `GET /analysis/counts`): RFM segment code.
    pub segment: Option<String>,
    /// Value tier `A`, `B` or `C`.
    pub tier: Option<String>,
    /// Lifecycle stage: exploration, formation, stability, decline.
    pub stage: Option<String>,
    /// Churn risk: low, medium, high.
    pub risk: Option<String>,
    /// RFM recency score 1–5.
    #[param(value_type = Option<u8>)]
    pub rfm_r: Option<String>,
    /// RFM frequency score 1–5.
    #[param(value_type = Option<u8>)]
    pub rfm_f: Option<String>,
    /// The segment of the run before (segment migration).
    pub prev_segment: Option<String>,
    /// Lifetime value at least this many fen.
    #[param(value_type = Option<i64>)]
    pub clv_min: Option<String>,
    /// Lifetime value below this many fen.
    #[param(value_type = Option<i64>)]
    pub clv_below: Option<String>,
    /// Customers whose first purchase was in this month (`2026-03`): a cohort.
    pub cohort: Option<String>,
}

const SORTS: [&str; 5] = ["id", "name", "created_at", "updated_at", "clv"];

impl ListCustomersQuery {
    pub fn parse(self) -> Result<CustomerQuery, ApiError> {
        let mut e = Errors::new();
        let kind = self
            .kind
            .and_then(|s| e.take(at(CustomerKind::parse(&s), "kind")));
        let status = self
            .status
            .and_then(|s| e.take(at(CustomerStatus::parse(&s), "status")));
        let class = self
            .class
            .and_then(|s| e.take(at(CustomerClass::parse(&s), "class")));
        let vip = self.vip.and_then(|s| e.take(at(parse_bool(&s), "vip")));
        let owner_id = self
            .owner_id
            .and_then(|s| e.take(at(parse_id(&s), "owner_id")));
        let company_id = self
            .company_id
            .and_then(|s| e.take(at(parse_id(&s), "company_id")));
        let tag = e
            .take(at(
                text::optional_line(self.tag.as_deref(), guanxi_core::customer::TAG_MAX),
                "tag",
            ))
            .flatten();
        let created_from = self
            .created_from
            .and_then(|s| e.take(at(parse_time(&s), "created_from")));
        let created_to = self
            .created_to
            .and_then(|s| e.take(at(parse_time(&s), "created_to")));
        let q = e
            .take(at(text::optional_line(self.q.as_deref(), LINE_MAX), "q"))
            .flatten();
        let (sort, descending) = match self.sort.as_deref().map(str::trim) {
            None | Some("") => (CustomerSort::Id, true),
            Some(s) => {
                let (name, desc) = match s.strip_prefix('-') {
                    Some(n) => (n, true),
                    None => (s, false),
                };
                match name {
                    "id" => (CustomerSort::Id, desc),
                    "name" => (CustomerSort::Name, desc),
                    "created_at" => (CustomerSort::CreatedAt, desc),
                    "updated_at" => (CustomerSort::UpdatedAt, desc),
                    "clv" => (CustomerSort::Clv, desc),
                    _ => {
                        let allowed = SORTS
                            .iter()
                            .flat_map(|s| [(*s).to_owned(), format!("-{s}")])
                            .collect();
                        e.push("sort", Reason::NotOneOf { allowed });
                        (CustomerSort::Id, true)
                    }
                }
            }
        };
        let deleted = self
            .deleted
            .and_then(|s| e.take(at(parse_bool(&s), "deleted")))
            .unwrap_or(false);
        let cursor = e.take(at(parse_cursor(self.cursor), "cursor")).flatten();
        let limit = e
            .take(at(parse_limit(self.limit.as_deref()), "limit"))
            .unwrap_or(super::LIMIT_DEFAULT);
        let scores = super::analysis::ScoreParams {
            segment: self.segment,
            tier: self.tier,
            stage: self.stage,
            risk: self.risk,
            rfm_r: self.rfm_r,
            rfm_f: self.rfm_f,
            prev_segment: self.prev_segment,
            clv_min: self.clv_min,
            clv_below: self.clv_below,
            cohort: self.cohort,
        }
        .parse_into(&mut e);
        e.finish().map_err(ApiError::query)?;
        Ok(CustomerQuery {
            scores,
            kind,
            status,
            class,
            vip,
            owner_id: owner_id.map(UserId),
            company_id: company_id.map(CustomerId),
            tag,
            created_from,
            created_to,
            q,
            sort,
            descending,
            deleted,
            cursor,
            limit,
        })
    }
}

/// Find customers by one contact point: give exactly one of the three.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// Any way of writing the number: `138 0013 8000`, `+86 138-0013-8000`, `010-8888 6666`.
    pub phone: Option<String>,
    /// Case does not matter.
    pub email: Option<String>,
    /// A WeChat id (微信号).
    pub wechat: Option<String>,
}

pub const LOOKUP_PARAMS: &[&str] = &["phone", "email", "wechat"];

impl LookupQuery {
    pub fn parse(self) -> Result<ContactLookup, ApiError> {
        let given: Vec<(&'static str, ContactKind, String)> = [
            ("phone", ContactKind::Mobile, self.phone),
            ("email", ContactKind::Email, self.email),
            ("wechat", ContactKind::Wechat, self.wechat),
        ]
        .into_iter()
        .filter_map(|(p, k, v)| v.map(|v| (p, k, v)))
        .collect();
        let [(param, kind, value)] = given.as_slice() else {
            return Err(ApiError::ExactlyOneOf {
                params: LOOKUP_PARAMS,
                given: if given.len() > 1 {
                    given
                        .iter()
                        .map(|(p, _, _)| {
                            guanxi_core::FieldError::new(*p, Reason::TooMany { max: 1 })
                        })
                        .collect()
                } else {
                    vec![]
                },
            });
        };
        let v = at(ContactValue::parse(*kind, value), param).map_err(ApiError::query)?;
        ContactLookup::from_value(&v).ok_or_else(|| ApiError::InvalidQuery(vec![]))
    }
}

/// `GET /customers/{id}/timeline`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineParams {
    /// Only this channel.
    #[param(value_type = Option<ChannelSchema>)]
    pub channel: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–200, default 50.
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
}

impl TimelineParams {
    pub fn parse(self) -> Result<guanxi_store::TimelineQuery, ApiError> {
        let mut e = Errors::new();
        let channel = self
            .channel
            .and_then(|c| e.take(at(Channel::parse(&c), "channel")));
        let cursor = e.take(at(parse_cursor(self.cursor), "cursor")).flatten();
        let limit = e
            .take(at(parse_limit(self.limit.as_deref()), "limit"))
            .unwrap_or(super::LIMIT_DEFAULT);
        e.finish().map_err(ApiError::query)?;
        Ok(guanxi_store::TimelineQuery {
            channel,
            cursor,
            limit,
        })
    }
}

// ---------------------------------------------------------------- responses

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactPointView {
    pub id: i64,
    #[schema(value_type = ContactKindSchema)]
    pub kind: ContactKind,
    /// As shown to people, e.g. `+86 138 0013 8000`.
    pub value: String,
    /// Normalised key lookups match on, e.g. `+8613800138000`.
    pub key: String,
    pub label: Option<String>,
    pub primary: bool,
    pub created_at: DateTime<Utc>,
}

impl From<ContactPoint> for ContactPointView {
    fn from(c: ContactPoint) -> Self {
        Self {
            id: c.id.get(),
            kind: c.kind,
            value: c.value,
            key: c.key,
            label: c.label,
            primary: c.primary,
            created_at: c.created_at,
        }
    }
}

/// A customer with everything on the record. `version` is also sent as the `ETag`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    pub id: i64,
    #[schema(value_type = CustomerKindSchema)]
    pub kind: CustomerKind,
    pub name: String,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    pub title: Option<String>,
    pub owner_id: Option<i64>,
    pub team_id: Option<i64>,
    #[schema(value_type = CustomerStatusSchema)]
    pub status: CustomerStatus,
    #[schema(value_type = CustomerClassSchema)]
    pub class: CustomerClass,
    pub vip: bool,
    pub tags: Vec<String>,
    pub city: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub note: Option<String>,
    #[schema(value_type = Object)]
    pub custom: Map<String, Value>,
    pub contact_points: Vec<ContactPointView>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl From<Customer> for CustomerView {
    fn from(c: Customer) -> Self {
        Self {
            id: c.id.get(),
            kind: c.kind,
            name: c.name,
            company_id: c.company_id.map(CustomerId::get),
            company_name: c.company_name,
            title: c.title,
            owner_id: c.owner_id.map(UserId::get),
            team_id: c.team_id.map(TeamId::get),
            status: c.status,
            class: c.class,
            vip: c.vip,
            tags: c.tags,
            city: c.city,
            birthday: c.birthday,
            note: c.note,
            custom: c.custom,
            contact_points: c.contact_points.into_iter().map(Into::into).collect(),
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: c.deleted_at,
        }
    }
}

/// A row of the customer list.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerSummaryView {
    pub id: i64,
    #[schema(value_type = CustomerKindSchema)]
    pub kind: CustomerKind,
    pub name: String,
    pub company_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub team_id: Option<i64>,
    #[schema(value_type = CustomerStatusSchema)]
    pub status: CustomerStatus,
    #[schema(value_type = CustomerClassSchema)]
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

impl From<CustomerSummary> for CustomerSummaryView {
    fn from(c: CustomerSummary) -> Self {
        Self {
            id: c.id.get(),
            kind: c.kind,
            name: c.name,
            company_id: c.company_id.map(CustomerId::get),
            owner_id: c.owner_id.map(UserId::get),
            team_id: c.team_id.map(TeamId::get),
            status: c.status,
            class: c.class,
            vip: c.vip,
            tags: c.tags,
            city: c.city,
            primary_phone: c.primary_phone,
            primary_email: c.primary_email,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: c.deleted_at,
        }
    }
}

/// One page of customers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerPage {
    pub items: Vec<CustomerSummaryView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<Page<CustomerSummary>> for CustomerPage {
    fn from(p: Page<CustomerSummary>) -> Self {
        Self {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor,
        }
    }
}

/// Customers holding the looked-up contact point (not deleted), most recently updated first.
/// Empty when nobody does.
#[derive(Debug, Serialize, ToSchema)]
pub struct LookupResult {
    pub matches: Vec<CustomerView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelCountView {
    #[schema(value_type = ChannelSchema)]
    pub channel: Channel,
    pub count: i64,
}

impl From<ChannelCount> for ChannelCountView {
    fn from(c: ChannelCount) -> Self {
        Self {
            channel: c.channel,
            count: c.count,
        }
    }
}

/// Everything about one customer on one screen (完整印象).
#[derive(Debug, Serialize, ToSchema)]
pub struct Customer360View {
    pub customer: CustomerView,
    /// For a person: their company.
    pub company: Option<CustomerSummaryView>,
    /// For a company: its contact persons (at most 100).
    pub contact_persons: Vec<CustomerSummaryView>,
    /// The 50 latest interactions, newest first.
    pub recent_interactions: Vec<InteractionView>,
    pub interaction_counts: Vec<ChannelCountView>,
    pub interactions_total: i64,
    pub last_interaction_at: Option<DateTime<Utc>>,
}

impl From<Customer360> for Customer360View {
    fn from(c: Customer360) -> Self {
        Self {
            customer: c.customer.into(),
            company: c.company.map(Into::into),
            contact_persons: c.contact_persons.into_iter().map(Into::into).collect(),
            recent_interactions: c.recent_interactions.into_iter().map(Into::into).collect(),
            interaction_counts: c.interaction_counts.into_iter().map(Into::into).collect(),
            interactions_total: c.interactions_total,
            last_interaction_at: c.last_interaction_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::parse_json;
    use guanxi_core::Lang;

    fn create(json: &str) -> Result<NewCustomer, DomainError> {
        parse_json::<CreateCustomer>(json.as_bytes())
            .expect("shape")
            .parse()
    }

    fn fields(e: &DomainError) -> Vec<&str> {
        e.fields().iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn a_minimal_customer_gets_the_defaults() {
        let c = create(r#"{"name": " 王芳 "}"#).expect("valid");
        assert_eq!(c.name, "王芳");
        assert_eq!(c.kind, CustomerKind::Person);
        assert_eq!(c.status, CustomerStatus::New);
        assert_eq!(c.class, CustomerClass::Ordinary);
        assert!(!c.vip && !c.allow_duplicate);
        assert!(c.tags.is_empty() && c.contact_points.is_empty() && c.custom.is_empty());
    }

    #[test]
    fn every_bad_field_is_reported_with_its_path() {
        let e = create(
            r#"{"name": "", "kind": "robot", "tags": ["ok", " "], "birthday": "1990-13-01",
                "contact_points": [{"kind": "mobile", "value": "138 0013 8000"},
                                   {"kind": "mobile", "value": "12345"},
                                   {"kind": "fax", "value": "x"},
                                   {"value": "a@b.cn"}]}"#,
        )
        .expect_err("invalid");
        assert_eq!(
            fields(&e),
            [
                "kind",
                "name",
                "tags[1]",
                "birthday",
                "contact_points[1].value",
                "contact_points[2].kind",
                "contact_points[3].kind",
            ]
        );
        let phone = &e.fields()[4].reason;
        assert_eq!(phone, &Reason::InvalidPhone);
        assert!(phone.message(Lang::ZhCn).contains("不是有效的电话号码"));
        assert!(phone.message(Lang::En).contains("not a valid phone number"));
    }

    #[test]
    fn contact_points_are_normalised_and_bounded() {
        let c = create(
            r#"{"name": "张伟", "contact_points": [{"kind": "mobile", "value": "+86 138-0013-8000", "primary": true}]}"#,
        )
        .expect("valid");
        assert_eq!(c.contact_points[0].value.key, "+8613800138000");
        assert!(c.contact_points[0].primary);

        let many = format!(
            r#"{{"name": "x", "contact_points": [{}]}}"#,
            vec![r#"{"kind":"email","value":"a@b.cn"}"#; CONTACT_POINTS_MAX + 1].join(",")
        );
        let e = create(&many).expect_err("too many");
        assert_eq!(fields(&e), ["contact_points"]);
    }

    #[test]
    fn a_company_has_no_company() {
        let e = create(r#"{"name": "华为", "kind": "company", "company_id": 3}"#).expect_err("x");
        assert_eq!(e.fields()[0].reason, Reason::PersonOnly);
    }

    fn patch(json: &str) -> Result<CustomerPatch, DomainError> {
        parse_json::<UpdateCustomer>(json.as_bytes())
            .expect("shape")
            .parse()
    }

    #[test]
    fn patch_tells_absent_from_null() {
        let p = patch(r#"{"title": null, "city": "北京"}"#).expect("valid");
        assert_eq!(p.title, Some(None));
        assert_eq!(p.city, Some(Some("北京".into())));
        assert_eq!(p.note, None);
        assert_eq!(p.name, None);
        assert!(patch("{}").expect("empty").is_empty());

        let p = patch(r#"{"title": "  ", "birthday": null, "owner_id": null}"#).expect("v");
        assert_eq!(p.title, Some(None));
        assert_eq!(p.birthday, Some(None));
        assert_eq!(p.owner_id, Some(None));

        let e = patch(r#"{"name": null, "status": null, "tags": null, "vip": null}"#)
            .expect_err("non-nullable");
        assert_eq!(fields(&e), ["name", "status", "vip", "tags"]);
        assert!(e.fields().iter().all(|f| f.reason == Reason::Required));
    }

    #[test]
    fn contact_point_patch_needs_kind_with_value() {
        let e = parse_json::<UpdateContactPoint>(r#"{"value": "a@b.cn"}"#)
            .expect("shape")
            .parse()
            .expect_err("no kind");
        assert_eq!(fields(&e), ["kind"]);
        let p = parse_json::<UpdateContactPoint>(r#"{"label": null, "primary": true}"#)
            .expect("shape")
            .parse()
            .expect("valid");
        assert_eq!(p.label, Some(None));
        assert_eq!(p.primary, Some(true));
        assert!(p.value.is_none());
    }

    #[test]
    fn list_query() {
        let q = ListCustomersQuery {
            sort: Some("-name".into()),
            limit: Some("500".into()),
            status: Some("loyal".into()),
            ..Default::default()
        }
        .parse()
        .expect("valid");
        assert_eq!(
            (q.sort, q.descending, q.limit),
            (CustomerSort::Name, true, 200)
        );
        let q = ListCustomersQuery::default().parse().expect("defaults");
        assert_eq!(
            (q.sort, q.descending, q.limit),
            (CustomerSort::Id, true, 50)
        );

        let e = ListCustomersQuery {
            sort: Some("age".into()),
            vip: Some("yes".into()),
            created_from: Some("yesterday".into()),
            owner_id: Some("abc".into()),
            ..Default::default()
        }
        .parse()
        .expect_err("invalid");
        let f: Vec<&str> = e.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(f, ["vip", "owner_id", "created_from", "sort"]);
        assert_eq!(e.code(), "invalid_query");
    }

    #[test]
    fn lookup_takes_exactly_one_parameter() {
        let l = LookupQuery {
            phone: Some("010-8888 6666".into()),
            ..Default::default()
        }
        .parse()
        .expect("phone");
        assert_eq!(l, ContactLookup::Phone("+861088886666".into()));
        let l = LookupQuery {
            email: Some("Zhang.Wei@Example.com".into()),
            ..Default::default()
        }
        .parse()
        .expect("email");
        assert_eq!(l, ContactLookup::Email("zhang.wei@example.com".into()));

        let e = LookupQuery::default().parse().expect_err("none");
        assert_eq!(e.code(), "invalid_query");
        let e = LookupQuery {
            phone: Some("13800138000".into()),
            wechat: Some("zhangwei88".into()),
            ..Default::default()
        }
        .parse()
        .expect_err("two");
        assert_eq!(e.fields().len(), 2);
        let e = LookupQuery {
            phone: Some("12345".into()),
            ..Default::default()
        }
        .parse()
        .expect_err("bad phone");
        assert_eq!(e.fields()[0].field, "phone");
        assert_eq!(e.fields()[0].reason, Reason::InvalidPhone);
    }
}

// ---------------------------------------------------------------- merging

/// Merge a duplicate into this customer.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeCustomers {
    /// The duplicate: its history moves here and it is removed.
    #[schema(value_type = i64)]
    pub merge_id: Option<i64>,
}

impl MergeCustomers {
    pub fn parse(self) -> Result<CustomerId, DomainError> {
        match self.merge_id {
            Some(id) => Ok(CustomerId(id)),
            None => Err(DomainError::field("merge_id", Reason::Required)),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MovedView {
    pub interactions: u64,
    pub contact_points: u64,
    pub contact_persons: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergedView {
    pub customer: CustomerView,
    pub moved: MovedView,
}

/// Everything held about one customer (a personal-information request).
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonalDataView {
    pub generated_at: chrono::DateTime<chrono::Utc>,
    pub customer: CustomerView,
    pub interactions: Vec<crate::dto::interactions::InteractionView>,
    pub orders: Vec<crate::dto::sales::OrderView>,
    pub quotes: Vec<crate::dto::sales::QuoteView>,
    pub opportunities: Vec<crate::dto::sales::OpportunityView>,
    pub activities: Vec<crate::dto::sales::ActivityView>,
    pub leads: Vec<crate::dto::leads::LeadView>,
    pub account_plan: Option<crate::dto::accounts::AccountPlanView>,
    /// What Guanxi's customer-value models concluded about the person (value tier, churn
    /// risk, lifetime value) and how it moved: profiling the person has a right to see.
    pub scores: crate::dto::analysis::CustomerScoresView,
    /// The audit records about the customer, newest first: who changed or exported it, when.
    pub audit: Vec<crate::dto::access::AuditView>,
    /// The lists cut at their limit (`orders`, `leads`, `interactions`, `audit`); empty when
    /// the file is whole.
    pub truncated: Vec<&'static str>,
}
