//! The published BG/NBD fit of the CDNOW sample (Fader, Hardie and Lee 2005, 2,357 customers,
//! weeks): r = 0.243, α = 4.414, a = 0.793, b = 2.426, log-likelihood −9582.4. The data file
//! is `cdnow_customers_summary.csv` from the datasets of the `lifetimes` package (MIT).

use guanxi_analytics::{bgnbd, Summary};

fn cdnow() -> Vec<Summary> {
    let text = include_str!("data/cdnow_customers_summary.csv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<f64> = l
                .split(',')
                .skip(1)
                .map(|v| v.trim().parse().expect("number"))
                .collect();
            Summary {
                x: f[0],
                t_x: f[1],
                t: f[2],
            }
        })
        .collect()
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
