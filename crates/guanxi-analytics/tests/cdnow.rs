//! The published fits of the CDNOW sample (2,357 customers, 39 weeks of calibration to
//! 1997-09-30): BG/NBD (Fader, Hardie and Lee 2005) r = 0.243, α = 4.414, a = 0.793, b = 2.426,
//! log-likelihood −9582.4; Pareto/NBD r = 0.553, α = 10.578, s = 0.606, β = 11.669,
//! log-likelihood −9595.0; Gamma-Gamma p = 6.25, q = 3.74, γ = 15.44.
//!
//! The data are the sample's transactions, `CDNOW_sample.txt` from the datasets of the
//! `lifetimes` package (MIT), summarised here as the papers do: purchases on one day are one
//! transaction, x counts the repeat transactions up to 1997-09-30, t_x and T are in weeks
//! (days / 7) from the first purchase, and the spend is the average of the repeat
//! transactions. (The package's ready-made summary rounds t_x and T to two decimals, which moves
//! the last printed digit of β and γ.)

use chrono::NaiveDate;
use guanxi_analytics::{bgnbd, gamma_gamma, pareto, Summary};
use std::collections::BTreeMap;

const CDNOW: &str = include_str!("data/CDNOW_sample.txt");

/// Per customer: (x, t_x, T, average repeat spend).
fn columns() -> Vec<[f64; 4]> {
    let end = NaiveDate::from_ymd_opt(1997, 9, 30).expect("date");
    let mut days: BTreeMap<u32, BTreeMap<NaiveDate, f64>> = BTreeMap::new();
    for line in CDNOW.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let customer: u32 = f[1].parse().expect("id");
        let day = NaiveDate::parse_from_str(f[2], "%Y%m%d").expect("date");
        let amount: f64 = f[4].parse().expect("amount");
        *days.entry(customer).or_default().entry(day).or_default() += amount;
    }
    days.values()
        .map(|d| {
            let first = *d.keys().next().expect("a purchase");
            let cal: Vec<(&NaiveDate, &f64)> = d.iter().filter(|(day, _)| **day <= end).collect();
            let x = cal.len() - 1;
            let weeks = |to: NaiveDate| (to - first).num_days() as f64 / 7.0;
            let t_x = weeks(*cal[cal.len() - 1].0);
            let spend = if x > 0 {
                cal[1..].iter().map(|(_, a)| **a).sum::<f64>() / x as f64
            } else {
                0.0
            };
            [x as f64, t_x, weeks(end), spend]
        })
        .collect()
}

fn cdnow() -> Vec<Summary> {
    columns()
        .into_iter()
        .map(|f| Summary {
            x: f[0],
            t_x: f[1],
            t: f[2],
        })
        .collect()
}

#[test]
fn pareto_nbd_reproduces_the_published_cdnow_fit() {
    let fit = pareto::fit(&cdnow()).expect("fit");
    eprintln!("CDNOW Pareto/NBD: {fit:?}");
    let p = fit.params;
    assert_eq!(round(p.r, 3), 0.553, "{fit:?}");
    assert_eq!(round(p.alpha, 3), 10.578, "{fit:?}");
    assert_eq!(round(p.s, 3), 0.606, "{fit:?}");
    assert_eq!(round(p.beta, 3), 11.669, "{fit:?}");
    assert_eq!(round(fit.log_likelihood, 1), -9595.0, "{fit:?}");
}

#[test]
fn gamma_gamma_reproduces_the_published_cdnow_fit() {
    let pairs: Vec<(f64, f64)> = columns().into_iter().map(|f| (f[0], f[3])).collect();
    let fit = gamma_gamma::fit(&pairs).expect("fit");
    eprintln!("CDNOW Gamma-Gamma: {fit:?}");
    let k = fit.params;
    assert_eq!(round(k.p, 2), 6.25, "{fit:?}");
    assert_eq!(round(k.q, 2), 3.74, "{fit:?}");
    assert_eq!(round(k.gamma, 2), 15.44, "{fit:?}");
}

fn round(v: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (v * k).round() / k
}

#[test]
fn bgnbd_reproduces_the_published_cdnow_fit() {
    let data = cdnow();
    assert_eq!(data.len(), 2357);
    let fit = bgnbd::fit(&data).expect("fit");
    eprintln!("CDNOW BG/NBD: {fit:?}");
    let p = fit.params;
    assert_eq!(round(p.r, 3), 0.243, "{fit:?}");
    assert_eq!(round(p.alpha, 3), 4.414, "{fit:?}");
    assert_eq!(round(p.a, 3), 0.793, "{fit:?}");
    assert_eq!(round(p.b, 3), 2.426, "{fit:?}");
    assert_eq!(round(fit.log_likelihood, 1), -9582.4, "{fit:?}");
}

/// Histories drawn from the model with known parameters give those parameters back.
#[test]
fn bgnbd_recovers_the_parameters_it_simulated() {
    use rand::{Rng, SeedableRng};
    use rand_distr::{Beta, Distribution, Exp, Gamma};
    let truth = bgnbd::Params {
        r: 0.5,
        alpha: 5.0,
        a: 0.8,
        b: 2.5,
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let rates = Gamma::new(truth.r, 1.0 / truth.alpha).expect("gamma");
    let drops = Beta::new(truth.a, truth.b).expect("beta");
    let t = 52.0;
    let data: Vec<Summary> = (0..20_000)
        .map(|_| {
            let lambda: f64 = rates.sample(&mut rng);
            let p: f64 = drops.sample(&mut rng);
            let (mut now, mut x, mut t_x) = (0.0, 0.0, 0.0);
            if lambda > 0.0 {
                let wait = Exp::new(lambda).expect("exp");
                loop {
                    now += wait.sample(&mut rng);
                    if now > t {
                        break;
                    }
                    x += 1.0;
                    t_x = now;
                    if rng.gen::<f64>() < p {
                        break;
                    }
                }
            }
            Summary { x, t_x, t }
        })
        .collect();
    let fit = bgnbd::fit(&data).expect("fit");
    let got = fit.params;
    for (name, want, have) in [
        ("r", truth.r, got.r),
        ("alpha", truth.alpha, got.alpha),
        ("a", truth.a, got.a),
        ("b", truth.b, got.b),
    ] {
        assert!(
            (have - want).abs() / want < 0.2,
            "{name}: fitted {have}, simulated with {want} ({fit:?})"
        );
    }
    // The fitted parameters explain the data at least as well as the true ones.
    assert!(fit.log_likelihood >= bgnbd::log_likelihood(truth, &data) - 1e-6);
}

/// Customers drawn from the model over 39 weeks and the 39 after: for those with the same kind
/// of history, the mean of the conditional expectation equals the mean of what they then bought,
/// and the mean probability of being alive the share that still bought or were alive.
#[test]
fn bgnbd_predictions_match_a_simulation() {
    use rand::{Rng, SeedableRng};
    use rand_distr::{Beta, Distribution, Exp, Gamma};
    let truth = bgnbd::Params {
        r: 0.8,
        alpha: 4.0,
        a: 0.8,
        b: 2.5,
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let rates = Gamma::new(truth.r, 1.0 / truth.alpha).expect("gamma");
    let drops = Beta::new(truth.a, truth.b).expect("beta");
    let (t, horizon) = (39.0, 39.0);
    let (mut expected, mut bought, mut alive_p, mut alive, mut n) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for _ in 0..300_000 {
        let lambda: f64 = rates.sample(&mut rng);
        let p: f64 = drops.sample(&mut rng);
        let wait = Exp::new(lambda.max(1e-12)).expect("exp");
        let (mut now, mut x, mut t_x, mut dead_at) = (0.0, 0.0, 0.0, f64::INFINITY);
        let mut later = 0.0;
        loop {
            now += wait.sample(&mut rng);
            if now > t + horizon {
                break;
            }
            if now <= t {
                x += 1.0;
                t_x = now;
            } else {
                later += 1.0;
            }
            if rng.gen::<f64>() < p {
                dead_at = now;
                break;
            }
        }
        // The histories looked at: three purchases, the last in weeks 20 to 30.
        if x == 3.0 && (20.0..30.0).contains(&t_x) {
            let h = Summary { x, t_x, t };
            expected += bgnbd::expected_purchases(truth, h, horizon).expect("value");
            alive_p += bgnbd::probability_alive(truth, h);
            bought += later;
            alive += if dead_at > t { 1.0 } else { 0.0 };
            n += 1.0;
        }
    }
    assert!(n > 1000.0, "too few matching histories: {n}");
    let (e, b) = (expected / n, bought / n);
    assert!(
        (e - b).abs() / b < 0.08,
        "expected {e} a customer, simulated {b} ({n} customers)"
    );
    let (pa, sa) = (alive_p / n, alive / n);
    assert!(
        (pa - sa).abs() < 0.03,
        "P(alive) {pa}, simulated {sa} ({n} customers)"
    );
}
