//! Demo orders that look like real repeat buying (the process behind BG/NBD, Fader, Hardie &
//! Lee 2005): while "alive", a customer buys at their own Poisson rate λ ~ Gamma(r, α); after
//! every purchase they drop out for good with their own probability p ~ Beta(a, b); what they
//! spend per order varies around their own mean. So some customers buy often, many once, and
//! some stop — the data the value and lifetime models are meant for.

use crate::DemoProduct;
use chrono::{DateTime, Duration, Utc};
use guanxi_core::customer::CustomerStatus;
use guanxi_core::order::OrderStatus;
use guanxi_core::Currency;
use guanxi_store::{BulkBatch, BulkOrder, BulkOrderLine};
use rand::distributions::{Distribution, WeightedIndex};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Exp, Gamma};

/// Purchase rate per year: Gamma(shape, scale) — mean 2 orders a year, widely spread.
const RATE_SHAPE: f64 = 0.8;
const RATE_SCALE: f64 = 2.5;
/// Drop-out probability after each purchase: Beta(a, b) — mean about 0.2.
const DROP_A: f64 = 0.9;
const DROP_B: f64 = 3.5;
/// Most orders one customer gets (a bound on the loop, far above what the rates give).
const ORDERS_MAX: usize = 200;

/// Add orders for the customers of `batch` (those created in it), ending at `now`.
pub(crate) fn generate(
    rng: &mut ChaCha8Rng,
    products: &[DemoProduct],
    batch: &mut BulkBatch,
    now: DateTime<Utc>,
    rate_factor: f64,
) {
    if products.is_empty() {
        return;
    }
    let (Ok(rate), Ok(drop), Ok(weights), Ok(mood)) = (
        Gamma::new(RATE_SHAPE, RATE_SCALE),
        Beta::new(DROP_A, DROP_B),
        WeightedIndex::new(products.iter().map(|p| p.weight.max(1))),
        Gamma::new(3.0, 1.0 / 3.0),
    ) else {
        return;
    };
    for idx in 0..batch.customers.len() {
        let c = &batch.customers[idx];
        // Potential customers have not bought yet.
        if c.status == CustomerStatus::Potential {
            continue;
        }
        let per_year: f64 = rate.sample(rng) * rate_factor.clamp(0.01, 100.0);
        let p_drop: f64 = drop.sample(rng);
        let appetite: f64 = mood.sample(rng);
        let Ok(gap) = Exp::new(per_year.max(0.01) / 365.0) else {
            continue;
        };
        let owner = c.owner_id;
        // The first purchase comes within a month of becoming a customer.
        let mut t = c.created_at + Duration::minutes(rng.gen_range(0..43_200));
        for _ in 0..ORDERS_MAX {
            if t >= now {
                break;
            }
            let lines = (0..rng.gen_range(1..=3))
                .map(|_| {
                    let p = &products[weights.sample(rng)];
                    let qty = ((appetite * rng.gen_range(0.6..1.6)).round() as i64).clamp(1, 5);
                    BulkOrderLine {
                        product_id: Some(p.id),
                        description: p.name.clone(),
                        quantity: qty,
                        unit_price: p.price,
                        discount: if rng.gen_bool(0.1) {
                            p.price * qty / 10
                        } else {
                            0
                        },
                    }
                })
                .collect();
            let age = now - t;
            let roll: f64 = rng.gen();
            let status = if roll < 0.03 {
                OrderStatus::Cancelled
            } else if roll < 0.05 {
                OrderStatus::Refunded
            } else if age < Duration::days(2) {
                OrderStatus::Paid
            } else if age < Duration::days(7) {
                OrderStatus::Shipped
            } else {
                OrderStatus::Completed
            };
            let paid_at = (status != OrderStatus::Cancelled)
                .then(|| t + Duration::minutes(rng.gen_range(1..120)));
            batch.orders.push(BulkOrder {
                customer_index: idx,
                placed_at: t,
                paid_at,
                status,
                currency: Currency::CNY,
                owner_id: owner,
                lines,
            });
            if rng.gen_bool(p_drop.clamp(0.0, 1.0)) {
                break;
            }
            let days: f64 = gap.sample(rng);
            t += Duration::seconds((days * 86_400.0).min(3650.0 * 86_400.0) as i64 + 3600);
        }
    }
}
