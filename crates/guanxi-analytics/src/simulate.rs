//! Simulated repeat buying: customers who follow the BG/NBD and Gamma-Gamma models with known
//! parameters, for the recovery tests and the benchmark at 1,000,000 customers (issue 7).
//!
//! Each customer joins on an acquisition day and makes a first order then (time 0 of the models,
//! at noon of that day). While alive they order at a Poisson rate λ ~ Gamma(r, α) a day, and
//! after each repeat order they drop out with probability p ~ Beta(a, b) (the BG/NBD process of
//! Fader, Hardie and Lee 2005). Every order, the first one too, is worth z ~ Gamma(p, ν) yuan
//! around the customer's own ν ~ Gamma(q, γ) (the Gamma-Gamma model), rounded to the fen and at
//! least 1 fen. An order falls on the calendar day of its time; orders after the last day of the
//! plan are not seen (right-censoring, as in real data). Two orders of one customer can fall on
//! the same day: a summary by day (as `lifetimes` makes with `freq='D'`) counts them as one.
//!
//! Acquisitions are spread over the whole period with cohorts growing over time (the daily rate
//! rises linearly to `1 + growth` times its first value), a weekly wiggle (a quarter more on
//! Saturdays and Sundays), a yearly one (±20 %, highest in late November) and the shopping
//! festivals (four times the usual on 11 November, 双十一, twice on 18 June, 618). Only the
//! first orders follow the calendar: the repeat buying is the models' own, so fitting them to a
//! summary of the data gives the true parameters back.
//!
//! Customer ids run from 1 in the order of acquisition (customer `i` of `n` is placed at the
//! `(i + U)/n` quantile of the acquisition curve, `U` uniform): the output is customer by
//! customer, each customer's orders by date, and every customer's draws come from their own
//! ChaCha8 stream of the seed, so the same plan always gives the same rows, and memory stays
//! bounded whatever the number of customers.
//!
//! Days are numbered from 1970-01-01 (day 0), as Arrow's and Parquet's `Date32` count them.
//!
//! The defaults ([`Plan::default`]): 1,000,000 customers from 2022-01-01 to 2024-12-31 (1,096
//! days); BG/NBD r = 0.75, α = 24 (days; a mean rate of one order in 32 days), a = 0.5,
//! b = 10 (a mean dropout of 4.8 % after an order); Gamma-Gamma p = 3, q = 4, γ = 150 (yuan; a
//! mean order of pγ/(q − 1) = 150 yuan). They give [`Plan::expected_orders`] = 10.10 orders a
//! customer; seed 7 draws 10,081,150 orders for the 1,000,000 customers (10.08 a customer,
//! 245 MB of CSV, written in about 4 s).

use crate::{bgnbd, gamma_gamma};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Exp1, Gamma};
use std::io::{self, Write};

/// What to simulate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// Number of customers; their ids are `1..=customers`.
    pub customers: u64,
    /// Length of the period in days: acquisitions and orders fall on days
    /// `start_day ..= start_day + days - 1`.
    pub days: i32,
    /// First day of the period, counted from 1970-01-01.
    pub start_day: i32,
    pub seed: u64,
    /// The true BG/NBD parameters, with time in days.
    pub bgnbd: bgnbd::Params,
    /// The true Gamma-Gamma parameters, with money in yuan.
    pub spend: gamma_gamma::Params,
    /// How much faster customers join at the end of the period than at its start (0: evenly).
    pub growth: f64,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            customers: 1_000_000,
            days: 1096,
            start_day: days_from_civil(2022, 1, 1),
            seed: 7,
            bgnbd: bgnbd::Params {
                r: 0.75,
                alpha: 24.0,
                a: 0.5,
                b: 10.0,
            },
            spend: gamma_gamma::Params {
                p: 3.0,
                q: 4.0,
                gamma: 150.0,
            },
            growth: 2.0,
        }
    }
}

/// One order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transaction {
    pub customer: i64,
    /// Day of the order, counted from 1970-01-01.
    pub day: i32,
    /// Amount in fen (0.01 yuan), at least 1.
    pub amount_fen: i64,
}

/// Why a plan cannot be simulated.
#[derive(Clone, Debug, PartialEq)]
pub enum PlanError {
    /// `days` is not positive, or the period does not fit the day numbers.
    Period,
    /// A model parameter or the growth is not a positive finite number (growth may be 0).
    Parameter(&'static str),
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Period => f.write_str("the period must have at least one day"),
            Self::Parameter(name) => write!(f, "parameter {name} must be a positive number"),
        }
    }
}

impl std::error::Error for PlanError {}

impl Plan {
    /// The last day of the period (the observation end to give the models).
    pub fn end_day(&self) -> i32 {
        self.start_day.saturating_add(self.days.saturating_sub(1))
    }

    /// Check the plan.
    pub fn check(&self) -> Result<(), PlanError> {
        if self.days <= 0 || self.start_day.checked_add(self.days).is_none() {
            return Err(PlanError::Period);
        }
        let bg = self.bgnbd;
        let gg = self.spend;
        for (name, v) in [
            ("r", bg.r),
            ("alpha", bg.alpha),
            ("a", bg.a),
            ("b", bg.b),
            ("p", gg.p),
            ("q", gg.q),
            ("gamma", gg.gamma),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(PlanError::Parameter(name));
            }
        }
        if !(self.growth.is_finite() && self.growth >= 0.0) {
            return Err(PlanError::Parameter("growth"));
        }
        Ok(())
    }

    /// The relative rate of acquisitions on each day of the period (see the module's doc).
    pub fn acquisition_weights(&self) -> Vec<f64> {
        let days = self.days.max(0);
        (0..days)
            .map(|i| {
                let day = self.start_day + i;
                let trend = 1.0 + self.growth * f64::from(i) / f64::from(days);
                // 1970-01-01 was a Thursday: 0 is Monday.
                let weekday = (day + 3).rem_euclid(7);
                let week = if weekday >= 5 { 1.25 } else { 1.0 };
                let (year, month, dom) = civil_from_days(day);
                let doy = day - days_from_civil(year, 1, 1);
                let phase = 2.0 * std::f64::consts::PI * f64::from(doy - 330) / 365.25;
                let season = 1.0 + 0.2 * phase.cos();
                let festival = match (month, dom) {
                    (11, 11) => 4.0,
                    (6, 18) => 2.0,
                    _ => 1.0,
                };
                trend * week * season * festival
            })
            .collect()
    }

    /// The expected number of orders a customer (first orders included) under the true
    /// parameters, averaged over the acquisition curve: 1 + E[X(T)] of the BG/NBD model
    /// (equation 9 of Fader, Hardie and Lee 2005), T from noon of the acquisition day to the end
    /// of the period.
    pub fn expected_orders(&self) -> f64 {
        let weights = self.acquisition_weights();
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return 0.0;
        }
        let sum: f64 = weights
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let t = f64::from(self.days) - i as f64 - 0.5;
                w * (1.0 + expected_repeat_purchases(self.bgnbd, t))
            })
            .sum();
        sum / total
    }
}

/// E[X(t)], the expected number of repeat purchases of a new customer in time `t` (equation 9
/// of Fader, Hardie and Lee 2005); a = 1 is taken as its limit from nearby.
pub fn expected_repeat_purchases(p: bgnbd::Params, t: f64) -> f64 {
    let bgnbd::Params { r, alpha, a, b } = p;
    let a = if (a - 1.0).abs() < 1e-9 {
        1.0 + 1e-9
    } else {
        a
    };
    if t <= 0.0 {
        return 0.0;
    }
    let z = t / (alpha + t);
    let hyp = crate::special::ln_hyp2f1(r, b, a + b - 1.0, z).exp();
    (a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + t)).powf(r) * hyp)
}

/// The orders of a plan, customer by customer (see the module's doc).
pub fn transactions(plan: &Plan) -> Result<Transactions, PlanError> {
    plan.check()?;
    let bg = plan.bgnbd;
    let gg = plan.spend;
    let weights = plan.acquisition_weights();
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut total = 0.0;
    for w in weights {
        total += w;
        cumulative.push(total);
    }
    Ok(Transactions {
        plan: *plan,
        rates: Gamma::new(bg.r, 1.0 / bg.alpha).map_err(|_| PlanError::Parameter("r"))?,
        dropouts: Beta::new(bg.a, bg.b).map_err(|_| PlanError::Parameter("a"))?,
        scales: Gamma::new(gg.q, 1.0 / gg.gamma).map_err(|_| PlanError::Parameter("q"))?,
        order_shape: gg.p,
        base: ChaCha8Rng::seed_from_u64(plan.seed),
        cumulative,
        next: 0,
        orders: Vec::new(),
        at: 0,
    })
}

/// The iterator of [`transactions`]: holds one customer's orders at a time.
#[derive(Clone, Debug)]
pub struct Transactions {
    plan: Plan,
    rates: Gamma<f64>,
    dropouts: Beta<f64>,
    scales: Gamma<f64>,
    order_shape: f64,
    base: ChaCha8Rng,
    /// Cumulative acquisition weights by day of the period.
    cumulative: Vec<f64>,
    /// Index of the next customer to simulate (id − 1).
    next: u64,
    orders: Vec<Transaction>,
    at: usize,
}

impl Transactions {
    /// Simulate customer `index` (id `index + 1`) into `self.orders`.
    fn customer(&mut self, index: u64) {
        self.orders.clear();
        self.at = 0;
        let mut rng = self.base.clone();
        rng.set_stream(index);
        let id = i64::try_from(index).map_or(i64::MAX, |i| i.saturating_add(1));

        let n = self.plan.customers as f64;
        let u = (index as f64 + rng.gen::<f64>()) / n;
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let offset = self
            .cumulative
            .partition_point(|c| *c <= u * total)
            .min(self.cumulative.len().saturating_sub(1));
        let first = self.plan.start_day + i32::try_from(offset).unwrap_or(0);
        let last = self.plan.end_day();

        let lambda: f64 = self.rates.sample(&mut rng);
        let dropout: f64 = self.dropouts.sample(&mut rng);
        let nu: f64 = self.scales.sample(&mut rng);
        // Gamma(p, ν) with rate ν: scale 1/ν; a ν so small that the scale overflows gives the
        // largest amount.
        let amounts = Gamma::new(self.order_shape, 1.0 / nu).ok();
        let amount = |rng: &mut ChaCha8Rng| -> i64 {
            let yuan: f64 = amounts.map_or(f64::INFINITY, |g| g.sample(rng));
            // `as` saturates: an amount beyond i64 fen is the largest one.
            ((yuan * 100.0).round() as i64).max(1)
        };

        let fen = amount(&mut rng);
        self.orders.push(Transaction {
            customer: id,
            day: first,
            amount_fen: fen,
        });
        // Time in days since noon of the acquisition day.
        let mut t = 0.0_f64;
        loop {
            let wait: f64 = Exp1.sample(&mut rng);
            t += wait / lambda;
            let ahead = (0.5 + t).floor();
            if ahead.is_nan() || ahead > f64::from(last - first) {
                break;
            }
            let fen = amount(&mut rng);
            self.orders.push(Transaction {
                customer: id,
                day: first + ahead as i32,
                amount_fen: fen,
            });
            if rng.gen::<f64>() < dropout {
                break;
            }
        }
    }
}

impl Iterator for Transactions {
    type Item = Transaction;

    fn next(&mut self) -> Option<Transaction> {
        while self.at >= self.orders.len() {
            if self.next >= self.plan.customers {
                return None;
            }
            let index = self.next;
            self.next += 1;
            self.customer(index);
        }
        let t = self.orders.get(self.at).copied();
        self.at += 1;
        t
    }
}

/// Write a plan's orders as CSV with the header `customer_id,date,amount`, the date as
/// YYYY-MM-DD and the amount in yuan with two decimals (123.45), for the Python tools to read
/// money as a float. Returns the number of orders written. The writer is buffered here.
pub fn write_csv(plan: &Plan, out: impl Write) -> io::Result<u64> {
    let orders = transactions(plan).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut out = io::BufWriter::with_capacity(1 << 20, out);
    out.write_all(b"customer_id,date,amount\n")?;
    let dates: Vec<String> = (0..plan.days)
        .map(|i| date_string(plan.start_day + i))
        .collect();
    let mut rows = 0u64;
    for t in orders {
        let date = usize::try_from(t.day - plan.start_day)
            .ok()
            .and_then(|i| dates.get(i))
            .map_or_else(|| date_string(t.day), Clone::clone);
        writeln!(
            out,
            "{},{},{}.{:02}",
            t.customer,
            date,
            t.amount_fen / 100,
            t.amount_fen % 100
        )?;
        rows += 1;
    }
    out.flush()?;
    Ok(rows)
}

/// The proleptic Gregorian (year, month, day) of a day counted from 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
pub fn civil_from_days(day: i32) -> (i32, u32, u32) {
    let z = i64::from(day) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], from March
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = yoe + era * 400 + i64::from(m <= 2);
    // Within i32 day numbers, the year fits an i32 and month and day are small.
    (y as i32, m as u32, d as u32)
}

/// The day counted from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`); out-of-range months and days count on from the month's start.
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let m = i64::from(month);
    let y = i64::from(year) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let mp = (m + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX })
}

/// YYYY-MM-DD of a day counted from 1970-01-01.
pub fn date_string(day: i32) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The day counted from 1970-01-01 of a YYYY-MM-DD date, if it is one.
pub fn parse_date(s: &str) -> Option<i32> {
    let mut parts = s.trim().splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let n = days_from_civil(year, month, day);
    (civil_from_days(n) == (year, month, day)).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate};
    use std::collections::BTreeMap;

    fn small(customers: u64, seed: u64) -> Plan {
        Plan {
            customers,
            seed,
            ..Plan::default()
        }
    }

    #[test]
    fn civil_dates_match_chrono() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("date");
        let mut day = -800_000;
        while day < 800_000 {
            let want = epoch + chrono::Duration::days(i64::from(day));
            let (y, m, d) = civil_from_days(day);
            assert_eq!((y, m, d), (want.year(), want.month(), want.day()), "{day}");
            assert_eq!(days_from_civil(y, m, d), day);
            if y >= 0 {
                assert_eq!(parse_date(&date_string(day)), Some(day));
            }
            day += 97;
        }
        for day in 18_000..21_000 {
            let want = epoch + chrono::Duration::days(i64::from(day));
            assert_eq!(date_string(day), want.format("%Y-%m-%d").to_string());
        }
        assert_eq!(days_from_civil(2022, 1, 1), 18_993);
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("2024-02-29"), Some(days_from_civil(2024, 2, 29)));
        assert_eq!(parse_date("nonsense"), None);
    }

    #[test]
    fn the_same_seed_gives_the_same_orders() {
        let a: Vec<Transaction> = transactions(&small(3000, 1)).expect("plan").collect();
        let b: Vec<Transaction> = transactions(&small(3000, 1)).expect("plan").collect();
        let c: Vec<Transaction> = transactions(&small(3000, 2)).expect("plan").collect();
        assert!(!a.is_empty());
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut x = Vec::new();
        let mut y = Vec::new();
        write_csv(&small(500, 1), &mut x).expect("csv");
        write_csv(&small(500, 1), &mut y).expect("csv");
        assert_eq!(x, y);
    }

    #[test]
    fn orders_are_in_the_period_by_customer_and_date() {
        let plan = small(5000, 3);
        let (first, last) = (plan.start_day, plan.end_day());
        let mut seen: BTreeMap<i64, i32> = BTreeMap::new();
        let mut previous = (0_i64, i32::MIN);
        for t in transactions(&plan).expect("plan") {
            assert!(t.amount_fen >= 1, "{t:?}");
            assert!(t.day >= first && t.day <= last, "{t:?}");
            assert!(t.customer >= 1 && t.customer <= 5000, "{t:?}");
            // Customer by customer, each one's orders by date; ids in order of acquisition.
            assert!(
                t.customer > previous.0 || (t.customer == previous.0 && t.day >= previous.1),
                "{t:?} after {previous:?}"
            );
            if t.customer != previous.0 {
                if let Some((_, day)) = seen.last_key_value() {
                    assert!(t.day >= *day, "acquisitions out of order at {t:?}");
                }
                seen.insert(t.customer, t.day);
            }
            previous = (t.customer, t.day);
        }
        // Every customer has a first order; acquisitions cover the period.
        assert_eq!(seen.len(), 5000);
        assert!(seen.values().next().copied().unwrap_or(i32::MAX) < first + 10);
        assert!(seen.values().last().copied().unwrap_or(0) > last - 10);
    }

    #[test]
    fn order_counts_and_amounts_follow_the_models() {
        let plan = small(20_000, 9);
        let want = plan.expected_orders();
        assert!((9.5..10.5).contains(&want), "expected orders {want}");
        let (mut orders, mut fen) = (0.0_f64, 0.0_f64);
        for t in transactions(&plan).expect("plan") {
            orders += 1.0;
            fen += t.amount_fen as f64;
        }
        let per_customer = orders / 20_000.0;
        assert!(
            (per_customer - want).abs() / want < 0.04,
            "{per_customer} orders a customer, BG/NBD expects {want}"
        );
        // E[z] = E[p/ν] = pγ/(q − 1) yuan.
        let k = plan.spend;
        let mean = fen / orders / 100.0;
        let want = k.p * k.gamma / (k.q - 1.0);
        assert!(
            (mean - want).abs() / want < 0.05,
            "mean order {mean}, want {want}"
        );
    }

    #[test]
    fn the_csv_has_the_header_dates_and_yuan() {
        let plan = small(50, 4);
        let mut out = Vec::new();
        let rows = write_csv(&plan, &mut out).expect("csv");
        let text = String::from_utf8(out).expect("utf-8");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("customer_id,date,amount"));
        let all: Vec<Transaction> = transactions(&plan).expect("plan").collect();
        assert_eq!(rows, all.len() as u64);
        for (line, t) in lines.zip(&all) {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 3, "{line}");
            assert_eq!(f[0], t.customer.to_string());
            assert_eq!(parse_date(f[1]), Some(t.day));
            let yuan: f64 = f[2].parse().expect("amount");
            assert!(
                ((yuan * 100.0).round() as i64) == t.amount_fen,
                "{line} {t:?}"
            );
            assert_eq!(f[2].split('.').nth(1).map(str::len), Some(2), "{line}");
        }
    }

    #[test]
    fn bad_plans_are_refused() {
        let mut plan = small(10, 1);
        plan.days = 0;
        assert_eq!(transactions(&plan).err(), Some(PlanError::Period));
        let mut plan = small(10, 1);
        plan.bgnbd.alpha = -1.0;
        assert_eq!(
            transactions(&plan).err(),
            Some(PlanError::Parameter("alpha"))
        );
        let mut plan = small(10, 1);
        plan.spend.gamma = f64::NAN;
        assert!(write_csv(&plan, Vec::new()).is_err());
        assert_eq!(transactions(&small(0, 1)).expect("plan").count(), 0);
    }

    /// Summarised by day as the papers and `lifetimes` do, the orders give the true BG/NBD
    /// parameters back.
    #[test]
    fn a_bgnbd_fit_recovers_the_simulated_parameters() {
        let plan = small(20_000, 5);
        let end = plan.end_day();
        let mut days: BTreeMap<i64, Vec<i32>> = BTreeMap::new();
        for t in transactions(&plan).expect("plan") {
            let d = days.entry(t.customer).or_default();
            if d.last() != Some(&t.day) {
                d.push(t.day);
            }
        }
        let data: Vec<crate::Summary> = days
            .values()
            .map(|d| {
                let first = d[0];
                crate::Summary {
                    x: (d.len() - 1) as f64,
                    t_x: f64::from(d[d.len() - 1] - first),
                    t: f64::from(end - first).max(0.5),
                }
            })
            .collect();
        let fit = bgnbd::fit(&data).expect("fit");
        eprintln!("simulated BG/NBD, day summary: {fit:?}");
        let truth = plan.bgnbd;
        for (name, want, have) in [
            ("r", truth.r, fit.params.r),
            ("alpha", truth.alpha, fit.params.alpha),
            ("a", truth.a, fit.params.a),
            ("b", truth.b, fit.params.b),
        ] {
            assert!(
                (have - want).abs() / want < 0.15,
                "{name}: fitted {have}, simulated with {want} ({fit:?})"
            );
        }
    }
}
