//! Wire types of decision support: the score filters shared by the customer list and the
//! counts, and the views of runs, counts and a customer's scores.

use super::{at, parse_id, required};
use crate::ApiError;
use guanxi_analytics::pipeline::{Risk, Stage};
use guanxi_core::error::Errors;
use guanxi_core::text;
use guanxi_core::{DomainError, Reason};
use guanxi_store::{
    ScoreChange, ScoreCount, ScoreDim, ScoreFilter, ScoreRun, SegmentDef, StoredScore,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Longest segment code (organisations name their own segments).
const SEGMENT_MAX: usize = 64;

fn one_of(s: &str, allowed: &[&str]) -> Result<String, DomainError> {
    if allowed.contains(&s) {
        Ok(s.to_owned())
    } else {
        Err(DomainError::field(
            "",
            Reason::NotOneOf {
                allowed: allowed.iter().map(|a| (*a).to_owned()).collect(),
            },
        ))
    }
}

fn segment_code(s: &str) -> Result<String, DomainError> {
    let ok = !s.is_empty()
        && s.len() <= SEGMENT_MAX
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(DomainError::field(
            "",
            Reason::Malformed {
                detail: "a segment code: lowercase letters, digits and _".into(),
            },
        ))
    }
}

fn score_1_to_5(s: &str) -> Result<u8, DomainError> {
    let v = parse_id(s)?;
    if (1..=5).contains(&v) {
        Ok(v as u8)
    } else {
        Err(DomainError::field(
            "",
            Reason::OutOfRange { min: 1, max: 5 },
        ))
    }
}

fn fen(s: &str) -> Result<i64, DomainError> {
    let v = parse_id(s)?;
    if v >= 0 {
        Ok(v)
    } else {
        Err(DomainError::field(
            "",
            Reason::OutOfRange {
                min: 0,
                max: i64::MAX,
            },
        ))
    }
}

/// The score parameters of a query string, as sent.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoreParams {
    /// RFM segment code (champions, loyal, at_risk, …).
    pub segment: Option<String>,
    /// Value tier: `A`, `B` or `C`.
    pub tier: Option<String>,
    /// Lifecycle stage: exploration, formation, stability, decline.
    pub stage: Option<String>,
    /// Churn risk: low, medium, high.
    pub risk: Option<String>,
    /// RFM recency score 1–5.
    #[param(value_type = Option<u8>)]
    pub rfm_r: Option<String>,
    /// RFM frequency score 1–5.
    #[param(value_type = Option<u8>)]
    pub rfm_f: Option<String>,
    /// The segment the run before (segment migration).
    pub prev_segment: Option<String>,
    /// Lifetime value at least this many fen.
    #[param(value_type = Option<i64>)]
    pub clv_min: Option<String>,
    /// Lifetime value below this many fen.
    #[param(value_type = Option<i64>)]
    pub clv_below: Option<String>,
    /// The cohort: customers whose first purchase was in this month (`2026-03`).
    pub cohort: Option<String>,
}

fn month(s: &str) -> Result<chrono::NaiveDate, DomainError> {
    chrono::NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").map_err(|_| {
        DomainError::field(
            "",
            Reason::Malformed {
                detail: "a month such as 2026-03".into(),
            },
        )
    })
}

impl ScoreParams {
    /// Parse into a filter, recording each bad parameter under its name.
    pub fn parse_into(self, e: &mut Errors) -> ScoreFilter {
        let stages: Vec<&str> = Stage::ALL.iter().map(|s| s.code()).collect();
        let risks: Vec<&str> = Risk::ALL.iter().map(|s| s.code()).collect();
        let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        ScoreFilter {
            segment: blank(self.segment)
                .and_then(|s| e.take(at(segment_code(s.trim()), "segment"))),
            tier: blank(self.tier)
                .and_then(|s| e.take(at(one_of(s.trim(), &["A", "B", "C"]), "tier"))),
            stage: blank(self.stage).and_then(|s| e.take(at(one_of(s.trim(), &stages), "stage"))),
            risk: blank(self.risk).and_then(|s| e.take(at(one_of(s.trim(), &risks), "risk"))),
            r: blank(self.rfm_r).and_then(|s| e.take(at(score_1_to_5(&s), "rfm_r"))),
            f: blank(self.rfm_f).and_then(|s| e.take(at(score_1_to_5(&s), "rfm_f"))),
            prev_segment: blank(self.prev_segment)
                .and_then(|s| e.take(at(segment_code(s.trim()), "prev_segment"))),
            clv_min: blank(self.clv_min).and_then(|s| e.take(at(fen(&s), "clv_min"))),
            clv_below: blank(self.clv_below).and_then(|s| e.take(at(fen(&s), "clv_below"))),
            cohort: blank(self.cohort).and_then(|s| e.take(at(month(s.trim()), "cohort"))),
        }
    }
}

/// `GET /analysis/counts`: a dimension and optional filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CountsQuery {
    /// segment, tier, stage, risk, rf (the RFM grid), migration, clv (bands).
    pub by: Option<String>,
    pub segment: Option<String>,
    pub tier: Option<String>,
    pub stage: Option<String>,
    pub risk: Option<String>,
    #[param(value_type = Option<u8>)]
    pub rfm_r: Option<String>,
    #[param(value_type = Option<u8>)]
    pub rfm_f: Option<String>,
    pub prev_segment: Option<String>,
    #[param(value_type = Option<i64>)]
    pub clv_min: Option<String>,
    #[param(value_type = Option<i64>)]
    pub clv_below: Option<String>,
    pub cohort: Option<String>,
}

pub const DIMS: [&str; 7] = ["segment", "tier", "stage", "risk", "rf", "migration", "clv"];

impl CountsQuery {
    pub fn parse(self) -> Result<(ScoreDim, ScoreFilter), ApiError> {
        let mut e = Errors::new();
        let by = match self.by.as_deref().map(str::trim) {
            None | Some("") => {
                e.push("by", Reason::Required);
                None
            }
            Some(s) => {
                let d = ScoreDim::parse(s);
                if d.is_none() {
                    e.push(
                        "by",
                        Reason::NotOneOf {
                            allowed: DIMS.iter().map(|d| (*d).to_owned()).collect(),
                        },
                    );
                }
                d
            }
        };
        let filter = ScoreParams {
            segment: self.segment,
            tier: self.tier,
            stage: self.stage,
            risk: self.risk,
            rfm_r: self.rfm_r,
            rfm_f: self.rfm_f,
            prev_segment: self.prev_segment,
            clv_min: self.clv_min,
            clv_below: self.clv_below,
            cohort: self.cohort,
        }
        .parse_into(&mut e);
        e.finish().map_err(ApiError::query)?;
        Ok((by.unwrap_or(ScoreDim::Segment), filter))
    }
}

/// The runs, newest first, and whether one is going now.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunsView {
    pub running: bool,
    #[schema(value_type = Vec<Object>)]
    pub runs: Vec<ScoreRun>,
}

/// Counts of customers per cell.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountsView {
    pub by: String,
    #[schema(value_type = Vec<Object>)]
    pub cells: Vec<ScoreCount>,
}

/// A customer's latest scores (none before their first scored purchase) and their movement.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerScoresView {
    #[schema(value_type = Option<Object>)]
    pub score: Option<StoredScore>,
    #[schema(value_type = Vec<Object>)]
    pub history: Vec<ScoreChange>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_score_parameters_are_each_named() {
        let mut e = Errors::new();
        let f = ScoreParams {
            tier: Some("D".into()),
            stage: Some("growth".into()),
            rfm_r: Some("6".into()),
            segment: Some("DROP TABLE".into()),
            clv_min: Some("-5".into()),
            risk: Some("high".into()),
            ..Default::default()
        }
        .parse_into(&mut e);
        let err = e.finish().expect_err("refused");
        let fields: Vec<String> = err.fields().iter().map(|f| f.field.clone()).collect();
        for name in ["tier", "stage", "rfm_r", "segment", "clv_min"] {
            assert!(fields.contains(&name.to_owned()), "{name} in {fields:?}");
        }
        assert_eq!(f.risk.as_deref(), Some("high"));
        assert!(!fields.contains(&"risk".to_owned()));
    }

    #[test]
    fn empty_parameters_filter_nothing() {
        let mut e = Errors::new();
        let f = ScoreParams {
            tier: Some(" ".into()),
            ..Default::default()
        }
        .parse_into(&mut e);
        assert!(e.finish().is_ok() && f.is_empty());
    }
}

/// Most segments in a map (one per R/F cell at most).
pub const SEGMENTS_MAX: usize = 25;
/// Longest segment name.
const SEGMENT_NAME_MAX: usize = 40;

/// One segment of a map: customers whose R and F scores fall in both ranges.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentBody {
    /// Lowercase letters, digits and `_`; what the list filter `segment=` takes.
    #[schema(value_type = String, example = "champions")]
    pub code: Option<String>,
    #[schema(value_type = String, example = "重要价值客户")]
    pub name_zh: Option<String>,
    #[schema(value_type = String, example = "Champions")]
    pub name_en: Option<String>,
    /// Recency scores, from and to (1–5, inclusive).
    #[schema(value_type = [u8], example = json!([4, 5]))]
    pub r: Option<Vec<i64>>,
    /// Frequency scores, from and to (1–5, inclusive).
    #[schema(value_type = [u8], example = json!([4, 5]))]
    pub f: Option<Vec<i64>>,
}

/// An organisation's RFM segment map, in order: the first segment that holds a customer's
/// scores names them. Every one of the 25 (R, F) cells must fall in some segment.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentMapBody {
    pub segments: Option<Vec<SegmentBody>>,
}

fn score_range(e: &mut Errors, path: &str, v: Option<&Vec<i64>>) -> Option<(u8, u8)> {
    let v = required(e, path, v)?;
    let [lo, hi] = v.as_slice() else {
        e.push(
            path,
            Reason::Malformed {
                detail: "two scores, from and to, such as [4, 5]".into(),
            },
        );
        return None;
    };
    for (i, x) in [lo, hi].into_iter().enumerate() {
        if !(1..=5).contains(x) {
            e.push(
                format!("{path}[{i}]"),
                Reason::OutOfRange { min: 1, max: 5 },
            );
            return None;
        }
    }
    if lo > hi {
        e.push(path, Reason::ReversedRange);
        return None;
    }
    Some((*lo as u8, *hi as u8))
}

impl SegmentMapBody {
    pub fn parse(self) -> Result<Vec<SegmentDef>, DomainError> {
        let mut e = Errors::new();
        let Some(items) = required(&mut e, "segments", self.segments) else {
            e.finish()?;
            return Ok(Vec::new());
        };
        if items.is_empty() {
            e.push("segments", Reason::Empty);
        }
        if items.len() > SEGMENTS_MAX {
            e.push("segments", Reason::TooMany { max: SEGMENTS_MAX });
        }
        let mut out = Vec::new();
        for (i, b) in items.into_iter().enumerate() {
            let path = format!("segments[{i}]");
            let code = required(&mut e, &format!("{path}.code"), b.code.as_deref())
                .and_then(|c| e.take(at(segment_code(c.trim()), &format!("{path}.code"))));
            if let Some(c) = &code {
                if out.iter().any(|s: &SegmentDef| &s.code == c) {
                    e.push(format!("{path}.code"), Reason::Conflict);
                }
            }
            let mut name = |field: &str, v: Option<&str>| {
                let p = format!("{path}.{field}");
                required(&mut e, &p, v)
                    .and_then(|n| e.take(at(text::line(n, SEGMENT_NAME_MAX), &p)))
            };
            let name_zh = name("name_zh", b.name_zh.as_deref());
            let name_en = name("name_en", b.name_en.as_deref());
            let r = score_range(&mut e, &format!("{path}.r"), b.r.as_ref());
            let f = score_range(&mut e, &format!("{path}.f"), b.f.as_ref());
            if let (Some(code), Some(name_zh), Some(name_en), Some(r), Some(f)) =
                (code, name_zh, name_en, r, f)
            {
                out.push(SegmentDef {
                    code,
                    name_zh,
                    name_en,
                    r,
                    f,
                });
            }
        }
        if e.is_empty() {
            // Every cell must fall in a segment: report the first one left out.
            'cells: for r in (1..=5).rev() {
                for f in (1..=5).rev() {
                    let held = out
                        .iter()
                        .any(|s| (s.r.0..=s.r.1).contains(&r) && (s.f.0..=s.f.1).contains(&f));
                    if !held {
                        e.push("segments", Reason::RfmCellUncovered { r, f });
                        break 'cells;
                    }
                }
            }
        }
        e.finish()?;
        Ok(out)
    }
}

/// The organisation's segment map: its own (`custom`) or the default one.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentMapView {
    pub custom: bool,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub segments: Vec<SegmentView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentView {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub r: [u8; 2],
    pub f: [u8; 2],
}

impl From<&SegmentDef> for SegmentView {
    fn from(s: &SegmentDef) -> Self {
        SegmentView {
            code: s.code.clone(),
            name_zh: s.name_zh.clone(),
            name_en: s.name_en.clone(),
            r: [s.r.0, s.r.1],
            f: [s.f.0, s.f.1],
        }
    }
}
