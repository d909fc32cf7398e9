//! Contact points: how Guanxi recognises a customer on every contact (客户识别).
//!
//! Each type is built only by parsing, and keeps the normalised key that lookups use:
//! `"138 0013 8000"`, `"+86 138-0013-8000"` and `"13800138000"` are one [`PhoneNumber`].

use crate::error::{DomainError, Reason};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of contact point a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Mobile,
    Landline,
    Email,
    Wechat,
    Address,
}

impl ContactKind {
    pub const ALL: [ContactKind; 5] = [
        Self::Mobile,
        Self::Landline,
        Self::Email,
        Self::Wechat,
        Self::Address,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mobile => "mobile",
            Self::Landline => "landline",
            Self::Email => "email",
            Self::Wechat => "wechat",
            Self::Address => "address",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                DomainError::field(
                    "",
                    Reason::NotOneOf {
                        allowed: Self::ALL.iter().map(|k| k.as_str().to_owned()).collect(),
                    },
                )
            })
    }

    pub fn is_phone(self) -> bool {
        matches!(self, Self::Mobile | Self::Landline)
    }
}

/// Whether a parsed number is a mobile or a fixed line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PhoneKind {
    Mobile,
    Landline,
}

/// A valid phone number, normalised to E.164. Numbers without a country code are read as
/// Chinese (+86), the default region.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    e164: String,
    national: String,
    kind: PhoneKind,
    display: String,
}

impl PhoneNumber {
    /// Longest input we try to parse; real numbers with decorations are far shorter.
    const MAX_INPUT: usize = 40;

    pub fn parse(input: &str) -> Result<Self, DomainError> {
        if let Some(p) = Self::mainland_mobile(input) {
            return Ok(p);
        }
        Self::parse_in(input, phonenumber::country::Id::CN)
    }

    /// The fast path for the commonest number of all, a mainland mobile: eleven digits
    /// `1[3-9]…` (only the prefixes that libphonenumber's metadata takes as mobiles whatever
    /// the other eight digits, see [`Self::MOBILE_PREFIXES`]), optionally after `+86`, `0086`
    /// or `86`, with single spaces or dashes between digits. It gives exactly what
    /// [`Self::parse_in`] gives for these inputs (a property test compares both over every
    /// prefix) at a small part of the cost; `None` means "ask the slow path", never "invalid".
    fn mainland_mobile(input: &str) -> Option<Self> {
        let s = input.trim().as_bytes();
        let (rest, international) = if let Some(r) = s.strip_prefix(b"+86") {
            (r, true)
        } else if let Some(r) = s.strip_prefix(b"0086") {
            (r, true)
        } else if let Some(r) = s.strip_prefix(b"86") {
            (r, false)
        } else {
            (s, false)
        };
        // One separator may follow the country code. The phonenumber crate refuses
        // `+86138-0013-8000` (a dash in a number glued to `+86`), so such numbers take the
        // slow path and get its answer.
        let (rest, dashes) = match rest.first() {
            Some(b' ' | b'-') if rest.len() < s.len() => (&rest[1..], true),
            _ => (rest, !international),
        };
        let mut digits = [0u8; 11];
        let mut n = 0;
        let mut after_digit = false;
        for &b in rest {
            match b {
                b'0'..=b'9' => {
                    if n == digits.len() {
                        return None;
                    }
                    digits[n] = b;
                    n += 1;
                    after_digit = true;
                }
                // Single separators between digits only.
                b' ' if after_digit => after_digit = false,
                b'-' if after_digit && dashes => after_digit = false,
                _ => return None,
            }
        }
        if n != digits.len() || !after_digit || !Self::MOBILE_PREFIXES.contains(&&digits[..3]) {
            return None;
        }
        let national = std::str::from_utf8(&digits).ok()?;
        Some(Self {
            e164: format!("+86{national}"),
            display: format!(
                "+86 {} {} {}",
                &national[..3],
                &national[3..7],
                &national[7..]
            ),
            national: national.to_owned(),
            kind: PhoneKind::Mobile,
        })
    }

    /// Prefixes of mainland mobiles for which every eleven-digit number is a valid mobile in
    /// libphonenumber's metadata (CN `mobile`: `1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|
    /// 7[0-35-8])\d{8}`), formatted `$1 $2 $3` as 3-4-4 digits. `1740x` is left to the slow
    /// path since only some of its numbers are mobiles.
    const MOBILE_PREFIXES: [&'static [u8]; 52] = [
        b"130", b"131", b"132", b"133", b"134", b"135", b"136", b"137", b"138", b"139", b"145",
        b"147", b"150", b"151", b"152", b"153", b"155", b"156", b"157", b"158", b"159", b"162",
        b"165", b"166", b"167", b"170", b"171", b"172", b"173", b"175", b"176", b"177", b"178",
        b"180", b"181", b"182", b"183", b"184", b"185", b"186", b"187", b"188", b"189", b"190",
        b"191", b"192", b"193", b"195", b"196", b"197", b"198", b"199",
    ];

    pub fn parse_in(input: &str, region: phonenumber::country::Id) -> Result<Self, DomainError> {
        let invalid = || DomainError::field("", Reason::InvalidPhone);
        let s = input.trim();
        if s.is_empty() {
            return Err(DomainError::field("", Reason::Empty));
        }
        if s.chars().count() > Self::MAX_INPUT
            || !s
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().\u{3000}（）－".contains(c))
        {
            return Err(invalid());
        }
        // Full-width brackets and dashes are common in Chinese input.
        let s: String = s
            .chars()
            .map(|c| match c {
                '（' => '(',
                '）' => ')',
                '－' => '-',
                '\u{3000}' => ' ',
                c => c,
            })
            .collect();
        let s = match s.strip_prefix("00") {
            Some(rest) => format!("+{rest}"),
            None => s,
        };
        let n = phonenumber::parse(Some(region), &s).map_err(|_| invalid())?;
        if !n.is_valid() {
            return Err(invalid());
        }
        let kind = match n.number_type(&phonenumber::metadata::DATABASE) {
            phonenumber::Type::Mobile => PhoneKind::Mobile,
            _ => PhoneKind::Landline,
        };
        let e164 = n.format().mode(phonenumber::Mode::E164).to_string();
        let display = n
            .format()
            .mode(phonenumber::Mode::International)
            .to_string();
        let national = n.national().to_string();
        Ok(Self {
            e164,
            national,
            kind,
            display,
        })
    }

    /// The lookup key, e.g. `+8613800138000`.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// The national significant number, e.g. `13800138000` or `1088886666`; what people type
    /// when they search by a part of a number.
    pub fn national_digits(&self) -> &str {
        &self.national
    }

    pub fn kind(&self) -> PhoneKind {
        self.kind
    }

    /// Human formatting, e.g. `+86 138 0013 8000`.
    pub fn display(&self) -> &str {
        &self.display
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

/// An e-mail address. Compared case-insensitively: the key is the whole address lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(DomainError::field("", Reason::Empty));
        }
        let invalid = || DomainError::field("", Reason::InvalidEmail);
        if s.len() > Self::MAX_LEN || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            s,
            email_address::Options::default().without_display_text(),
        )
        .map_err(|_| invalid())?;
        // A domain must have a dot: `user@localhost` is never a customer's address.
        let domain = parsed.domain();
        if !domain.contains('.') || domain.starts_with('[') || domain.ends_with('.') {
            return Err(invalid());
        }
        Ok(Self(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A WeChat id (微信号): 6–20 characters, a letter first, then letters, digits, `_` or `-`.
/// WeChat ids are not case-sensitive, so the key is lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WechatId(String);

impl WechatId {
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(DomainError::field("", Reason::Empty));
        }
        let ok = (6..=20).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if ok {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(DomainError::field("", Reason::InvalidWechat))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A parsed contact point value with its lookup key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactValue {
    pub kind: ContactKind,
    /// What is shown to people.
    pub display: String,
    /// What lookups match on (E.164, lower-cased address, lower-cased WeChat id, or the
    /// address with whitespace collapsed).
    pub key: String,
    /// For phone numbers: the national digits, used by partial-number search.
    pub digits: Option<String>,
}

/// Longest postal address we keep.
pub const ADDRESS_MAX: usize = 300;

impl ContactValue {
    /// Parse `value` as a contact point of `kind`. A number given as `mobile` that is really a
    /// landline (or the other way round) is kept under its true kind.
    pub fn parse(kind: ContactKind, value: &str) -> Result<Self, DomainError> {
        match kind {
            ContactKind::Mobile | ContactKind::Landline => {
                let p = PhoneNumber::parse(value)?;
                Ok(Self::from_phone(&p))
            }
            ContactKind::Email => {
                let e = Email::parse(value)?;
                Ok(Self {
                    kind,
                    display: value.trim().to_owned(),
                    key: e.0,
                    digits: None,
                })
            }
            ContactKind::Wechat => {
                let w = WechatId::parse(value)?;
                Ok(Self {
                    kind,
                    display: value.trim().to_owned(),
                    key: w.0,
                    digits: None,
                })
            }
            ContactKind::Address => {
                let a = crate::text::line(value, ADDRESS_MAX)?;
                let key = a.split_whitespace().collect::<Vec<_>>().join(" ");
                Ok(Self {
                    kind,
                    display: a,
                    key: key.to_lowercase(),
                    digits: None,
                })
            }
        }
    }

    pub fn from_phone(p: &PhoneNumber) -> Self {
        Self {
            kind: match p.kind() {
                PhoneKind::Mobile => ContactKind::Mobile,
                PhoneKind::Landline => ContactKind::Landline,
            },
            display: p.display().to_owned(),
            key: p.e164().to_owned(),
            digits: Some(p.national_digits().to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_same_mobile_written_three_ways() {
        let a = PhoneNumber::parse("138 0013 8000").expect("a");
        let b = PhoneNumber::parse("+86 138-0013-8000").expect("b");
        let c = PhoneNumber::parse("13800138000").expect("c");
        let d = PhoneNumber::parse("0086 13800138000").expect("d");
        assert_eq!(a.e164(), "+8613800138000");
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(c, d);
        assert_eq!(a.kind(), PhoneKind::Mobile);
        assert_eq!(a.national_digits(), "13800138000");
    }

    #[test]
    fn landlines_and_foreign_numbers() {
        let bj = PhoneNumber::parse("010-8888 6666").expect("beijing");
        assert_eq!(bj.e164(), "+861088886666");
        assert_eq!(bj.kind(), PhoneKind::Landline);
        let sz = PhoneNumber::parse("（0755）8888-6666").expect("shenzhen");
        assert_eq!(sz.e164(), "+8675588886666");
        let uk = PhoneNumber::parse("+44 20 7946 0958").expect("london");
        assert_eq!(uk.e164(), "+442079460958");
        let cv = ContactValue::parse(ContactKind::Mobile, "010 88886666").expect("cv");
        assert_eq!(cv.kind, ContactKind::Landline);
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        for bad in [
            "",
            "123",
            "1380013800",
            "138001380001234",
            "abc",
            "138 0013 8000 ext",
            "+86 12345",
            "+999 1234567",
            "１３８００１３８０００",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn emails_are_case_insensitive() {
        let a = Email::parse("Zhang.Wei@Example.COM").expect("a");
        let b = Email::parse(" zhang.wei@example.com ").expect("b");
        assert_eq!(a, b);
        for bad in [
            "",
            "zhang",
            "zhang@",
            "@example.com",
            "zhang@localhost",
            "a b@example.com",
            "zhang@@example.com",
            "Zhang <z@example.com>",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Email::parse("王伟@例子.中国").is_ok());
    }

    #[test]
    fn wechat_ids() {
        assert_eq!(
            WechatId::parse("Zhang_Wei-88").expect("w").as_str(),
            "zhang_wei-88"
        );
        for bad in [
            "abc",
            "1abcdef",
            "zhang wei",
            "微信号码很长的",
            &"a".repeat(21),
        ] {
            assert!(WechatId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    /// The fast path's prefix table is libphonenumber's: a prefix is in it exactly when the
    /// slow path takes numbers across its whole range as mobiles.
    #[test]
    fn mobile_prefix_table_matches_the_metadata() {
        let cn = phonenumber::country::Id::CN;
        for p in 130..=199u32 {
            let all_mobile = [0u32, 1, 12_345_678, 50_000_000, 87_654_321, 99_999_999]
                .iter()
                .all(|rest| {
                    PhoneNumber::parse_in(&format!("{p}{rest:08}"), cn)
                        .is_ok_and(|n| n.kind() == PhoneKind::Mobile)
                });
            let listed = PhoneNumber::MOBILE_PREFIXES.contains(&p.to_string().as_bytes());
            assert_eq!(listed, all_mobile, "prefix {p}");
        }
    }

    /// The usual ways of writing a mobile, all of which the fast path takes.
    fn mobile_spellings(national: &str) -> Vec<String> {
        let (a, b, c) = (&national[..3], &national[3..7], &national[7..]);
        let mut out = Vec::new();
        for cc in ["", "+86 ", "+86-", "0086 ", "0086-", "86", "86 ", "86-"] {
            for body in [
                national.to_owned(),
                format!("{a} {b} {c}"),
                format!("{a}-{b}-{c}"),
                format!("{a} {b}-{c}"),
            ] {
                out.push(format!("{cc}{body}"));
                out.push(format!("  {cc}{body} "));
            }
        }
        for cc in ["+86", "0086"] {
            out.push(format!("{cc}{national}"));
            out.push(format!("{cc}{a} {b} {c}"));
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// The fast path gives exactly the number the phonenumber crate gives, for every
        /// prefix it accepts and any spelling (any country code form, a space, a dash or
        /// nothing between any two digits), and it takes the usual spellings.
        #[test]
        fn mobile_fast_path_equals_phonenumber(
            prefix in prop::sample::select(PhoneNumber::MOBILE_PREFIXES.to_vec()),
            rest in 0u32..100_000_000,
            cc in prop::sample::select(vec!["", "+86", "+86 ", "+86-", "0086", "0086 ", "0086-", "86", "86 ", "86-", " +86  "]),
            gaps in prop::collection::vec(prop::sample::select(vec!["", "", "", " ", "-"]), 10),
        ) {
            let national = format!("{}{rest:08}", std::str::from_utf8(prefix).expect("ascii"));
            let cn = phonenumber::country::Id::CN;
            let shown = format!("+86 {} {} {}", &national[..3], &national[3..7], &national[7..]);
            for s in mobile_spellings(&national) {
                let fast = PhoneNumber::mainland_mobile(&s);
                prop_assert!(fast.is_some(), "{:?} left to the slow path", s);
                let slow = PhoneNumber::parse_in(&s, cn);
                prop_assert_eq!(fast.as_ref(), slow.as_ref().ok(), "{:?}", s);
                prop_assert_eq!(fast.as_ref().map(|p| p.display()), Some(shown.as_str()));
            }
            let mut s = cc.to_owned();
            for (i, d) in national.chars().enumerate() {
                s.push(d);
                if let Some(g) = gaps.get(i) {
                    s.push_str(g);
                }
            }
            if let Some(fast) = PhoneNumber::mainland_mobile(&s) {
                prop_assert_eq!(Some(fast), PhoneNumber::parse_in(&s, cn).ok(), "{:?}", s);
            }
            prop_assert_eq!(PhoneNumber::parse(&s).ok(), PhoneNumber::parse_in(&s, cn).ok(), "{:?}", s);
        }

    }

    proptest! {
        /// Near misses (a digit too many or too few, other prefixes, doubled or trailing
        /// separators, a trunk 0, brackets) give the same answer through `parse` as through
        /// the phonenumber crate alone, whichever path takes them.
        #[test]
        fn parse_equals_phonenumber_on_near_misses(
            first in 0u32..10, second in 0u32..10,
            rest in 0u64..10_000_000_000u64,
            len in 9usize..=12,
            shape in 0usize..8,
        ) {
            let digits = format!("1{first}{second}{rest:010}");
            let digits = &digits[..len.min(digits.len())];
            let s = match shape {
                0 => digits.to_owned(),
                1 => format!("0{digits}"),
                2 => format!("+86  {digits}"),
                3 => format!("{digits}-"),
                4 => format!("({}) {}", &digits[..3], &digits[3..]),
                5 => format!("{}--{}", &digits[..3], &digits[3..]),
                6 => format!("+860{digits}"),
                _ => format!("86{digits}"),
            };
            let ours = PhoneNumber::parse(&s).ok();
            let theirs = PhoneNumber::parse_in(&s, phonenumber::country::Id::CN).ok();
            prop_assert_eq!(ours, theirs, "{:?}", s);
        }
    }

    proptest! {
        #[test]
        fn every_valid_mainland_mobile_normalises_to_one_key(
            prefix in prop::sample::select(vec!["130","131","132","133","135","136","137","138","139","150","151","152","155","157","158","159","166","170","176","177","178","180","181","182","183","185","186","187","188","189","191","198","199"]),
            rest in 0u32..100_000_000,
        ) {
            let plain = format!("{prefix}{rest:08}");
            let spaced = format!("{} {} {}", prefix, &plain[3..7], &plain[7..]);
            let intl = format!("+86-{prefix}-{}-{}", &plain[3..7], &plain[7..]);
            let a = PhoneNumber::parse(&plain).expect("plain");
            prop_assert_eq!(a.e164(), format!("+86{plain}"));
            prop_assert_eq!(&PhoneNumber::parse(&spaced).expect("spaced"), &a);
            prop_assert_eq!(&PhoneNumber::parse(&intl).expect("intl"), &a);
            prop_assert_eq!(a.kind(), PhoneKind::Mobile);
        }

        #[test]
        fn phone_parse_never_panics(s in "\\PC{0,60}") {
            let _ = PhoneNumber::parse(&s);
        }

        #[test]
        fn email_key_is_lowercase_and_stable(local in "[a-zA-Z0-9._%+-]{1,30}", domain in "[a-zA-Z0-9-]{1,20}\\.(com|cn|net|org)") {
            prop_assume!(!local.starts_with('.') && !local.ends_with('.') && !local.contains(".."));
            prop_assume!(!domain.starts_with('-'));
            let addr = format!("{local}@{domain}");
            if let Ok(e) = Email::parse(&addr) {
                prop_assert_eq!(e.as_str(), addr.to_lowercase());
                prop_assert_eq!(Email::parse(&addr.to_uppercase()).ok(), Some(e));
            }
        }

        #[test]
        fn email_parse_never_panics(s in "\\PC{0,300}") {
            let _ = Email::parse(&s);
        }
    }
}
