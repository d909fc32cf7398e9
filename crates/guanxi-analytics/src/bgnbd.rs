//! BG/NBD (beta-geometric / negative binomial distribution, Fader, Hardie and Lee 2005): while
//! alive, a customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out
//! with probability p ~ Beta(a, b). Fitted by maximising the likelihood of each customer's
//! (x, t_x, T) (equation 6 of the paper) over ln r, ln α, ln a, ln b, so the parameters stay
//! positive.

use crate::optimize::max_likelihood;
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

/// The probability that a customer with this history is still alive at `T` (equation 11 of the
/// paper): 1 without repeat purchases (dropping out happens only after one).
pub fn probability_alive(p: Params, h: Summary) -> f64 {
    if h.x == 0.0 {
        return 1.0;
    }
    let Params { r, alpha, a, b } = p;
    let odds = (a / (b + h.x - 1.0)) * ((alpha + h.t) / (alpha + h.t_x)).powf(r + h.x);
    1.0 / (1.0 + odds)
}

/// Expected purchases in the next `t` periods of a customer with this history (equation 10 of
/// the paper). `None` where the formula has no value (a = 1, or a + b + x ≤ 1).
pub fn expected_purchases(p: Params, h: Summary, t: f64) -> Option<f64> {
    let Params { r, alpha, a, b } = p;
    let x = h.x;
    let c = a + b + x - 1.0;
    if (a - 1.0).abs() < 1e-12 || c <= 0.0 || t < 0.0 {
        return None;
    }
    let z = t / (alpha + h.t + t);
    let hyp = crate::special::ln_hyp2f1(r + x, b + x, c, z).exp();
    let ratio = ((alpha + h.t) / (alpha + h.t + t)).powf(r + x);
    let numerator = c / (a - 1.0) * (1.0 - ratio * hyp);
    let denominator = if x > 0.0 {
        1.0 + (a / (b + x - 1.0)) * ((alpha + h.t) / (alpha + h.t_x)).powf(r + x)
    } else {
        1.0
    };
    Some(numerator / denominator)
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
    let (params, log_likelihood, iterations) =
        max_likelihood(4, of, |p| self::log_likelihood(*p, data))?;
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

    const CDNOW: Params = Params {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };

    #[test]
    fn alive_and_expected_purchases_behave() {
        let h = |x: f64, t_x: f64| Summary { x, t_x, t: 38.86 };
        assert_eq!(probability_alive(CDNOW, h(0.0, 0.0)), 1.0);
        // The longer ago the last of the same number of purchases, the likelier gone.
        let recent = probability_alive(CDNOW, h(4.0, 37.0));
        let old = probability_alive(CDNOW, h(4.0, 10.0));
        assert!(recent > old && old > 0.0 && recent < 1.0, "{recent} {old}");
        // More time, more purchases; none in no time.
        let e = |t| expected_purchases(CDNOW, h(4.0, 37.0), t).expect("value");
        assert!(e(0.0).abs() < 1e-12);
        assert!(e(10.0) < e(39.0) && e(39.0) < e(78.0));
        // A frequent, recent buyer is expected to buy more than a lapsed one.
        let lapsed = expected_purchases(CDNOW, h(4.0, 5.0), 39.0).expect("value");
        assert!(lapsed < e(39.0));
        assert_eq!(
            expected_purchases(Params { a: 1.0, ..CDNOW }, h(1.0, 3.0), 39.0),
            None
        );
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
