//! BG/NBD (beta-geometric / negative binomial distribution, Fader, Hardie and Lee 2005): while
//! alive, a customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out
//! with probability p ~ Beta(a, b). Fitted by maximising the likelihood of each customer's
//! (x, t_x, T) (equation 6 of the paper) over ln r, ln α, ln a, ln b, so the parameters stay
//! positive.

use crate::optimize::minimise;
use crate::{check, FitError, Summary};
use libm::lgamma;

/// The four parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// A fitted model: its parameters and the log-likelihood they reach.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    pub params: Params,
    pub log_likelihood: f64,
    pub iterations: usize,
}

/// ln(e^x + e^y) without overflow.
fn log_add(x: f64, y: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        return y;
    }
    let m = x.max(y);
    m + ((x - m).exp() + (y - m).exp()).ln()
}

/// The log-likelihood of one customer's history.
pub fn customer_log_likelihood(p: Params, s: Summary) -> f64 {
    let Params { r, alpha, a, b } = p;
    let x = s.x;
    let a1 = lgamma(r + x) - lgamma(r) + r * alpha.ln();
    let a2 = lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x);
    let a3 = -(r + x) * (alpha + s.t).ln();
    let a4 = if x > 0.0 {
        a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + s.t_x).ln()
    } else {
        f64::NEG_INFINITY
    };
    a1 + a2 + log_add(a3, a4)
}

/// The log-likelihood of all customers' histories.
pub fn log_likelihood(p: Params, data: &[Summary]) -> f64 {
    data.iter().map(|s| customer_log_likelihood(p, *s)).sum()
}

/// Fit by maximum likelihood, starting from r = α = a = b = 1.
pub fn fit(data: &[Summary]) -> Result<Fit, FitError> {
    check(data)?;
    let of = |t: &[f64]| Params {
        r: t[0].exp(),
        alpha: t[1].exp(),
        a: t[2].exp(),
        b: t[3].exp(),
    };
    let negative = |t: &[f64]| {
        let ll = log_likelihood(of(t), data);
        if ll.is_finite() {
            -ll
        } else {
            f64::INFINITY
        }
    };
    let (best, value, iterations) = minimise(negative, &[0.0; 4], 20_000)
        .ok_or(FitError::NotConverged { iterations: 20_000 })?;
    Ok(Fit {
        params: of(&best),
        log_likelihood: -value,
        iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_without_repeat_purchases_is_only_the_first_term() {
        let p = Params {
            r: 0.5,
            alpha: 2.0,
            a: 1.0,
            b: 3.0,
        };
        let s = Summary {
            x: 0.0,
            t_x: 0.0,
            t: 10.0,
        };
        // x = 0: the likelihood is (α/(α+T))^r.
        let want = 0.5 * (2.0_f64 / 12.0).ln();
        assert!((customer_log_likelihood(p, s) - want).abs() < 1e-12);
    }

    #[test]
    fn bad_histories_are_refused() {
        let bad = [Summary {
            x: 2.0,
            t_x: 5.0,
            t: 4.0,
        }];
        assert_eq!(fit(&bad), Err(FitError::BadSummary { index: 0 }));
        assert_eq!(fit(&[]), Err(FitError::NoData));
    }
}
