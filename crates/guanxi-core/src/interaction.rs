//! Interactions: every contact with a customer, on any channel, is one record on one customer.
//! The customer timeline is the spine of the product.

str_enum!(
    /// The channel a contact came through (the trigger centre's inputs).
    Channel {
        Phone = "phone",
        Email = "email",
        Chat = "chat",
        Web = "web",
        Sms = "sms",
        Wechat = "wechat",
        Fax = "fax",
        Letter = "letter",
        Visit = "visit",
        SelfService = "self_service",
    }
);

str_enum!(
    /// Who started the contact.
    Direction { Inbound = "inbound", Outbound = "outbound", Internal = "internal" }
);

str_enum!(
    /// Record types an interaction may link to. Later modules add their own.
    LinkKind {
        Customer = "customer",
        Interaction = "interaction",
        Opportunity = "opportunity",
        Ticket = "ticket",
        Campaign = "campaign",
        Order = "order",
        Lead = "lead",
    }
);

/// Longest call or visit we accept: one day.
pub const DURATION_MAX_SECONDS: i64 = 86_400;
/// Most links on one interaction.
pub const LINKS_MAX: usize = 20;
/// Longest outcome text.
pub const OUTCOME_MAX: usize = 200;
