//! Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV"): a customer's
//! transaction values are Gamma(p, ν) around their own mean, with ν ~ Gamma(q, γ) across
//! customers. Fitted on customers with repeat purchases from their number `x` and average value
//! `m`; gives each customer's expected average spend.

use crate::optimize::{bfgs, max_likelihood};
use crate::special::digamma;
use crate::{par, FitError};
use libm::lgamma;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    pub params: Params,
    pub log_likelihood: f64,
    pub iterations: usize,
}

/// The log-likelihood of one customer's `x` repeat transactions averaging `m`.
pub fn customer_log_likelihood(k: Params, x: f64, m: f64) -> f64 {
    let Params { p, q, gamma } = k;
    lgamma(p * x + q) - lgamma(p * x) - lgamma(q)
        + q * gamma.ln()
        + (p * x - 1.0) * m.ln()
        + p * x * x.ln()
        - (p * x + q) * (gamma + m * x).ln()
}

/// The log-likelihood of all customers with repeat purchases (`x > 0`, `m > 0`).
pub fn log_likelihood(k: Params, data: &[(f64, f64)]) -> f64 {
    data.iter()
        .filter(|(x, m)| *x > 0.0 && *m > 0.0)
        .map(|(x, m)| customer_log_likelihood(k, *x, *m))
        .sum()
}

/// Expected average transaction value of a customer with `x` repeat purchases averaging `m`.
pub fn expected_spend(k: Params, x: f64, m: f64) -> f64 {
    let Params { p, q, gamma } = k;
    (gamma + m * x) * p / (p * x + q - 1.0)
}

/// The log-likelihood of customers with repeat purchases and its gradient in (p, q, γ), across
/// the cores; the Γ terms depend on `x` alone and are tabulated once per evaluation for whole x.
pub fn log_likelihood_gradient(k: Params, data: &[(f64, f64)]) -> (f64, [f64; 3]) {
    gradient_prepared(k, &prepare(data))
}

/// A customer as the likelihood needs them, with what does not depend on the parameters
/// computed once: x, m·x, ln m, ln m + ln x.
type Prepared = [f64; 4];

fn prepare(data: &[(f64, f64)]) -> Vec<Prepared> {
    data.iter()
        .filter(|(x, m)| *x > 0.0 && *m > 0.0)
        .map(|&(x, m)| [x, m * x, m.ln(), m.ln() + x.ln()])
        .collect()
}

fn gradient_prepared(k: Params, data: &[Prepared]) -> (f64, [f64; 3]) {
    let Params { p, q, gamma } = k;
    let terms = |x: f64| {
        (
            lgamma(p * x + q) - lgamma(p * x) - lgamma(q),
            digamma(p * x + q) - digamma(p * x),
            digamma(p * x + q) - digamma(q),
        )
    };
    let whole = data
        .iter()
        .all(|c| c[0].fract() == 0.0 && c[0] <= 100_000.0);
    let table: Vec<(f64, f64, f64)> = if whole {
        let top = data.iter().fold(0.0_f64, |m, c| m.max(c[0])) as usize;
        (0..=top).map(|x| terms(x as f64)).collect()
    } else {
        Vec::new()
    };
    let ln_gamma = gamma.ln();
    let parts = par::chunks(data, |chunk| {
        let mut ll = 0.0;
        let mut g = [0.0; 3];
        for &[x, mx, ln_m, ln_mx] in chunk {
            let (c, dpx, dq) = table
                .get(x as usize)
                .copied()
                .filter(|_| whole)
                .unwrap_or_else(|| terms(x));
            let ln_s = (gamma + mx).ln();
            let px = p * x;
            ll += c + q * ln_gamma - ln_m + px * ln_mx - (px + q) * ln_s;
            g[0] += x * (dpx + ln_mx - ln_s);
            g[1] += dq + ln_gamma - ln_s;
            g[2] += q / gamma - (px + q) / (gamma + mx);
        }
        (ll, g)
    });
    parts.into_iter().fold((0.0, [0.0; 3]), |(ll, g), (l, h)| {
        (ll + l, [g[0] + h[0], g[1] + h[1], g[2] + h[2]])
    })
}

fn of(t: &[f64]) -> Params {
    Params {
        p: t[0].exp(),
        q: t[1].exp(),
        gamma: t[2].exp(),
    }
}

/// The mean negative log-likelihood over the logarithms of the parameters, with its gradient.
fn objective(data: &[Prepared]) -> impl Fn(&[f64]) -> (f64, Vec<f64>) + '_ {
    let n = data.len() as f64;
    move |t: &[f64]| {
        let k = of(t);
        let (ll, g) = gradient_prepared(k, data);
        let scale = [k.p, k.q, k.gamma];
        (-ll / n, (0..3).map(|i| -g[i] * scale[i] / n).collect())
    }
}

/// Fit on `(x, m)` pairs; customers without repeat purchases or with no spend are left out.
/// Quasi-Newton with the exact gradient from p = q = γ = 1, the simplex if that stalls.
pub fn fit(data: &[(f64, f64)]) -> Result<Fit, FitError> {
    let used: Vec<(f64, f64)> = data
        .iter()
        .copied()
        .filter(|(x, m)| *x > 0.0 && *m > 0.0 && x.is_finite() && m.is_finite())
        .collect();
    if used.is_empty() {
        return Err(FitError::NoData);
    }
    let prepared = prepare(&used);
    let start = crate::optimize::warm_start(&prepared, 3, |sample| {
        bfgs(objective(sample), &[0.0; 3], 1e-8, 2_000)
    });
    if let Some((t, value, iterations)) = bfgs(objective(&prepared), &start, 1e-9, 2_000) {
        return Ok(Fit {
            params: of(&t),
            log_likelihood: -value * used.len() as f64,
            iterations,
        });
    }
    let (params, log_likelihood, iterations) =
        max_likelihood(3, of, |p| self::log_likelihood(*p, &used))?;
    Ok(Fit {
        params,
        log_likelihood,
        iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gradient_is_the_slope_of_the_likelihood() {
        let k = Params {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        let data: Vec<(f64, f64)> = (0..300)
            .map(|i| (f64::from(i % 6), 5.0 + f64::from(i % 17) * 3.3))
            .collect();
        let (ll, g) = log_likelihood_gradient(k, &data);
        assert!((ll - log_likelihood(k, &data)).abs() < 1e-9 * ll.abs());
        let bump = |i: usize, h: f64| {
            let mut v = [k.p, k.q, k.gamma];
            v[i] += h;
            log_likelihood(
                Params {
                    p: v[0],
                    q: v[1],
                    gamma: v[2],
                },
                &data,
            )
        };
        for (i, gi) in g.iter().enumerate() {
            let numeric = (bump(i, 1e-6) - bump(i, -1e-6)) / 2e-6;
            assert!(
                (gi - numeric).abs() < 1e-5 * (1.0 + numeric.abs()),
                "{i}: {gi} vs {numeric}"
            );
        }
    }
}
