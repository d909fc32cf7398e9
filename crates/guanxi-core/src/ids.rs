//! One id type per entity, so that a customer id can never be passed where a user id is meant.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                Self(v)
            }
        }
    };
}

id_type!(
    /// An organisation (tenant). Every other row belongs to exactly one.
    OrgId
);
id_type!(
    /// A staff member of an organisation.
    UserId
);
id_type!(
    /// A customer, person or company.
    CustomerId
);
id_type!(
    /// One phone number, e-mail, WeChat id or address of a customer.
    ContactPointId
);
id_type!(
    /// One contact with a customer on any channel.
    InteractionId
);
id_type!(
    /// A custom field definition.
    FieldDefId
);
id_type!(
    /// Position of a domain event in the outbox; events are numbered in commit order.
    EventId
);
id_type!(
    /// A team of staff members (sales team, service group).
    TeamId
);
id_type!(
    /// A personal API token of a user.
    ApiTokenId
);
id_type!(
    /// One record of the audit log.
    AuditId
);
id_type!(
    /// A product of the catalogue.
    ProductId
);
id_type!(
    /// An order (behavioural data: what a customer bought).
    OrderId
);
id_type!(
    /// A sales pipeline.
    PipelineId
);
id_type!(
    /// A stage of a pipeline.
    StageId
);
id_type!(
    /// A sales opportunity.
    OpportunityId
);
id_type!(
    /// A task, call, meeting or visit.
    ActivityId
);
id_type!(
    /// A sales lead (销售线索): someone who may become a customer.
    LeadId
);
id_type!(
    /// An embeddable web form that captures leads.
    WebFormId
);
id_type!(
    /// A lead assignment rule.
    LeadRuleId
);
id_type!(
    /// A quote (报价单).
    QuoteId
);
id_type!(
    /// An import of a file (a job that may run, stop and resume).
    ImportJobId
);
id_type!(
    /// A run of the customer-value models that scored an organisation's customers.
    ScoreRunId
);
id_type!(
    /// A pair of customers that may be the same person, waiting for review.
    DuplicateId
);
id_type!(
    /// A scan of an organisation's customers for look-alikes.
    DuplicateScanId
);
