//! Customers: persons and companies (a company has contact persons, each a person customer).

str_enum!(
    /// A customer is a person or a company (B2B).
    CustomerKind { Person = "person", Company = "company" }
);

str_enum!(
    /// Where the customer stands with us: potential 潜在, new 新, current 现有, loyal 忠诚, lost 流失.
    CustomerStatus {
        Potential = "potential",
        New = "new",
        Current = "current",
        Loyal = "loyal",
        Lost = "lost",
    }
);

str_enum!(
    /// Value class: key account 关键/大客户, ordinary 普通, small 小客户.
    CustomerClass { Key = "key", Ordinary = "ordinary", Small = "small" }
);

/// Longest customer or company name.
pub const NAME_MAX: usize = 120;
/// Most tags on one customer, and the longest tag.
pub const TAGS_MAX: usize = 50;
pub const TAG_MAX: usize = 40;
/// Most contact points on one customer.
pub const CONTACT_POINTS_MAX: usize = 50;

/// Normalise a tag list: trimmed, no empties, no duplicates (case-insensitive), bounded.
pub fn parse_tags(tags: &[String]) -> Result<Vec<String>, crate::DomainError> {
    use crate::{error::Errors, Reason};
    if tags.len() > TAGS_MAX {
        return Err(crate::DomainError::field(
            "",
            Reason::TooMany { max: TAGS_MAX },
        ));
    }
    let mut errors = Errors::new();
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for (i, t) in tags.iter().enumerate() {
        if let Some(t) =
            errors.take(crate::text::line(t, TAG_MAX).map_err(|e| e.nest(&format!("[{i}]"))))
        {
            if !out.iter().any(|o| o.to_lowercase() == t.to_lowercase()) {
                out.push(t);
            }
        }
    }
    errors.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_parse_their_own_names_only() {
        for s in CustomerStatus::ALL {
            assert_eq!(CustomerStatus::parse(s.as_str()).ok(), Some(*s));
        }
        assert!(CustomerStatus::parse("Loyal").is_err());
        assert!(CustomerClass::parse("vip").is_err());
    }

    #[test]
    fn tags_are_deduplicated_and_bounded() {
        let t = parse_tags(&["VIP".into(), " vip ".into(), "北京".into()]).expect("tags");
        assert_eq!(t, vec!["VIP".to_owned(), "北京".to_owned()]);
        let err = parse_tags(&["ok".into(), "".into()]).expect_err("empty tag");
        assert_eq!(err.fields()[0].field, "[1]");
        assert!(parse_tags(&vec!["x".to_owned(); TAGS_MAX + 1]).is_err());
    }
}
