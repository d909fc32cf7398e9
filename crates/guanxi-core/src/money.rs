//! Money in integer minor units (分 for CNY) with an ISO 4217 currency. Never floating point.

use crate::error::{DomainError, Reason};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 currency code: three ASCII capital letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const CNY: Currency = Currency(*b"CNY");

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_alphabetic) {
            Ok(Currency([
                b[0].to_ascii_uppercase(),
                b[1].to_ascii_uppercase(),
                b[2].to_ascii_uppercase(),
            ]))
        } else {
            Err(DomainError::field("", Reason::InvalidCurrency))
        }
    }

    pub fn as_str(&self) -> &str {
        // Built only from ASCII letters, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point. JPY and KRW have none; the rest we meet have two.
    pub fn minor_digits(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" | b"VND" => 0,
            _ => 2,
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Currency::parse(&s).map_err(|_| format!("invalid currency code {s:?}"))
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount in minor units of its currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units: 分 for CNY.
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Parse a decimal amount such as `"1234.5"`, `"-0.07"` or `"1,234.50"` in `currency`.
    /// More decimal places than the currency has, or an amount that does not fit, is refused.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, DomainError> {
        let invalid = || DomainError::field("", Reason::InvalidMoney);
        let s: String = amount.trim().chars().filter(|c| *c != ',').collect();
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(&s)),
        };
        let (whole, frac) = match digits.split_once('.') {
            Some((w, f)) => (w, f),
            None => (digits, ""),
        };
        let scale = currency.minor_digits() as usize;
        if whole.is_empty() && frac.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > scale
            || (digits.contains('.') && frac.is_empty())
        {
            return Err(invalid());
        }
        let overflow = || DomainError::field("", Reason::MoneyOverflow);
        let mut minor: i64 = 0;
        for b in whole.bytes() {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(b - b'0')))
                .ok_or_else(overflow)?;
        }
        for i in 0..scale {
            let d = frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(d))
                .ok_or_else(overflow)?;
        }
        Ok(Money::new(if negative { -minor } else { minor }, currency))
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        self.minor
            .checked_add(other.minor)
            .map(|m| Money::new(m, self.currency))
    }

    /// The amount as a plain decimal string, e.g. `"-12.05"`.
    pub fn decimal(&self) -> String {
        let scale = self.currency.minor_digits();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if scale == 0 {
            return format!("{sign}{abs}");
        }
        let div = 10u64.pow(scale);
        format!(
            "{sign}{}.{:0width$}",
            abs / div,
            abs % div,
            width = scale as usize
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.decimal(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cny(s: &str) -> Result<i64, DomainError> {
        Money::parse(s, Currency::CNY).map(|m| m.minor)
    }

    #[test]
    fn parses_yuan_into_fen() {
        assert_eq!(cny("12.34"), Ok(1234));
        assert_eq!(cny("12.3"), Ok(1230));
        assert_eq!(cny("12"), Ok(1200));
        assert_eq!(cny("-0.07"), Ok(-7));
        assert_eq!(cny("1,234.50"), Ok(123_450));
        assert_eq!(cny(".5"), Ok(50));
        assert!(cny("12.345").is_err());
        assert!(cny("12.").is_err());
        assert!(cny("abc").is_err());
        assert!(cny("").is_err());
        assert!(cny("1e3").is_err());
        assert_eq!(
            cny("99999999999999999999"),
            Err(DomainError::field("", Reason::MoneyOverflow))
        );
        assert_eq!(
            Money::parse("500", Currency::parse("jpy").expect("jpy")).map(|m| m.minor),
            Ok(500)
        );
    }

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::parse("cny").ok(), Some(Currency::CNY));
        assert!(Currency::parse("CN").is_err());
        assert!(Currency::parse("C1Y").is_err());
        assert!(Currency::parse("人民币").is_err());
    }

    #[test]
    fn add_refuses_mixed_currencies_and_overflow() {
        let a = Money::new(i64::MAX, Currency::CNY);
        assert_eq!(a.checked_add(Money::new(1, Currency::CNY)), None);
        let usd = Currency::parse("USD").expect("usd");
        assert_eq!(
            Money::new(1, Currency::CNY).checked_add(Money::new(1, usd)),
            None
        );
    }

    proptest! {
        #[test]
        fn decimal_round_trips(minor in any::<i64>().prop_filter("not MIN", |m| *m != i64::MIN)) {
            let m = Money::new(minor, Currency::CNY);
            prop_assert_eq!(Money::parse(&m.decimal(), Currency::CNY), Ok(m));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = Money::parse(&s, Currency::CNY);
        }

        #[test]
        fn addition_is_exact(a in -1_000_000_000_000i64..1_000_000_000_000, b in -1_000_000_000_000i64..1_000_000_000_000) {
            let sum = Money::new(a, Currency::CNY).checked_add(Money::new(b, Currency::CNY));
            prop_assert_eq!(sum.map(|m| m.minor), Some(a + b));
        }
    }
}
