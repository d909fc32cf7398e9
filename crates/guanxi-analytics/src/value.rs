//! Customer value (客户价值): lifetime value over a horizon from the BG/NBD and Gamma-Gamma
//! models, and the concentration of revenue — the 80/20 rule, ABC tiers and the Lorenz curve.

use crate::{bgnbd, gamma_gamma, Summary};

/// Lifetime value over `months` months (of `period_per_month` model periods each, e.g. 30/7
/// for a model fitted in weeks): expected purchases in each month (BG/NBD) × expected spend
/// (Gamma-Gamma) × `margin`, discounted monthly at `monthly_discount` (0.01 is 1 % a month).
/// `None` where a model has no value for the history.
#[allow(clippy::too_many_arguments)]
pub fn clv(
    model: bgnbd::Params,
    spend: gamma_gamma::Params,
    history: Summary,
    average_spend: f64,
    months: u32,
    period_per_month: f64,
    margin: f64,
    monthly_discount: f64,
) -> Option<f64> {
    let value = if history.x > 0.0 && average_spend > 0.0 {
        gamma_gamma::expected_spend(spend, history.x, average_spend)
    } else {
        // Without repeat purchases the population's mean spend, p·γ/(q − 1).
        spend.p * spend.gamma / (spend.q - 1.0)
    };
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let months = months.min(bgnbd::MANY as u32);
    let horizons: Vec<f64> = (1..=months)
        .map(|m| f64::from(m) * period_per_month)
        .collect();
    let mut cumulative = vec![0.0; horizons.len()];
    if !bgnbd::expected_purchases_many(model, history, &horizons, &mut cumulative) {
        return None;
    }
    Some(discounted(&cumulative, value, margin, monthly_discount))
}

/// Lifetime value from the cumulative expected purchases at the end of each month: each
/// month's purchases × `value` × `margin`, discounted monthly.
pub fn discounted(cumulative: &[f64], value: f64, margin: f64, monthly_discount: f64) -> f64 {
    let mut total = 0.0;
    let mut before = 0.0;
    for (m, upto) in cumulative.iter().enumerate() {
        total += (upto - before) * value * margin / (1.0 + monthly_discount).powi(m as i32 + 1);
        before = *upto;
    }
    total
}

/// Value tier of a customer by their share of revenue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tier {
    /// The customers who bring the first `a_share` of revenue (80 % by default).
    A,
    /// The next `b_share` (15 %).
    B,
    /// The rest.
    C,
}

/// ABC tiers: customers ordered by revenue (descending, then id); a customer is A while the
/// revenue before them is under `a_share` of the total, B while under `a_share + b_share`, C
/// after. Customers without revenue are C.
pub fn abc_tiers(revenue: &[(i64, f64)], a_share: f64, b_share: f64) -> Vec<Tier> {
    let total: f64 = revenue.iter().map(|(_, r)| r.max(0.0)).sum();
    // Descending revenue, then ascending id: packed keys sort without a comparison closure.
    let mut order: Vec<(u64, i64, usize)> = revenue
        .iter()
        .enumerate()
        .map(|(i, (id, r))| (!crate::rfm::ordered_bits(*r), *id, i))
        .collect();
    order.sort_unstable();
    let mut out = vec![Tier::C; revenue.len()];
    let mut before = 0.0;
    for (_, _, i) in order {
        let r = revenue[i].1.max(0.0);
        if total > 0.0 && r > 0.0 {
            let share = before / total;
            out[i] = if share < a_share {
                Tier::A
            } else if share < a_share + b_share {
                Tier::B
            } else {
                Tier::C
            };
        }
        before += r;
    }
    out
}

/// The Lorenz curve of revenue: `points` + 1 points (share of customers, share of revenue),
/// customers from the smallest to the largest, and the Gini coefficient (0: all equal; towards
/// 1: one customer has it all). `None` without customers or revenue.
pub fn lorenz(revenue: &[f64], points: usize) -> Option<(Vec<(f64, f64)>, f64)> {
    let mut r: Vec<f64> = revenue.iter().map(|v| v.max(0.0)).collect();
    let total: f64 = r.iter().sum();
    if r.is_empty() || total <= 0.0 || points == 0 {
        return None;
    }
    r.sort_unstable_by(f64::total_cmp);
    let n = r.len();
    let mut cumulative = Vec::with_capacity(n + 1);
    cumulative.push(0.0);
    let mut acc = 0.0;
    for v in &r {
        acc += v;
        cumulative.push(acc / total);
    }
    // Gini = 1 − 2 × the area under the curve (trapezoids over every customer).
    let area: f64 = cumulative
        .windows(2)
        .map(|w| (w[0] + w[1]) / 2.0 / n as f64)
        .sum();
    let curve = (0..=points)
        .map(|k| {
            let at = k * n / points;
            (at as f64 / n as f64, cumulative[at])
        })
        .collect();
    Some((curve, 1.0 - 2.0 * area))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: bgnbd::Params = bgnbd::Params {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };
    const SPEND: gamma_gamma::Params = gamma_gamma::Params {
        p: 6.25,
        q: 3.74,
        gamma: 15.44,
    };

    #[test]
    fn clv_grows_with_the_horizon_and_shrinks_with_the_discount() {
        let h = Summary {
            x: 4.0,
            t_x: 36.0,
            t: 38.86,
        };
        let v = |months, d| clv(MODEL, SPEND, h, 30.0, months, 30.0 / 7.0, 0.2, d).expect("clv");
        assert_eq!(v(0, 0.01), 0.0);
        assert!(v(6, 0.01) < v(12, 0.01) && v(12, 0.01) < v(36, 0.01));
        assert!(v(12, 0.02) < v(12, 0.0));
        // Without discount, the value is purchases × spend × margin.
        let purchases = bgnbd::expected_purchases(MODEL, h, 12.0 * 30.0 / 7.0).expect("e");
        let spend = gamma_gamma::expected_spend(SPEND, 4.0, 30.0);
        assert!((v(12, 0.0) - purchases * spend * 0.2).abs() < 1e-9);
        // A lapsed customer is worth less than a recent one with the same purchases.
        let lapsed = Summary { t_x: 5.0, ..h };
        let l = clv(MODEL, SPEND, lapsed, 30.0, 12, 30.0 / 7.0, 0.2, 0.01).expect("clv");
        assert!(l < v(12, 0.01));
    }

    #[test]
    fn abc_follows_the_revenue_shares() {
        // 8 customers: one brings 70 %, two bring 20 %, five the last 10 %.
        let mut rev = vec![(1, 700.0), (2, 100.0), (3, 100.0)];
        rev.extend((4..=8).map(|i| (i, 20.0)));
        let t = abc_tiers(&rev, 0.8, 0.15);
        assert_eq!(t[0], Tier::A);
        assert_eq!(
            (t[1], t[2]),
            (Tier::A, Tier::B),
            "70 % before the first, 80 % before the second"
        );
        // Before the small ones: 90 %, 92 %, 94 % (under 95 %: B), then 96 %, 98 % (C).
        assert_eq!(&t[3..], &[Tier::B, Tier::B, Tier::B, Tier::C, Tier::C]);
        assert_eq!(abc_tiers(&[(1, 0.0)], 0.8, 0.15), vec![Tier::C]);
    }

    #[test]
    fn the_lorenz_curve_and_gini_of_known_cases() {
        let (curve, gini) = lorenz(&[5.0; 100], 4).expect("curve");
        assert!(gini.abs() < 1e-12, "all equal: {gini}");
        assert_eq!(curve.len(), 5);
        assert!((curve[2].1 - 0.5).abs() < 1e-12);
        let mut one = vec![0.0; 99];
        one.push(10.0);
        let (_, g) = lorenz(&one, 10).expect("curve");
        assert!((g - 0.99).abs() < 1e-9, "one customer has it all: {g}");
        assert!(lorenz(&[], 10).is_none() && lorenz(&[0.0, 0.0], 10).is_none());
    }
}
