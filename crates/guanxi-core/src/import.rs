//! What a file brought into Guanxi holds: customers, or records that belong to customers.

use crate::Lang;

str_enum!(
    /// The kind of records an import file holds. Customers are matched and merged by their
    /// phones, e-mails and WeChat ids; leads are matched with existing leads; orders and
    /// interactions belong to a customer found by the same keys (or by name).
    ImportKind {
        Customers = "customers",
        Leads = "leads",
        Orders = "orders",
        Interactions = "interactions",
    }
);

// The enum comes from `str_enum!`, which takes no `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for ImportKind {
    fn default() -> Self {
        Self::Customers
    }
}

impl ImportKind {
    /// The kind as people call it.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::Customers => lang.pick("客户", "customers"),
            Self::Leads => lang.pick("线索", "leads"),
            Self::Orders => lang.pick("订单", "orders"),
            Self::Interactions => lang.pick("沟通记录", "interactions"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_default_to_customers() {
        for k in ImportKind::ALL {
            assert_eq!(ImportKind::parse(k.as_str()).ok(), Some(*k));
        }
        assert_eq!(ImportKind::default(), ImportKind::Customers);
        assert!(ImportKind::parse("contacts").is_err());
    }
}
