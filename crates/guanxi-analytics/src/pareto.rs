//! Pareto/NBD (Schmittlein, Morrison and Colombo 1987): while alive a customer buys at a Poisson
//! rate λ ~ Gamma(r, α) and dies after an exponential lifetime with rate μ ~ Gamma(s, β). The
//! likelihood of (x, t_x, T) is equation (22) of Fader and Hardie's note "A Note on Deriving the
//! Pareto/NBD Model and Related Expressions" (2005), with the Gaussian hypergeometric function
//! summed as a series; fitted over the logarithms of the four parameters.

use crate::optimize::max_likelihood;
use crate::special::ln_hyp2f1;
use crate::{check, FitError, Summary};
use libm::lgamma;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    pub r: f64,
    pub alpha: f64,
    pub s: f64,
    pub beta: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    pub params: Params,
    pub log_likelihood: f64,
    pub iterations: usize,
}

/// ln(e^x + e^y).
fn log_add(x: f64, y: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        return y;
    }
    let m = x.max(y);
    m + ((x - m).exp() + (y - m).exp()).ln()
}

/// ln(e^x − e^y) for x ≥ y.
fn log_sub(x: f64, y: f64) -> f64 {
    if y == f64::NEG_INFINITY {
        return x;
    }
    x + (-(y - x).exp()).ln_1p()
}

/// The log-likelihood of one customer's history.
pub fn customer_log_likelihood(p: Params, h: Summary) -> f64 {
    let Params { r, alpha, s, beta } = p;
    let (x, t_x, t) = (h.x, h.t_x, h.t);
    let rsx = r + s + x;
    // A0 of the note: the probability mass of dying between t_x and T.
    let (big, b2, at_tx, at_t) = if alpha >= beta {
        (
            alpha,
            s + 1.0,
            (alpha - beta) / (alpha + t_x),
            (alpha - beta) / (alpha + t),
        )
    } else {
        (
            beta,
            r + x,
            (beta - alpha) / (beta + t_x),
            (beta - alpha) / (beta + t),
        )
    };
    let l1 = ln_hyp2f1(rsx, b2, rsx + 1.0, at_tx) - rsx * (big + t_x).ln();
    let l2 = ln_hyp2f1(rsx, b2, rsx + 1.0, at_t) - rsx * (big + t).ln();
    let ln_a0 = if l1 > l2 {
        log_sub(l1, l2)
    } else {
        f64::NEG_INFINITY
    };
    let alive = -(r + x) * (alpha + t).ln() - s * (beta + t).ln();
    let died = (s / rsx).ln() + ln_a0;
    lgamma(r + x) - lgamma(r) + r * alpha.ln() + s * beta.ln() + log_add(died, alive)
}

pub fn log_likelihood(p: Params, data: &[Summary]) -> f64 {
    data.iter().map(|h| customer_log_likelihood(p, *h)).sum()
}

/// Fit by maximum likelihood, starting from r = α = s = β = 1.
pub fn fit(data: &[Summary]) -> Result<Fit, FitError> {
    check(data)?;
    let of = |t: &[f64]| Params {
        r: t[0].exp(),
        alpha: t[1].exp(),
        s: t[2].exp(),
        beta: t[3].exp(),
    };
    let (params, log_likelihood, iterations) =
        max_likelihood(4, of, |p| self::log_likelihood(*p, data))?;
    Ok(Fit {
        params,
        log_likelihood,
        iterations,
    })
}

/// [`fit`] within a time budget: near some parameters the hypergeometric series needs up to
/// 100,000 terms a customer, and the simplex may wander there on awkward data. Past the budget
/// every evaluation gives up at once and the fit reports [`FitError::NotConverged`].
pub fn fit_within(data: &[Summary], budget: std::time::Duration) -> Result<Fit, FitError> {
    check(data)?;
    let started = std::time::Instant::now();
    let over = std::cell::Cell::new(false);
    let of = |t: &[f64]| Params {
        r: t[0].exp(),
        alpha: t[1].exp(),
        s: t[2].exp(),
        beta: t[3].exp(),
    };
    let found = max_likelihood(4, of, |p| {
        if over.get() || started.elapsed() > budget {
            over.set(true);
            return f64::NAN;
        }
        self::log_likelihood(*p, data)
    });
    if over.get() {
        return Err(FitError::NotConverged { iterations: 0 });
    }
    let (params, log_likelihood, iterations) = found?;
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
    fn equal_rates_need_no_series() {
        // With α = β both forms of A0 reduce to the same powers; the likelihood is finite.
        let p = Params {
            r: 0.5,
            alpha: 10.0,
            s: 0.6,
            beta: 10.0,
        };
        let h = Summary {
            x: 3.0,
            t_x: 20.0,
            t: 39.0,
        };
        assert!(customer_log_likelihood(p, h).is_finite());
    }
}
