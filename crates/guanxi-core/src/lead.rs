//! Leads (销售线索): where they come from, how far they are qualified, and who gets them.
//!
//! The course material names the ways a salesperson finds prospects (寻找潜在客户): referral by
//! existing customers (猎犬法 / 转介绍), centres of influence (中心开花法), door-to-door visits
//! (逐户访问法), enquiries (咨询寻找法), advertising, events and the website. They are the seed of
//! every organisation's own list of sources.

use crate::ids::UserId;
use crate::Lang;

str_enum!(
    /// How far a lead has come. `converted` is final: the lead became a customer.
    LeadStatus {
        New = "new",
        Working = "working",
        Qualified = "qualified",
        Disqualified = "disqualified",
        Converted = "converted",
    }
);

impl LeadStatus {
    /// May a lead in this status be set to `to` by hand? Conversion is its own step (see
    /// [`LeadStatus::may_convert`]) and nothing follows it.
    pub fn may_become(self, to: LeadStatus) -> bool {
        self != LeadStatus::Converted && to != LeadStatus::Converted
    }

    /// A lead can be converted unless it was converted already or judged not worth it.
    pub fn may_convert(self) -> bool {
        matches!(
            self,
            LeadStatus::New | LeadStatus::Working | LeadStatus::Qualified
        )
    }
}

/// Longest source code (`[a-z0-9_]`).
pub const SOURCE_CODE_MAX: usize = 32;

/// A source code: 1–32 of `a-z`, `0-9` and `_`, starting with a letter.
pub fn parse_source_code(s: &str) -> Result<String, crate::DomainError> {
    let s = s.trim();
    let ok = !s.is_empty()
        && s.len() <= SOURCE_CODE_MAX
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(crate::DomainError::field("", crate::Reason::InvalidKey))
    }
}

/// The sources every organisation starts with: (code, name in the organisation's language).
pub fn default_sources(lang: Lang) -> Vec<(&'static str, &'static str)> {
    [
        ("referral", "转介绍（猎犬法）", "Referral"),
        ("centre_of_influence", "中心开花", "Centre of influence"),
        ("door_to_door", "逐户访问", "Door to door"),
        ("enquiry", "咨询寻找", "Enquiry"),
        ("advertising", "广告", "Advertising"),
        ("event", "活动会展", "Event"),
        ("website", "官网表单", "Website form"),
        ("inbound", "来电来访", "Inbound call or visit"),
        ("import", "批量导入", "Imported file"),
    ]
    .into_iter()
    .map(|(code, zh, en)| (code, lang.pick(zh, en)))
    .collect()
}

/// Does an assignment rule apply to a lead? A rule names a source, a region, both or neither
/// (a catch-all); a region matches when the lead's region starts with it (`广东` covers
/// `广东深圳`), ignoring case.
pub fn rule_matches(
    rule_source: Option<&str>,
    rule_region: Option<&str>,
    source: &str,
    region: Option<&str>,
) -> bool {
    let source_ok = rule_source.is_none_or(|s| s == source);
    let region_ok = match rule_region {
        None => true,
        Some(want) => region.is_some_and(|r| {
            r.trim()
                .to_lowercase()
                .starts_with(&want.trim().to_lowercase())
        }),
    };
    source_ok && region_ok
}

/// Round robin: the member after `last` (by id order, wrapping), or the first when `last` is
/// not a member any more. `None` when nobody is there to take the lead.
pub fn next_in_turn(members: &[UserId], last: Option<UserId>) -> Option<UserId> {
    let mut sorted: Vec<UserId> = members.to_vec();
    sorted.sort();
    sorted.dedup();
    let first = *sorted.first()?;
    Some(match last {
        None => first,
        Some(l) => sorted.iter().copied().find(|m| *m > l).unwrap_or(first),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn conversion_is_final() {
        for from in LeadStatus::ALL {
            assert!(!LeadStatus::Converted.may_become(*from));
            assert!(!from.may_become(LeadStatus::Converted));
        }
        assert!(LeadStatus::Disqualified.may_become(LeadStatus::Working));
        assert!(!LeadStatus::Disqualified.may_convert());
        assert!(!LeadStatus::Converted.may_convert());
        assert!(LeadStatus::New.may_convert());
    }

    #[test]
    fn source_codes() {
        assert_eq!(
            parse_source_code(" trade_fair_2026 ").as_deref(),
            Ok("trade_fair_2026")
        );
        for bad in ["", "2fast", "Trade", "展会", "a-b", &"x".repeat(33)] {
            assert!(parse_source_code(bad).is_err(), "{bad}");
        }
        for lang in [Lang::ZhCn, Lang::En] {
            for (code, name) in default_sources(lang) {
                assert_eq!(parse_source_code(code).as_deref(), Ok(code));
                assert!(!name.is_empty());
            }
        }
    }

    #[test]
    fn rules_match_by_source_and_region_prefix() {
        assert!(rule_matches(None, None, "website", None));
        assert!(rule_matches(Some("website"), None, "website", Some("上海")));
        assert!(!rule_matches(Some("referral"), None, "website", None));
        assert!(rule_matches(None, Some("广东"), "event", Some("广东深圳")));
        assert!(!rule_matches(None, Some("广东"), "event", Some("广西南宁")));
        assert!(!rule_matches(None, Some("广东"), "event", None));
        assert!(rule_matches(
            Some("event"),
            Some("shanghai"),
            "event",
            Some("Shanghai Pudong")
        ));
    }

    #[test]
    fn round_robin_examples() {
        let m = [UserId(7), UserId(3), UserId(5)];
        assert_eq!(next_in_turn(&m, None), Some(UserId(3)));
        assert_eq!(next_in_turn(&m, Some(UserId(3))), Some(UserId(5)));
        assert_eq!(next_in_turn(&m, Some(UserId(7))), Some(UserId(3)));
        assert_eq!(
            next_in_turn(&m, Some(UserId(4))),
            Some(UserId(5)),
            "a member who left"
        );
        assert_eq!(next_in_turn(&[], Some(UserId(4))), None);
    }

    proptest! {
        /// Over n·k turns every member gets exactly k leads, whatever the order of the list.
        #[test]
        fn round_robin_is_fair(ids in proptest::collection::btree_set(1i64..1000, 1..12), k in 1usize..5) {
            let members: Vec<UserId> = ids.iter().rev().map(|i| UserId(*i)).collect();
            let mut last = None;
            let mut got = std::collections::BTreeMap::new();
            for _ in 0..members.len() * k {
                let next = next_in_turn(&members, last).expect("someone is there");
                *got.entry(next).or_insert(0usize) += 1;
                last = Some(next);
            }
            prop_assert_eq!(got.len(), members.len());
            prop_assert!(got.values().all(|n| *n == k));
        }
    }
}
