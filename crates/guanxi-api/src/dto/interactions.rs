//! Interactions (every contact with a customer, on any channel) on the wire.

use super::{
    at, double_option, not_null, nullable, parse_time, ChannelSchema, ContactKindSchema,
    DirectionSchema, LinkKindSchema,
};
use chrono::{DateTime, Duration, Utc};
use guanxi_core::contact::ContactValue;
use guanxi_core::customer::NAME_MAX;
use guanxi_core::error::Errors;
use guanxi_core::interaction::{
    Channel, Direction, LinkKind, DURATION_MAX_SECONDS, LINKS_MAX, OUTCOME_MAX,
};
use guanxi_core::text::{self, BODY_MAX, LINE_MAX};
use guanxi_core::{ContactKind, CustomerId, DomainError, Reason, UserId};
use guanxi_store::{
    ContactLookup, Interaction, InteractionPatch, Link, NewInteraction, Page, Recognition,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How far ahead of the server's clock `occurred_at` may be (clock skew, scheduled visits).
pub const FUTURE_TOLERANCE_HOURS: i64 = 24;

// ---------------------------------------------------------------- requests

/// The contact point an interaction came from, to recognise its customer by.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRef {
    /// mobile, landline, email or wechat (an address cannot identify anyone).
    #[schema(value_type = ContactKindSchema)]
    pub kind: Option<String>,
    #[schema(value_type = String, example = "13800138000")]
    pub value: Option<String>,
}

/// A link to a record the interaction belongs to.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    #[schema(value_type = LinkKindSchema)]
    pub kind: Option<String>,
    #[schema(value_type = i64)]
    pub id: Option<i64>,
}

/// Log an interaction. Name the customer with `customer_id`, or give the `contact` it came
/// from: the customer holding that contact point is found, or a potential customer is created
/// (named `contact_name` when given).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInteraction {
    pub customer_id: Option<i64>,
    pub contact: Option<ContactRef>,
    /// Name of the potential customer created for an unknown contact.
    pub contact_name: Option<String>,
    #[schema(value_type = ChannelSchema)]
    pub channel: Option<String>,
    /// Default `inbound`.
    #[schema(value_type = Option<DirectionSchema>)]
    pub direction: Option<String>,
    /// RFC 3339; default now; at most one day ahead.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub occurred_at: Option<String>,
    pub staff_id: Option<i64>,
    pub subject: Option<String>,
    /// What was said or done; may be empty.
    pub body: Option<String>,
    /// 0–86400.
    pub duration_seconds: Option<i64>,
    pub outcome: Option<String>,
    /// At most 20.
    pub links: Option<Vec<LinkBody>>,
}

impl CreateInteraction {
    pub fn parse(self, now: DateTime<Utc>) -> Result<NewInteraction, DomainError> {
        let mut e = Errors::new();
        let contact = self.contact.and_then(|c| parse_contact(&mut e, c));
        if self.customer_id.is_none() && contact.is_none() && e.is_empty() {
            e.push("customer_id", Reason::Required);
        }
        let contact_name = e
            .take(at(
                text::optional_line(self.contact_name.as_deref(), NAME_MAX),
                "contact_name",
            ))
            .flatten();
        let channel = super::required(&mut e, "channel", self.channel)
            .and_then(|c| e.take(at(Channel::parse(&c), "channel")))
            .unwrap_or(Channel::Phone);
        let direction = match self.direction {
            None => Direction::Inbound,
            Some(d) => e
                .take(at(Direction::parse(&d), "direction"))
                .unwrap_or(Direction::Inbound),
        };
        let occurred_at = match self.occurred_at {
            None => now,
            Some(t) => e
                .take(at(parse_occurred_at(&t, now), "occurred_at"))
                .unwrap_or(now),
        };
        let subject = e
            .take(at(
                text::optional_line(self.subject.as_deref(), LINE_MAX),
                "subject",
            ))
            .flatten();
        let body = e
            .take(at(
                text::body(self.body.as_deref().unwrap_or(""), BODY_MAX),
                "body",
            ))
            .unwrap_or_default();
        let duration_seconds = self
            .duration_seconds
            .and_then(|d| e.take(at(parse_duration(d), "duration_seconds")));
        let outcome = e
            .take(at(
                text::optional_line(self.outcome.as_deref(), OUTCOME_MAX),
                "outcome",
            ))
            .flatten();
        let links = parse_links(&mut e, self.links.unwrap_or_default());
        e.finish()?;
        Ok(NewInteraction {
            customer_id: self.customer_id.map(CustomerId),
            contact,
            contact_name,
            channel,
            direction,
            occurred_at,
            staff_id: self.staff_id.map(UserId),
            subject,
            body,
            duration_seconds,
            outcome,
            links,
        })
    }
}

fn parse_contact(e: &mut Errors, c: ContactRef) -> Option<ContactValue> {
    let kind = super::required(e, "contact.kind", c.kind)
        .and_then(|k| e.take(at(ContactKind::parse(&k), "contact.kind")));
    let value = super::required(e, "contact.value", c.value);
    let v = e.take(at(ContactValue::parse(kind?, &value?), "contact.value"))?;
    if ContactLookup::from_value(&v).is_none() {
        e.push(
            "contact.kind",
            Reason::NotOneOf {
                allowed: ["mobile", "landline", "email", "wechat"]
                    .map(str::to_owned)
                    .to_vec(),
            },
        );
        return None;
    }
    Some(v)
}

fn parse_occurred_at(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, DomainError> {
    let t = parse_time(s)?;
    let latest = now + Duration::hours(FUTURE_TOLERANCE_HOURS);
    if t > latest {
        return Err(DomainError::field(
            "",
            Reason::TooFarInFuture {
                latest: latest.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            },
        ));
    }
    Ok(t)
}

fn parse_duration(d: i64) -> Result<i64, DomainError> {
    if (0..=DURATION_MAX_SECONDS).contains(&d) {
        Ok(d)
    } else {
        Err(DomainError::field(
            "",
            Reason::OutOfRange {
                min: 0,
                max: DURATION_MAX_SECONDS,
            },
        ))
    }
}

fn parse_links(e: &mut Errors, links: Vec<LinkBody>) -> Vec<Link> {
    if links.len() > LINKS_MAX {
        e.push("links", Reason::TooMany { max: LINKS_MAX });
        return vec![];
    }
    let mut out: Vec<Link> = Vec::with_capacity(links.len());
    for (i, l) in links.into_iter().enumerate() {
        let kind = super::required(e, &format!("links[{i}].kind"), l.kind)
            .and_then(|k| e.take(at(LinkKind::parse(&k), &format!("links[{i}].kind"))));
        let id = super::required(e, &format!("links[{i}].id"), l.id);
        if id.is_some_and(|id| id <= 0) {
            e.push(
                format!("links[{i}].id"),
                Reason::OutOfRange {
                    min: 1,
                    max: i64::MAX,
                },
            );
            continue;
        }
        if let (Some(kind), Some(id)) = (kind, id) {
            let link = Link { kind, id };
            if !out.contains(&link) {
                out.push(link);
            }
        }
    }
    out
}

/// A partial update. `null` clears `staff_id`, `subject`, `duration_seconds` and `outcome`;
/// `links` replaces the whole list. The customer of an interaction does not change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInteraction {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = ChannelSchema)]
    pub channel: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = DirectionSchema)]
    pub direction: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, nullable)]
    pub staff_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub subject: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String)]
    pub body: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, nullable)]
    pub duration_seconds: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub outcome: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Vec<LinkBody>)]
    pub links: Option<Option<Vec<LinkBody>>>,
}

impl UpdateInteraction {
    pub fn parse(self, now: DateTime<Utc>) -> Result<InteractionPatch, DomainError> {
        let mut e = Errors::new();
        let channel = not_null(&mut e, "channel", self.channel)
            .and_then(|c| e.take(at(Channel::parse(&c), "channel")));
        let direction = not_null(&mut e, "direction", self.direction)
            .and_then(|d| e.take(at(Direction::parse(&d), "direction")));
        let occurred_at = not_null(&mut e, "occurred_at", self.occurred_at)
            .and_then(|t| e.take(at(parse_occurred_at(&t, now), "occurred_at")));
        let staff_id = self.staff_id.map(|s| s.map(UserId));
        let subject = nullable(&mut e, self.subject, |s| {
            at(text::optional_line(Some(&s), LINE_MAX), "subject")
        });
        let body = not_null(&mut e, "body", self.body)
            .and_then(|b| e.take(at(text::body(&b, BODY_MAX), "body")));
        let duration_seconds = nullable(&mut e, self.duration_seconds, |d| {
            at(parse_duration(d), "duration_seconds").map(Some)
        });
        let outcome = nullable(&mut e, self.outcome, |o| {
            at(text::optional_line(Some(&o), OUTCOME_MAX), "outcome")
        });
        let links = not_null(&mut e, "links", self.links).map(|l| parse_links(&mut e, l));
        e.finish()?;
        Ok(InteractionPatch {
            channel,
            direction,
            occurred_at,
            staff_id,
            subject,
            body,
            duration_seconds,
            outcome,
            links,
        })
    }
}

// ---------------------------------------------------------------- responses

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    #[schema(value_type = LinkKindSchema)]
    pub kind: LinkKind,
    pub id: i64,
}

/// One interaction. `version` is also sent as the `ETag`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionView {
    pub id: i64,
    pub customer_id: i64,
    #[schema(value_type = ChannelSchema)]
    pub channel: Channel,
    #[schema(value_type = DirectionSchema)]
    pub direction: Direction,
    pub occurred_at: DateTime<Utc>,
    pub staff_id: Option<i64>,
    pub subject: Option<String>,
    pub body: String,
    pub duration_seconds: Option<i64>,
    pub outcome: Option<String>,
    /// The contact point it was recognised by, if any.
    pub contact: Option<String>,
    pub links: Vec<LinkView>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Interaction> for InteractionView {
    fn from(i: Interaction) -> Self {
        Self {
            id: i.id.get(),
            customer_id: i.customer_id.get(),
            channel: i.channel,
            direction: i.direction,
            occurred_at: i.occurred_at,
            staff_id: i.staff_id.map(UserId::get),
            subject: i.subject,
            body: i.body,
            duration_seconds: i.duration_seconds,
            outcome: i.outcome,
            contact: i.contact,
            links: i
                .links
                .into_iter()
                .map(|l| LinkView {
                    kind: l.kind,
                    id: l.id,
                })
                .collect(),
            version: i.version,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// How the interaction found its customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecognitionView {
    /// The request named the customer.
    Given,
    /// A customer holding the contact point was found.
    Matched,
    /// Nobody held the contact point: a potential customer was created.
    Created,
}

impl From<Recognition> for RecognitionView {
    fn from(r: Recognition) -> Self {
        match r {
            Recognition::Given => Self::Given,
            Recognition::Matched => Self::Matched,
            Recognition::Created => Self::Created,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedInteraction {
    pub interaction: InteractionView,
    pub recognition: RecognitionView,
}

/// One page of a customer's timeline, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionPage {
    pub items: Vec<InteractionView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<Page<Interaction>> for InteractionPage {
    fn from(p: Page<Interaction>) -> Self {
        Self {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::parse_json;

    fn now() -> DateTime<Utc> {
        parse_time("2025-03-01T08:00:00Z").expect("now")
    }

    fn create(json: &str) -> Result<NewInteraction, DomainError> {
        parse_json::<CreateInteraction>(json.as_bytes())
            .expect("shape")
            .parse(now())
    }

    fn fields(e: &DomainError) -> Vec<&str> {
        e.fields().iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn recognised_by_contact_with_defaults() {
        let i = create(
            r#"{"contact": {"kind": "mobile", "value": "138 0013 8000"}, "channel": "phone"}"#,
        )
        .expect("valid");
        assert_eq!(i.customer_id, None);
        assert_eq!(i.contact.map(|c| c.key).as_deref(), Some("+8613800138000"));
        assert_eq!(i.direction, Direction::Inbound);
        assert_eq!(i.occurred_at, now());
        assert_eq!(i.body, "");
    }

    #[test]
    fn needs_a_customer_or_a_contact() {
        let e = create(r#"{"channel": "phone"}"#).expect_err("no customer");
        assert_eq!(fields(&e), ["customer_id"]);
        let e = create(
            r#"{"contact": {"kind": "address", "value": "北京市朝阳区"}, "channel": "visit"}"#,
        )
        .expect_err("address");
        assert_eq!(fields(&e), ["contact.kind"]);
    }

    #[test]
    fn bounds_are_enforced() {
        let e = create(
            r#"{"customer_id": 1, "channel": "pigeon", "occurred_at": "2025-03-03T08:00:00Z",
                "duration_seconds": 90000, "links": [{"kind": "ticket", "id": 0}, {"kind": "x", "id": 2}]}"#,
        )
        .expect_err("invalid");
        assert_eq!(
            fields(&e),
            [
                "channel",
                "occurred_at",
                "duration_seconds",
                "links[0].id",
                "links[1].kind"
            ]
        );
        let many = format!(
            r#"{{"customer_id": 1, "channel": "phone", "links": [{}]}}"#,
            vec![r#"{"kind":"ticket","id":1}"#; LINKS_MAX + 1].join(",")
        );
        assert_eq!(fields(&create(&many).expect_err("many")), ["links"]);
        assert!(create(
            r#"{"customer_id": 1, "channel": "phone", "occurred_at": "2025-03-02T07:00:00+00:00"}"#
        )
        .is_ok());
    }

    #[test]
    fn patch_clears_and_refuses_null() {
        let p = parse_json::<UpdateInteraction>(r#"{"subject": null, "duration_seconds": 60}"#)
            .expect("shape")
            .parse(now())
            .expect("valid");
        assert_eq!(p.subject, Some(None));
        assert_eq!(p.duration_seconds, Some(Some(60)));
        assert!(p.channel.is_none() && p.body.is_none());
        let e = parse_json::<UpdateInteraction>(r#"{"channel": null, "body": null}"#)
            .expect("shape")
            .parse(now())
            .expect_err("null");
        assert_eq!(fields(&e), ["channel", "body"]);
    }
}
