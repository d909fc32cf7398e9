//! Customer value models for Guanxi (关系), the mining centre (挖掘中心) of the decision-support
//! module: pure, synchronous numerics over per-customer purchase summaries.
//!
//! So far, fitted by maximum likelihood and reproducing the published CDNOW parameters (see the
//! tests): the BG/NBD model of Fader, Hardie and Lee (2005), "Counting your customers the easy
//! way" ([`bgnbd::fit`]); the Pareto/NBD model ([`pareto::fit`]); the Gamma-Gamma spend model
//! ([`gamma_gamma::fit`]); BG/NBD predictions (probability alive, expected purchases); RFM
//! quintile scores with a deterministic tie rule and named segments ([`rfm`]); lifetime value
//! over a horizon with a discount rate, ABC tiers, the Lorenz curve and Gini ([`value`]). The
//! warehouse and the write-back follow (issue 7).

pub mod bgnbd;
pub mod gamma_gamma;
mod optimize;
mod par;
pub mod pareto;
pub mod pipeline;
pub mod rfm;
pub mod simulate;
mod special;
pub mod value;

/// One customer's purchase history, summarised: `x` repeat purchases, the last at `t_x` and the
/// end of observation at `t`, both counted from the first purchase (any time unit, the same
/// for all customers).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub x: f64,
    pub t_x: f64,
    pub t: f64,
}

/// Why a model could not be fitted.
#[derive(Clone, Debug, PartialEq)]
pub enum FitError {
    /// No customer, or none with the history a model needs.
    NoData,
    /// A summary that cannot be a purchase history (negative, `t_x > t`, not finite).
    BadSummary { index: usize },
    /// The optimiser stopped without converging.
    NotConverged { iterations: usize },
    /// Nobody has bought twice: the purchase and spend models learn from repeat purchases.
    NoRepeat,
    /// The fit ran off to parameters that describe no buying (vanishing or exploding).
    Degenerate,
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoData => f.write_str("no purchase histories to fit"),
            Self::BadSummary { index } => write!(f, "summary {index} is not a purchase history"),
            Self::NotConverged { iterations } => {
                write!(f, "the fit did not converge in {iterations} iterations")
            }
            Self::NoRepeat => f.write_str("no customer has bought twice yet"),
            Self::Degenerate => {
                f.write_str("the fit ran off to parameters that describe no buying")
            }
        }
    }
}

impl std::error::Error for FitError {}

/// Check summaries before fitting.
pub(crate) fn check(data: &[Summary]) -> Result<(), FitError> {
    if data.is_empty() {
        return Err(FitError::NoData);
    }
    for (index, s) in data.iter().enumerate() {
        let ok = s.x.is_finite()
            && s.t_x.is_finite()
            && s.t.is_finite()
            && s.x >= 0.0
            && s.t_x >= 0.0
            && s.t_x <= s.t
            && s.t > 0.0
            && (s.x > 0.0 || s.t_x == 0.0);
        if !ok {
            return Err(FitError::BadSummary { index });
        }
    }
    Ok(())
}
