//! Domain events (the outbox) on the wire.

use super::{at, parse_limit};
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use guanxi_core::error::Errors;
use guanxi_core::{DomainError, EventId, Reason, UserId};
use guanxi_store::Event;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// `next_cursor` of the previous page (the last event id seen); default `0`, the start.
    #[param(value_type = Option<String>, example = "0")]
    pub after: Option<String>,
    /// 1–200, default 50.
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
}

impl EventsQuery {
    pub fn parse(self) -> Result<(EventId, u32), ApiError> {
        let mut e = Errors::new();
        let after = match self.after.as_deref().map(str::trim) {
            None | Some("") => Some(0),
            Some(s) => e.take(at(parse_event_cursor(s), "after")),
        };
        let limit = e.take(at(parse_limit(self.limit.as_deref()), "limit"));
        e.finish().map_err(ApiError::query)?;
        Ok((
            EventId(after.unwrap_or(0)),
            limit.unwrap_or(super::LIMIT_DEFAULT),
        ))
    }
}

fn parse_event_cursor(s: &str) -> Result<i64, DomainError> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| DomainError::field("", Reason::InvalidCursor))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    /// e.g. `customer.created`, `interaction.logged`.
    #[schema(example = "customer.created")]
    pub event_type: String,
    pub entity: String,
    pub entity_id: i64,
    pub actor: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    pub payload: serde_json::Value,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        Self {
            id: e.id.get(),
            event_type: e.event_type,
            entity: e.entity,
            entity_id: e.entity_id,
            actor: e.actor.map(UserId::get),
            occurred_at: e.occurred_at,
            payload: e.payload,
        }
    }
}

/// Events in commit order. Poll again with `after = next_cursor`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<EventView>,
    /// The id of the last event returned (or the `after` given, when there is none yet).
    #[schema(example = "1024")]
    pub next_cursor: String,
}

impl EventPage {
    pub fn new(after: EventId, events: Vec<Event>) -> Self {
        let next = events.last().map_or(after, |e| e.id);
        Self {
            items: events.into_iter().map(Into::into).collect(),
            next_cursor: next.get().to_string(),
        }
    }
}
