//! Sales pipelines: stages with win probabilities, and the rules a pipeline must keep.

use crate::error::{DomainError, Errors, Reason};

str_enum!(
    /// What a stage means: still open, or the end of an opportunity.
    StageKind { Open = "open", Won = "won", Lost = "lost" }
);

str_enum!(
    /// What an activity is.
    ActivityKind { Task = "task", Call = "call", Meeting = "meeting", Visit = "visit" }
);

str_enum!(
    /// Where an opportunity stands overall.
    OpportunityStatus { Open = "open", Won = "won", Lost = "lost" }
);

impl StageKind {
    /// The status of an opportunity in a stage of this kind.
    pub fn status(self) -> OpportunityStatus {
        match self {
            StageKind::Open => OpportunityStatus::Open,
            StageKind::Won => OpportunityStatus::Won,
            StageKind::Lost => OpportunityStatus::Lost,
        }
    }
}

/// Most stages in one pipeline.
pub const STAGES_MAX: usize = 20;

/// A stage as given when a pipeline is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageSpec {
    pub name: String,
    /// Percent, 0 to 100.
    pub probability: i64,
    pub kind: StageKind,
}

/// A pipeline needs open stages to work in, exactly one won and one lost stage; won stages
/// are 100 %, lost 0 %, open ones in between; names are unique.
pub fn check_stages(stages: &[StageSpec]) -> Result<(), DomainError> {
    let mut e = Errors::new();
    if stages.len() > STAGES_MAX {
        e.push("stages", Reason::TooMany { max: STAGES_MAX });
    }
    let count = |k: StageKind| stages.iter().filter(|s| s.kind == k).count();
    if count(StageKind::Open) == 0 || count(StageKind::Won) != 1 || count(StageKind::Lost) != 1 {
        e.push(
            "stages",
            Reason::Malformed {
                detail: "open stages, one won stage and one lost stage".into(),
            },
        );
    }
    for (i, s) in stages.iter().enumerate() {
        let (min, max) = match s.kind {
            StageKind::Open => (0, 100),
            StageKind::Won => (100, 100),
            StageKind::Lost => (0, 0),
        };
        if !(min..=max).contains(&s.probability) {
            e.push(
                format!("stages[{i}].probability"),
                Reason::OutOfRange { min, max },
            );
        }
        if stages[..i].iter().any(|o| o.name == s.name) {
            e.push(
                format!("stages[{i}].name"),
                Reason::Duplicate { customer_id: 0 },
            );
        }
    }
    e.finish()
}

/// The pipeline every new organisation starts with (the course's sales process), named in the
/// organisation's language: (pipeline name, stages).
pub fn default_pipeline(lang: crate::Lang) -> (String, Vec<StageSpec>) {
    let s = |zh: &str, en: &str, probability, kind| StageSpec {
        name: lang.pick(zh, en).into(),
        probability,
        kind,
    };
    (
        lang.pick("销售漏斗", "Sales pipeline").into(),
        vec![
            s("初步接洽", "First contact", 10, StageKind::Open),
            s("需求确认", "Needs confirmed", 25, StageKind::Open),
            s("方案报价", "Proposal", 50, StageKind::Open),
            s("商务谈判", "Negotiation", 75, StageKind::Open),
            s("赢单", "Won", 100, StageKind::Won),
            s("输单", "Lost", 0, StageKind::Lost),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_pipeline_keeps_the_rules() {
        for lang in [crate::Lang::ZhCn, crate::Lang::En] {
            assert!(check_stages(&default_pipeline(lang).1).is_ok());
        }
    }

    fn default_stages() -> Vec<StageSpec> {
        default_pipeline(crate::Lang::ZhCn).1
    }

    #[test]
    fn broken_pipelines_are_refused() {
        let mut no_won = default_stages();
        no_won.retain(|s| s.kind != StageKind::Won);
        assert!(check_stages(&no_won).is_err());
        let mut bad_prob = default_stages();
        bad_prob[4].probability = 90;
        let e = check_stages(&bad_prob).expect_err("won must be 100");
        assert_eq!(e.fields()[0].field, "stages[4].probability");
        let mut twice = default_stages();
        twice[1].name = twice[0].name.clone();
        assert_eq!(
            check_stages(&twice).expect_err("names").fields()[0].field,
            "stages[1].name"
        );
    }
}
