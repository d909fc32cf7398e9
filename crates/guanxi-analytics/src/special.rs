//! Special functions the models need.

/// ln ₂F₁(a, b; c; z) for 0 ≤ z < 1 and positive a, b, c, by its series (all terms positive).
pub fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let (mut term, mut sum) = (1.0_f64, 1.0_f64);
    for k in 0..100_000 {
        let k = f64::from(k);
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term < sum * 1e-15 {
            break;
        }
    }
    sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_series_matches_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z) / z.
        for z in [0.1_f64, 0.5, 0.9] {
            let want = (-(1.0 - z).ln() / z).ln();
            assert!((ln_hyp2f1(1.0, 1.0, 2.0, z) - want).abs() < 1e-10, "{z}");
        }
        assert_eq!(ln_hyp2f1(3.0, 2.0, 4.0, 0.0), 0.0);
    }
}
