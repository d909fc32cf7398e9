//! Quotes (报价单): priced lines with their discounts, a tax rate, and the way a quote goes
//! (draft → sent → accepted or rejected; an accepted, sent or draft quote becomes an order once).

str_enum!(
    /// Where a quote stands. `ordered` is final: it became an order.
    QuoteStatus {
        Draft = "draft",
        Sent = "sent",
        Accepted = "accepted",
        Rejected = "rejected",
        Ordered = "ordered",
    }
);

impl QuoteStatus {
    /// May a quote go from this status to `to` by hand? Ordering is its own step.
    pub fn may_become(self, to: QuoteStatus) -> bool {
        use QuoteStatus::*;
        matches!(
            (self, to),
            (Draft, Sent) | (Draft | Sent, Accepted) | (Draft | Sent, Rejected) | (Rejected, Draft)
        )
    }

    /// May the quote become an order now?
    pub fn may_order(self) -> bool {
        matches!(
            self,
            QuoteStatus::Draft | QuoteStatus::Sent | QuoteStatus::Accepted
        )
    }
}

/// Highest tax rate, in basis points (100 % = 10,000).
pub const TAX_RATE_MAX_BP: i64 = 10_000;

/// The tax on `net` minor units at `rate_bp` basis points, rounded half away from zero to the
/// minor unit (China's VAT invoices round to the fen this way). `None` on overflow or a rate
/// out of range.
pub fn tax(net: i64, rate_bp: i64) -> Option<i64> {
    if !(0..=TAX_RATE_MAX_BP).contains(&rate_bp) || net < 0 {
        return None;
    }
    let scaled = i128::from(net) * i128::from(rate_bp);
    let rounded = (scaled + 5_000) / 10_000;
    i64::try_from(rounded).ok()
}

/// The totals of a quote from the sum of its (already discounted) lines: (tax, total).
pub fn totals(lines_total: i64, rate_bp: i64) -> Option<(i64, i64)> {
    let t = tax(lines_total, rate_bp)?;
    Some((t, lines_total.checked_add(t)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn vat_examples() {
        // 13 % of ¥100.00 is ¥13.00; of ¥0.05 it is 0.65 fen, rounded to 1.
        assert_eq!(tax(10_000, 1_300), Some(1_300));
        assert_eq!(tax(5, 1_300), Some(1));
        assert_eq!(tax(3, 1_300), Some(0));
        assert_eq!(tax(10_000, 0), Some(0));
        assert_eq!(tax(10_000, 10_001), None);
        assert_eq!(tax(-1, 600), None);
        assert_eq!(totals(10_000, 600), Some((600, 10_600)));
        assert_eq!(totals(i64::MAX, 1_300), None);
    }

    #[test]
    fn statuses() {
        use QuoteStatus::*;
        assert!(Draft.may_become(Sent));
        assert!(Sent.may_become(Accepted));
        assert!(!Accepted.may_become(Draft));
        assert!(!Ordered.may_become(Draft));
        for s in QuoteStatus::ALL {
            assert!(!s.may_become(Ordered), "ordering is its own step");
        }
        assert!(Accepted.may_order() && !Rejected.may_order() && !Ordered.may_order());
    }

    proptest! {
        /// The tax is within half a minor unit of the exact value, never negative, and grows
        /// with the amount.
        #[test]
        fn tax_is_exact_to_half_a_fen(net in 0i64..1_000_000_000_000, rate in 0i64..=10_000) {
            let t = tax(net, rate).expect("in range");
            let exact = net as f64 * rate as f64 / 10_000.0;
            prop_assert!((t as f64 - exact).abs() <= 0.5 + exact * 1e-12);
            prop_assert!(t >= 0);
            prop_assert!(tax(net + 1, rate).expect("in range") >= t);
            let (t2, total) = totals(net, rate).expect("in range");
            prop_assert_eq!(t2, t);
            prop_assert_eq!(total, net + t);
        }
    }
}
