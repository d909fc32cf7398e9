//! Gamma-Gamma on spend data shaped like the demo shop's (a few cheap items bought often, a
//! phone now and then): prints the fit, its iterations and its time. Usage:
//! `cargo run --release -p guanxi-analytics --example gg_spend -- [customers]`.

use guanxi_analytics::gamma_gamma;
use rand::distributions::{Distribution, WeightedIndex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::Gamma;
use std::time::Instant;

/// Price in yuan and weight, as the demo catalogue.
const PRODUCTS: &[(f64, u32)] = &[
    (100.0, 30),
    (30.0, 25),
    (59.0, 20),
    (129.0, 10),
    (80.0, 5),
    (980.0, 4),
    (299.0, 3),
    (199.0, 3),
    (328.0, 3),
    (1580.0, 2),
    (2599.0, 1),
    (3999.0, 1),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(500_000);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let weights = WeightedIndex::new(PRODUCTS.iter().map(|p| p.1))?;
    let mood = Gamma::new(3.0, 1.0 / 3.0)?;
    let mut data = Vec::with_capacity(n);
    for _ in 0..n {
        let appetite: f64 = mood.sample(&mut rng);
        let repeat = 1 + (rng.gen::<f64>().ln() / 0.75_f64.ln()) as u32;
        let mut sum = 0.0;
        for _ in 0..repeat {
            for _ in 0..rng.gen_range(1..=3) {
                let qty = (appetite * rng.gen_range(0.6..1.6)).round().clamp(1.0, 5.0);
                sum += PRODUCTS[weights.sample(&mut rng)].0 * qty;
            }
        }
        let scale: f64 = std::env::var("GG_SCALE")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1.0);
        data.push((f64::from(repeat), scale * sum / f64::from(repeat)));
    }
    let t = Instant::now();
    let fit = gamma_gamma::fit(&data)?;
    println!(
        "{n} customers: p {:.4} q {:.4} γ {:.2} ll {:.1} in {} iterations, {:.2} s",
        fit.params.p,
        fit.params.q,
        fit.params.gamma,
        fit.log_likelihood,
        fit.iterations,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
