//! BG/NBD (beta-geometric / negative binomial distribution, Fader, Hardie and Lee 2005): while
//! alive, a customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out
//! with probability p ~ Beta(a, b). Fitted by maximising the likelihood of each customer's
//! (x, t_x, T) (equation 6 of the paper) over ln r, ln α, ln a, ln b, so the parameters stay
//! positive.

use crate::optimize::{bfgs, max_likelihood};
use crate::special::digamma;
use crate::{check, par, FitError, Summary};
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

/// Expected purchases of a customer with this history in the next `t` periods for each `t` of
/// `horizons` (non-negative), written to `out`: equation 10 evaluated for all horizons at once.
/// `false` (and `out` untouched) where the formula has no value (a = 1, or a + b + x ≤ 1).
pub fn expected_purchases_many(p: Params, h: Summary, horizons: &[f64], out: &mut [f64]) -> bool {
    if !expected_numerators(p, h.x, h.t, horizons, out) {
        return false;
    }
    let d = expected_denominator(p, h);
    for v in out.iter_mut().take(horizons.len()) {
        *v /= d;
    }
    true
}

/// The numerator of equation 10 for each horizon. It depends on the history only through `x`
/// and `T`, so customers who share them share it (the scoring run computes it once per pair).
/// The hypergeometric series has the same coefficients for every horizon: they are computed
/// once and summed against each horizon's power of z.
pub fn expected_numerators(p: Params, x: f64, t: f64, horizons: &[f64], out: &mut [f64]) -> bool {
    let Params { r, alpha, a, b } = p;
    let c = a + b + x - 1.0;
    if (a - 1.0).abs() < 1e-12 || c <= 0.0 || horizons.iter().any(|t| t.is_nan() || *t < 0.0) {
        return false;
    }
    let n = horizons.len().min(out.len()).min(MANY);
    let mut z = [0.0_f64; MANY];
    let mut power = [1.0_f64; MANY];
    let mut sum = [1.0_f64; MANY];
    for j in 0..n {
        z[j] = horizons[j] / (alpha + t + horizons[j]);
    }
    let z_max = z[..n].iter().fold(0.0_f64, |m, v| m.max(*v));
    let (ra, rb) = (r + x, b + x);
    let mut coef = 1.0_f64;
    for k in 0..100_000 {
        let k = f64::from(k);
        coef *= (ra + k) * (rb + k) / ((c + k) * (k + 1.0));
        let mut largest = 0.0_f64;
        for j in 0..n {
            power[j] *= z[j];
            let term = coef * power[j];
            sum[j] += term;
            largest = largest.max(term / sum[j]);
        }
        // Every series has converged once the slowest (largest z) has.
        if largest < 1e-15 || z_max == 0.0 {
            break;
        }
    }
    for j in 0..n {
        let ratio = ((alpha + t) / (alpha + t + horizons[j])).powf(r + x);
        out[j] = c / (a - 1.0) * (1.0 - ratio * sum[j]);
    }
    true
}

/// The denominator of equation 10: 1 for a customer without repeat purchases.
pub fn expected_denominator(p: Params, h: Summary) -> f64 {
    let Params { r, alpha, a, b } = p;
    if h.x > 0.0 {
        1.0 + (a / (b + h.x - 1.0)) * ((alpha + h.t) / (alpha + h.t_x)).powf(r + h.x)
    } else {
        1.0
    }
}

/// Most horizons [`expected_purchases_many`] takes at once.
pub const MANY: usize = 64;

/// The part of a customer's log-likelihood that depends on `x` alone (the ratios of Γ
/// functions), with its derivatives in r, a and b.
#[derive(Clone, Copy, Debug)]
struct XTerms {
    c: f64,
    dr: f64,
    da: f64,
    db: f64,
    /// ln(b + x − 1) and its reciprocal (for x ≥ 1).
    ln_b1: f64,
    inv_b1: f64,
}

fn x_terms(p: Params, x: f64) -> XTerms {
    let Params { r, a, b, .. } = p;
    XTerms {
        c: lgamma(r + x) - lgamma(r) + lgamma(a + b) + lgamma(b + x)
            - lgamma(b)
            - lgamma(a + b + x),
        dr: digamma(r + x) - digamma(r),
        da: digamma(a + b) - digamma(a + b + x),
        db: digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x),
        ln_b1: (b + x - 1.0).ln(),
        inv_b1: 1.0 / (b + x - 1.0),
    }
}

/// Repeat purchases up to which the Γ terms are tabulated once per evaluation.
const TABLE: f64 = 100_000.0;

/// The log-likelihood of all histories and its gradient in (r, α, a, b), computed across the
/// cores. The Γ-function terms depend on x only, so they are tabulated once per evaluation
/// for whole x: a customer then costs three logarithms and an exponential.
pub fn log_likelihood_gradient(p: Params, data: &[Summary]) -> (f64, [f64; 4]) {
    let whole = data.iter().all(|s| s.x.fract() == 0.0 && s.x <= TABLE);
    let table: Vec<XTerms> = if whole {
        let top = data.iter().fold(0.0_f64, |m, s| m.max(s.x)) as usize;
        (0..=top).map(|x| x_terms(p, x as f64)).collect()
    } else {
        Vec::new()
    };
    let Params { r, alpha, a, .. } = p;
    // Times in whole days (as the scoring run gives them) take ln(α + t) and 1/(α + t) from a
    // table of every day, built once per evaluation.
    let days = data
        .iter()
        .all(|s| s.t.fract() == 0.0 && s.t_x.fract() == 0.0 && s.t <= TABLE);
    let (ln_at, inv_at): (Vec<f64>, Vec<f64>) = if days {
        let top = data.iter().fold(0.0_f64, |m, s| m.max(s.t)) as usize;
        (0..=top)
            .map(|k| {
                let v = alpha + k as f64;
                (v.ln(), 1.0 / v)
            })
            .unzip()
    } else {
        (Vec::new(), Vec::new())
    };
    let at = |t: f64| -> (f64, f64) {
        if days {
            let k = t as usize;
            if let (Some(l), Some(i)) = (ln_at.get(k), inv_at.get(k)) {
                return (*l, *i);
            }
        }
        let v = alpha + t;
        (v.ln(), 1.0 / v)
    };
    let ln_alpha = alpha.ln();
    let ln_a = a.ln();
    let parts = par::chunks(data, |chunk| {
        let mut ll = 0.0;
        let mut g = [0.0; 4];
        for s in chunk {
            let x = s.x;
            let k = table
                .get(x as usize)
                .copied()
                .filter(|_| whole)
                .unwrap_or_else(|| x_terms(p, x));
            let (l_t, inv_t) = at(s.t);
            let base = k.c + r * ln_alpha - (r + x) * l_t;
            ll += base;
            g[0] += k.dr + ln_alpha - l_t;
            g[1] += r / alpha - (r + x) * inv_t;
            g[2] += k.da;
            g[3] += k.db;
            if x > 0.0 {
                let (l_tx, inv_tx) = at(s.t_x);
                let e = ln_a - k.ln_b1 + (r + x) * (l_t - l_tx);
                // ln(1 + eᴱ) and its derivative in E, without overflow.
                let (soft, w) = if e > 0.0 {
                    let q = (-e).exp();
                    (e + q.ln_1p(), 1.0 / (1.0 + q))
                } else {
                    let q = e.exp();
                    (q.ln_1p(), q / (1.0 + q))
                };
                ll += soft;
                g[0] += w * (l_t - l_tx);
                g[1] += w * (r + x) * (inv_t - inv_tx);
                g[2] += w / a;
                g[3] -= w * k.inv_b1;
            }
        }
        (ll, g)
    });
    parts.into_iter().fold((0.0, [0.0; 4]), |(ll, g), (l, h)| {
        (ll + l, [g[0] + h[0], g[1] + h[1], g[2] + h[2], g[3] + h[3]])
    })
}

fn of(t: &[f64]) -> Params {
    Params {
        r: t[0].exp(),
        alpha: t[1].exp(),
        a: t[2].exp(),
        b: t[3].exp(),
    }
}

/// The mean negative log-likelihood over the logarithms of the parameters, with its gradient.
fn objective(data: &[Summary]) -> impl Fn(&[f64]) -> (f64, Vec<f64>) + '_ {
    let n = data.len() as f64;
    move |t: &[f64]| {
        let p = of(t);
        let (ll, g) = log_likelihood_gradient(p, data);
        let scale = [p.r, p.alpha, p.a, p.b];
        (-ll / n, (0..4).map(|i| -g[i] * scale[i] / n).collect())
    }
}

/// Fit by maximum likelihood from r = α = a = b = 1: quasi-Newton (BFGS) on the mean
/// log-likelihood over the logarithms of the parameters with the exact gradient, falling back
/// to the simplex when the line search stalls.
pub fn fit(data: &[Summary]) -> Result<Fit, FitError> {
    check(data)?;
    // A large population starts from the fit of an evenly spread sample: the full data then
    // needs only the last few steps.
    let start = crate::optimize::warm_start(data, 4, |sample| {
        bfgs(objective(sample), &[0.0; 4], 1e-8, 2_000)
    });
    if let Some((t, value, iterations)) = bfgs(objective(data), &start, 1e-9, 2_000) {
        return Ok(Fit {
            params: of(&t),
            log_likelihood: -value * data.len() as f64,
            iterations,
        });
    }
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
    fn the_gradient_is_the_slope_of_the_likelihood() {
        let data: Vec<Summary> = (0..200)
            .map(|i| {
                let x = f64::from(i % 7);
                let t = 20.0 + f64::from(i % 13);
                let t_x = if x > 0.0 {
                    t * f64::from(i % 5) / 5.0
                } else {
                    0.0
                };
                Summary { x, t_x, t }
            })
            .collect();
        // Whole days take the tabulated path, fractions the direct one: both are checked.
        let days: Vec<Summary> = data
            .iter()
            .map(|s| Summary {
                t_x: s.t_x.round(),
                ..*s
            })
            .collect();
        for data in [data, days] {
            slope_matches(&data);
        }
    }

    fn slope_matches(data: &[Summary]) {
        let (ll, g) = log_likelihood_gradient(CDNOW, data);
        assert!((ll - log_likelihood(CDNOW, data)).abs() < 1e-9 * ll.abs());
        let bump = |i: usize, h: f64| {
            let mut v = [CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b];
            v[i] += h;
            log_likelihood(
                Params {
                    r: v[0],
                    alpha: v[1],
                    a: v[2],
                    b: v[3],
                },
                data,
            )
        };
        for (i, gi) in g.iter().enumerate() {
            let h = 1e-6;
            let numeric = (bump(i, h) - bump(i, -h)) / (2.0 * h);
            assert!(
                (gi - numeric).abs() < 1e-5 * (1.0 + numeric.abs()),
                "{i}: {gi} vs {numeric}"
            );
        }
    }

    #[test]
    fn many_horizons_at_once_agree_with_one_at_a_time() {
        let ts = [0.0, 1.0, 13.0, 39.0, 52.0, 104.0, 520.0];
        for (x, t_x, t) in [
            (0.0, 0.0, 38.86),
            (4.0, 37.0, 38.86),
            (2.0, 5.0, 60.0),
            (30.0, 1.0, 2.0),
        ] {
            let h = Summary { x, t_x, t };
            let mut out = [f64::NAN; 7];
            assert!(expected_purchases_many(CDNOW, h, &ts, &mut out));
            for (t, got) in ts.iter().zip(out) {
                let one = expected_purchases(CDNOW, h, *t).expect("value");
                assert!(
                    (got - one).abs() < 1e-9 * (1.0 + one.abs()),
                    "{x} {t}: {got} vs {one}"
                );
            }
        }
        let mut out = [0.0; 1];
        assert!(!expected_purchases_many(
            Params { a: 1.0, ..CDNOW },
            Summary {
                x: 1.0,
                t_x: 1.0,
                t: 2.0
            },
            &[5.0],
            &mut out
        ));
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
