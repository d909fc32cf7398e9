//! Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV"): a customer's
//! transaction values are Gamma(p, ν) around their own mean, with ν ~ Gamma(q, γ) across
//! customers. Fitted on customers with repeat purchases from their number `x` and average value
//! `m`; gives each customer's expected average spend.

use crate::optimize::max_likelihood;
use crate::FitError;
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

/// Fit on `(x, m)` pairs; customers without repeat purchases or with no spend are left out.
pub fn fit(data: &[(f64, f64)]) -> Result<Fit, FitError> {
    let used: Vec<(f64, f64)> = data
        .iter()
        .copied()
        .filter(|(x, m)| *x > 0.0 && *m > 0.0 && x.is_finite() && m.is_finite())
        .collect();
    if used.is_empty() {
        return Err(FitError::NoData);
    }
    let of = |t: &[f64]| Params {
        p: t[0].exp(),
        q: t[1].exp(),
        gamma: t[2].exp(),
    };
    let (params, log_likelihood, iterations) =
        max_likelihood(3, of, |p| self::log_likelihood(*p, &used))?;
    Ok(Fit {
        params,
        log_likelihood,
        iterations,
    })
}
