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

/// BFGS (Broyden, Fletcher, Goldfarb, Shanno) with a backtracking line search, for a smooth
/// `f` that also gives its gradient: far fewer evaluations than the simplex when each one is a
/// pass over a million customers. Stops when the largest gradient component is under `gtol`;
/// `None` when the search stalls first (the caller then falls back to the simplex).
pub fn bfgs<F: Fn(&[f64]) -> (f64, Vec<f64>)>(
    f: F,
    start: &[f64],
    gtol: f64,
    max_iter: usize,
) -> Option<(Vec<f64>, f64, usize)> {
    let n = start.len();
    let mut x = start.to_vec();
    let (mut fx, mut g) = f(&x);
    if !fx.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return None;
    }
    // The inverse Hessian estimate, row-major.
    let mut h = identity(n);
    for iter in 0..max_iter {
        if g.iter().fold(0.0_f64, |m, v| m.max(v.abs())) < gtol {
            return Some((x, fx, iter));
        }
        let mut d: Vec<f64> = (0..n)
            .map(|i| -(0..n).map(|j| h[i * n + j] * g[j]).sum::<f64>())
            .collect();
        let mut slope: f64 = d.iter().zip(&g).map(|(a, b)| a * b).sum();
        if slope >= 0.0 {
            // Not a descent direction: start again from steepest descent.
            h = identity(n);
            d = g.iter().map(|v| -v).collect();
            slope = -g.iter().map(|v| v * v).sum::<f64>();
        }
        // Backtrack until the Armijo condition holds; keep steps of at most 1 in log space.
        // Near the optimum the decrease falls below the rounding of `f` (a mean over a
        // million customers): a step that leaves `f` equal to rounding and shrinks the
        // gradient is taken too, so that the gradient, not the value, decides convergence.
        let longest = d.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let mut step = if longest > 1.0 { 1.0 / longest } else { 1.0 };
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
        let mut accepted = None;
        for _ in 0..60 {
            let trial: Vec<f64> = x.iter().zip(&d).map(|(a, b)| a + step * b).collect();
            let (ft, gt) = f(&trial);
            let finite = ft.is_finite() && gt.iter().all(|v| v.is_finite());
            let armijo = ft <= fx + 1e-4 * step * slope;
            let flat = (ft - fx).abs() <= 1e-13 * fx.abs().max(1.0) && norm(&gt) < norm(&g);
            if finite && (armijo || flat) {
                accepted = Some((trial, ft, gt));
                break;
            }
            step *= 0.5;
        }
        let Some((next, fnext, gnext)) = accepted else {
            // No step helps: converged to the precision of `f` if the gradient is small.
            let small = g.iter().fold(0.0_f64, |m, v| m.max(v.abs())) < gtol.sqrt();
            return small.then_some((x, fx, iter));
        };
        let s: Vec<f64> = next.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = gnext.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
        let improved = fx - fnext;
        x = next;
        fx = fnext;
        g = gnext;
        if sy > 1e-300 {
            // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
            let rho = 1.0 / sy;
            let hy: Vec<f64> = (0..n)
                .map(|i| (0..n).map(|j| h[i * n + j] * y[j]).sum())
                .collect();
            let yhy: f64 = y.iter().zip(&hy).map(|(a, b)| a * b).sum();
            for i in 0..n {
                for j in 0..n {
                    h[i * n + j] += -rho * (hy[i] * s[j] + s[i] * hy[j])
                        + (rho * rho * yhy + rho) * s[i] * s[j];
                }
            }
        }
        if improved.abs() <= 1e-16 * (1.0 + fx.abs()) && step < 1e-12 {
            let small = g.iter().fold(0.0_f64, |m, v| m.max(v.abs())) < gtol.sqrt();
            return small.then_some((x, fx, iter));
        }
    }
    None
}

/// Above this many customers a fit starts from the fit of a sample of this size.
const SAMPLE: usize = 100_000;

/// A starting point for a fit over `data`: all zeros (every parameter 1) for small data; for
/// large data, where `fit` of an evenly spread sample lands (zeros when that fails).
pub fn warm_start<T: Copy>(
    data: &[T],
    n: usize,
    fit: impl FnOnce(&[T]) -> Option<(Vec<f64>, f64, usize)>,
) -> Vec<f64> {
    if data.len() <= 2 * SAMPLE {
        return vec![0.0; n];
    }
    let sample: Vec<T> = data.iter().step_by(data.len() / SAMPLE).copied().collect();
    fit(&sample).map_or_else(|| vec![0.0; n], |(t, _, _)| t)
}

fn identity(n: usize) -> Vec<f64> {
    (0..n * n)
        .map(|k| if k / n == k % n { 1.0 } else { 0.0 })
        .collect()
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

    #[test]
    fn bfgs_finds_the_minimum_of_rosenbrock_with_its_gradient() {
        let f = |p: &[f64]| {
            let (x, y) = (p[0], p[1]);
            let v = (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
            let g = vec![
                -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
                200.0 * (y - x * x),
            ];
            (v, g)
        };
        let (p, v, _) = bfgs(f, &[-1.2, 1.0], 1e-10, 1000).expect("converges");
        assert!(
            (p[0] - 1.0).abs() < 1e-6 && (p[1] - 1.0).abs() < 1e-6,
            "{p:?}"
        );
        assert!(v < 1e-12);
    }
}
