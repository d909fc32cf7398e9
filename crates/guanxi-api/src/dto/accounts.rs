//! Key accounts on the wire: the account plan and the account team.

use super::{at, double_option, nullable, parse_date, required};
use chrono::{DateTime, NaiveDate, Utc};
use guanxi_core::error::Errors;
use guanxi_core::text::{self, LINE_MAX};
use guanxi_core::{DomainError, UserId};
use guanxi_store::{AccountPlan, AccountPlanPatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest text of a plan field.
pub const PLAN_TEXT_MAX: usize = 4000;

/// A change of the account plan: absent fields stay, `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveAccountPlan {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, example = "年度采购额增长 20%")]
    pub goals: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub key_contacts: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, example = "每月一次上门拜访；专属客服")]
    pub service_plan: Option<Option<String>>,
    /// `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub last_review: Option<Option<String>>,
    /// `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub next_review: Option<Option<String>>,
}

impl SaveAccountPlan {
    pub fn parse(self) -> Result<AccountPlanPatch, DomainError> {
        let mut e = Errors::new();
        let body = |e: &mut Errors, f: &str, v: Option<Option<String>>| {
            nullable(e, v, |s: String| {
                at(
                    text::body(&s, PLAN_TEXT_MAX).map(|t| Some(t).filter(|t| !t.is_empty())),
                    f,
                )
            })
        };
        let date = |e: &mut Errors, f: &str, v: Option<Option<String>>| {
            nullable(e, v, |s: String| {
                if s.trim().is_empty() {
                    Ok(None)
                } else {
                    at(parse_date(s.trim()).map(Some), f)
                }
            })
        };
        let patch = AccountPlanPatch {
            goals: body(&mut e, "goals", self.goals),
            key_contacts: body(&mut e, "key_contacts", self.key_contacts),
            service_plan: body(&mut e, "service_plan", self.service_plan),
            last_review: date(&mut e, "last_review", self.last_review),
            next_review: date(&mut e, "next_review", self.next_review),
        };
        e.finish()?;
        Ok(patch)
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddAccountMember {
    pub user_id: Option<i64>,
    /// What they do for the account.
    #[schema(value_type = String, example = "专属客服")]
    pub role: Option<String>,
}

impl AddAccountMember {
    pub fn parse(self) -> Result<(UserId, String), DomainError> {
        let mut e = Errors::new();
        let user = required(&mut e, "user_id", self.user_id).map(UserId);
        let role = required(&mut e, "role", self.role.as_deref())
            .and_then(|r| e.take(at(text::line(r, LINE_MAX), "role")))
            .unwrap_or_default();
        e.finish()?;
        Ok((user.unwrap_or(UserId(0)), role))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountMemberView {
    pub user_id: i64,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountPlanView {
    pub customer_id: i64,
    pub goals: Option<String>,
    pub key_contacts: Option<String>,
    pub service_plan: Option<String>,
    pub last_review: Option<NaiveDate>,
    pub next_review: Option<NaiveDate>,
    pub team: Vec<AccountMemberView>,
    /// 0 while no plan was saved; send it as `If-Match` when saving.
    pub version: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<AccountPlan> for AccountPlanView {
    fn from(p: AccountPlan) -> Self {
        Self {
            customer_id: p.customer_id.get(),
            goals: p.goals,
            key_contacts: p.key_contacts,
            service_plan: p.service_plan,
            last_review: p.last_review,
            next_review: p.next_review,
            team: p
                .team
                .into_iter()
                .map(|m| AccountMemberView {
                    user_id: m.user_id.get(),
                    name: m.name,
                    role: m.role,
                })
                .collect(),
            version: p.version,
            updated_at: p.updated_at,
        }
    }
}
