//! Nelder–Mead minimisation (the simplex method of Nelder and Mead, 1965) with the standard
//! coefficients, for the handful of parameters of a customer model.

/// Minimise `f` from `start`; returns the best point, its value and the iterations used, or
/// `None` when `max_iter` ran out before the simplex shrank below `tol`.
pub fn nelder_mead<F: Fn(&[f64]) -> f64>(
    f: F,
    start: &[f64],
    step: f64,
    tol: f64,
    max_iter: usize,
) -> Option<(Vec<f64>, f64, usize)> {
    let n = start.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((start.to_vec(), f(start)));
    for i in 0..n {
        let mut p = start.to_vec();
        p[i] += step;
        let v = f(&p);
        simplex.push((p, v));
    }
    let value = |v: f64| if v.is_nan() { f64::INFINITY } else { v };
    for iter in 0..max_iter {
        simplex.sort_by(|a, b| value(a.1).total_cmp(&value(b.1)));
        let (best, worst) = (value(simplex[0].1), value(simplex[n].1));
        let spread = simplex
            .iter()
            .flat_map(|(p, _)| p.iter().zip(&simplex[0].0).map(|(a, b)| (a - b).abs()))
            .fold(0.0_f64, f64::max);
        if (worst - best).abs() <= tol * (1.0 + best.abs()) && spread <= tol.sqrt() {
            return Some((simplex[0].0.clone(), simplex[0].1, iter));
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|(p, _)| p[j]).sum::<f64>() / n as f64)
            .collect();
        let towards = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&simplex[n].0)
                .map(|(c, w)| c + t * (w - c))
                .collect()
        };
        let reflected = towards(-1.0);
        let fr = value(f(&reflected));
        if fr < best {
            let expanded = towards(-2.0);
            let fe = value(f(&expanded));
            simplex[n] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < value(simplex[n - 1].1) {
            simplex[n] = (reflected, fr);
        } else {
            let contracted = if fr < worst {
                towards(-0.5)
            } else {
                towards(0.5)
            };
            let fc = value(f(&contracted));
            if fc < worst.min(fr) {
                simplex[n] = (contracted, fc);
            } else {
                let b = simplex[0].0.clone();
                for (p, v) in simplex.iter_mut().skip(1) {
                    for (x, y) in p.iter_mut().zip(&b) {
                        *x = y + 0.5 * (*x - y);
                    }
                    *v = f(p);
                }
            }
        }
    }
    None
}

/// [`nelder_mead`], restarted from its answer with a smaller simplex until the value stops
/// improving (a single run can stop on a flat ridge, a little short of the optimum).
pub fn minimise<F: Fn(&[f64]) -> f64>(
    f: F,
    start: &[f64],
    max_iter: usize,
) -> Option<(Vec<f64>, f64, usize)> {
    let (mut best, mut value, mut iterations) = nelder_mead(&f, start, 0.5, 1e-12, max_iter)?;
    for step in [0.05, 0.01, 0.002] {
        let (p, v, n) = nelder_mead(&f, &best, step, 1e-15, max_iter)?;
        iterations += n;
        if v < value {
            best = p;
            value = v;
        }
    }
    Some((best, value, iterations))
}

/// Maximum likelihood over `n` positive parameters: `log_likelihood` is maximised over their
/// logarithms (so they stay positive) from all ones. Returns the parameters as `of` builds them,
/// the log-likelihood reached and the iterations used.
pub fn max_likelihood<P, O, L>(
    n: usize,
    of: O,
    log_likelihood: L,
) -> Result<(P, f64, usize), crate::FitError>
where
    O: Fn(&[f64]) -> P,
    L: Fn(&P) -> f64,
{
    const ITERATIONS: usize = 20_000;
    let negative = |t: &[f64]| {
        let ll = log_likelihood(&of(t));
        if ll.is_finite() {
            -ll
        } else {
            f64::INFINITY
        }
    };
    let (best, value, iterations) =
        minimise(negative, &vec![0.0; n], ITERATIONS).ok_or(crate::FitError::NotConverged {
            iterations: ITERATIONS,
        })?;
    Ok((of(&best), -value, iterations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_rosenbrock() {
        let f = |p: &[f64]| (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2);
        let (p, v, _) = nelder_mead(f, &[-1.2, 1.0], 0.5, 1e-14, 20_000).expect("converges");
        assert!(
            (p[0] - 1.0).abs() < 1e-4 && (p[1] - 1.0).abs() < 1e-4,
            "{p:?}"
        );
        assert!(v < 1e-8);
    }
}
