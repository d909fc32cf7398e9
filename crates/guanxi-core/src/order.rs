//! Orders: their statuses and the arithmetic of their lines, in integer minor units (fen).

use crate::error::Reason;

str_enum!(
    /// Where an order stands.
    OrderStatus {
        Placed = "placed",
        Paid = "paid",
        Shipped = "shipped",
        Completed = "completed",
        Cancelled = "cancelled",
        Refunded = "refunded",
    }
);

impl OrderStatus {
    /// May an order move from `self` to `to`? Forward along placed → paid → shipped →
    /// completed; cancelled only before shipping; refunded only after payment. Cancelled and
    /// refunded are final.
    pub fn may_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Placed, Paid | Cancelled)
                | (Paid, Shipped | Completed | Cancelled | Refunded)
                | (Shipped, Completed | Refunded)
                | (Completed, Refunded)
        )
    }

    /// Does the order count as a purchase (behavioural data for value and loyalty)?
    pub fn is_purchase(self) -> bool {
        matches!(
            self,
            OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Completed
        )
    }
}

/// Most units on one line.
pub const QUANTITY_MAX: i64 = 1_000_000;
/// Most lines on one order.
pub const LINES_MAX: usize = 500;

/// `quantity × unit_price − discount`, refusing what makes no sense or overflows.
pub fn line_total(
    quantity: i64,
    unit_price: i64,
    discount: i64,
) -> Result<i64, (&'static str, Reason)> {
    if !(1..=QUANTITY_MAX).contains(&quantity) {
        return Err((
            "quantity",
            Reason::OutOfRange {
                min: 1,
                max: QUANTITY_MAX,
            },
        ));
    }
    if unit_price < 0 {
        return Err((
            "unit_price",
            Reason::OutOfRange {
                min: 0,
                max: i64::MAX,
            },
        ));
    }
    let gross = quantity
        .checked_mul(unit_price)
        .ok_or(("unit_price", Reason::MoneyOverflow))?;
    if discount < 0 || discount > gross {
        return Err(("discount", Reason::OutOfRange { min: 0, max: gross }));
    }
    Ok(gross - discount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn statuses_move_forward_only() {
        use OrderStatus::*;
        assert!(Placed.may_become(Paid));
        assert!(Paid.may_become(Refunded));
        assert!(!Shipped.may_become(Cancelled));
        assert!(!Cancelled.may_become(Paid));
        assert!(!Refunded.may_become(Completed));
        for s in OrderStatus::ALL {
            assert!(!s.may_become(*s), "{s} to itself");
        }
    }

    #[test]
    fn lines() {
        assert_eq!(line_total(3, 1990, 500), Ok(5470));
        assert_eq!(line_total(0, 1, 0).map_err(|e| e.0), Err("quantity"));
        assert_eq!(line_total(1, -1, 0).map_err(|e| e.0), Err("unit_price"));
        assert_eq!(line_total(2, 100, 201).map_err(|e| e.0), Err("discount"));
        assert_eq!(
            line_total(QUANTITY_MAX, i64::MAX / 2, 0).map_err(|e| e.1),
            Err(Reason::MoneyOverflow)
        );
    }

    proptest! {
        #[test]
        fn a_line_never_exceeds_its_gross_and_is_never_negative(
            q in 1i64..=QUANTITY_MAX, p in 0i64..=10_000_000_000, d in 0i64..=1_000_000
        ) {
            match line_total(q, p, d) {
                Ok(t) => { prop_assert!(t >= 0); prop_assert!(t <= q * p); prop_assert_eq!(t + d, q * p); }
                Err((field, _)) => prop_assert!(field == "discount" || field == "unit_price"),
            }
        }
    }
}
