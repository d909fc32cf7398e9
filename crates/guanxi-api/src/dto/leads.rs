//! Leads on the wire: capture (by staff, by API, by a public web form), qualification,
//! conversion; sources, web forms and assignment rules.

use super::customers::CustomerView;
use super::sales::{currency, money, OpportunityView};
use super::{at, double_option, nullable, required};
use chrono::{DateTime, Utc};
use guanxi_core::contact::{ContactKind, ContactValue};
use guanxi_core::error::Errors;
use guanxi_core::lead::{parse_source_code, LeadStatus};
use guanxi_core::text::{self, LINE_MAX};
use guanxi_core::{CustomerId, DomainError, PipelineId, Reason, TeamId, UserId};
use guanxi_store::{
    Conversion, ConversionDeal, ConvertLead, Lead, LeadMatch, LeadPatch, LeadRule, LeadSource,
    NewLead, NewLeadRule, WebForm,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest lead name, company and region.
pub const NAME_MAX: usize = 120;
/// Longest note or web-form message.
pub const NOTE_MAX: usize = 4000;

/// A phone number as people type it: a mobile number, else a landline.
fn phone(e: &mut Errors, path: &str, raw: Option<&str>) -> Option<ContactValue> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    match ContactValue::parse(ContactKind::Mobile, raw) {
        Ok(v) => Some(v),
        Err(_) => e.take(at(ContactValue::parse(ContactKind::Landline, raw), path)),
    }
}

fn contact(
    e: &mut Errors,
    path: &str,
    kind: ContactKind,
    raw: Option<&str>,
) -> Option<ContactValue> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    e.take(at(ContactValue::parse(kind, raw), path))
}

fn line(e: &mut Errors, path: &str, raw: Option<&str>, max: usize) -> Option<String> {
    e.take(at(text::optional_line(raw, max), path)).flatten()
}

fn note(e: &mut Errors, path: &str, raw: Option<&str>) -> Option<String> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    e.take(at(text::body(raw, NOTE_MAX), path))
}

/// A new lead. `name`, `source` and one way to reach the person are required.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLead {
    #[schema(value_type = String, example = "李总")]
    pub name: Option<String>,
    #[schema(example = "深圳宏达贸易")]
    pub company: Option<String>,
    pub title: Option<String>,
    #[schema(example = "139 1234 5678")]
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    /// Province or city (`广东深圳`); assignment rules match its beginning.
    pub region: Option<String>,
    /// A source code of the organisation (see `GET /api/v1/lead-sources`).
    #[schema(value_type = String, example = "referral")]
    pub source: Option<String>,
    pub note: Option<String>,
    /// Who works it. Left out: the signed-in user, or, for administrators and marketers, the
    /// assignment rules.
    pub owner_id: Option<i64>,
}

impl CreateLead {
    pub fn parse(self) -> Result<NewLead, DomainError> {
        let mut e = Errors::new();
        let name = required(&mut e, "name", self.name.as_deref())
            .and_then(|v| e.take(at(text::line(v, NAME_MAX), "name")))
            .unwrap_or_default();
        let source = required(&mut e, "source", self.source.as_deref())
            .and_then(|v| e.take(at(parse_source_code(v), "source")))
            .unwrap_or_default();
        let lead = NewLead {
            name,
            company: line(&mut e, "company", self.company.as_deref(), NAME_MAX),
            title: line(&mut e, "title", self.title.as_deref(), LINE_MAX),
            phone: phone(&mut e, "phone", self.phone.as_deref()),
            email: contact(&mut e, "email", ContactKind::Email, self.email.as_deref()),
            wechat: contact(
                &mut e,
                "wechat",
                ContactKind::Wechat,
                self.wechat.as_deref(),
            ),
            region: line(&mut e, "region", self.region.as_deref(), NAME_MAX),
            source,
            note: note(&mut e, "note", self.note.as_deref()),
            owner_id: self.owner_id.map(UserId),
            form_id: None,
        };
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        if blank(&self.phone) && blank(&self.email) && blank(&self.wechat) {
            e.push("phone", Reason::Required);
        }
        e.finish()?;
        Ok(lead)
    }
}

/// A partial update. `null` clears `company`, `title`, `region`, `note` and `owner_id`.
/// Disqualifying needs a `reason`; a converted lead cannot change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLead {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub region: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub note: Option<Option<String>>,
    pub source: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<Option<i64>>,
    /// `new`, `working`, `qualified` or `disqualified`.
    pub status: Option<String>,
    /// Why it was disqualified.
    #[schema(example = "没有预算")]
    pub reason: Option<String>,
}

impl UpdateLead {
    pub fn parse(self) -> Result<LeadPatch, DomainError> {
        let mut e = Errors::new();
        let nl = |e: &mut Errors, f: &str, v: Option<Option<String>>, max: usize| {
            nullable(e, v, |s: String| at(text::optional_line(Some(&s), max), f))
        };
        let company = nl(&mut e, "company", self.company, NAME_MAX);
        let title = nl(&mut e, "title", self.title, LINE_MAX);
        let region = nl(&mut e, "region", self.region, NAME_MAX);
        let note_v = nullable(&mut e, self.note, |s: String| {
            at(
                text::body(&s, NOTE_MAX).map(|n| Some(n).filter(|n| !n.is_empty())),
                "note",
            )
        });
        let patch = LeadPatch {
            name: self
                .name
                .as_deref()
                .and_then(|v| e.take(at(text::line(v, NAME_MAX), "name"))),
            company,
            title,
            region,
            note: note_v,
            source: self
                .source
                .as_deref()
                .and_then(|v| e.take(at(parse_source_code(v), "source"))),
            owner_id: self.owner_id.map(|o| o.map(UserId)),
            status: self
                .status
                .as_deref()
                .and_then(|v| e.take(at(LeadStatus::parse(v), "status"))),
            reason: self
                .reason
                .as_deref()
                .and_then(|v| e.take(at(text::line(v, LINE_MAX), "reason"))),
        };
        if patch.status == Some(LeadStatus::Converted) {
            e.push(
                "status",
                Reason::NotOneOf {
                    allowed: ["new", "working", "qualified", "disqualified"]
                        .map(String::from)
                        .to_vec(),
                },
            );
        }
        e.finish()?;
        Ok(patch)
    }
}

/// Convert a lead: into an existing customer (`customer_id`, e.g. a match) or a new one, and
/// open an opportunity when `opportunity` is given.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertLeadBody {
    pub customer_id: Option<i64>,
    pub opportunity: Option<ConversionDealBody>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversionDealBody {
    /// The organisation's first pipeline when left out.
    pub pipeline_id: Option<i64>,
    #[schema(value_type = String, example = "年度采购")]
    pub name: Option<String>,
    /// Decimal, in the currency's units.
    #[schema(value_type = String, example = "128000.00")]
    pub amount: Option<String>,
    pub currency: Option<String>,
    /// `YYYY-MM-DD`.
    pub expected_close: Option<String>,
}

impl ConvertLeadBody {
    pub fn parse(self) -> Result<ConvertLead, DomainError> {
        let mut e = Errors::new();
        let deal = self.opportunity.map(|d| {
            let name = required(&mut e, "opportunity.name", d.name.as_deref())
                .and_then(|v| e.take(at(text::line(v, LINE_MAX), "opportunity.name")))
                .unwrap_or_default();
            let cur = currency(&mut e, d.currency.as_deref());
            let amount = required(&mut e, "opportunity.amount", d.amount.as_deref())
                .and_then(|a| money(&mut e, "opportunity.amount", Some(a), cur));
            let expected_close = d
                .expected_close
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .and_then(|v| e.take(at(super::parse_date(v), "opportunity.expected_close")));
            ConversionDeal {
                pipeline_id: d.pipeline_id.map(PipelineId),
                name,
                amount: amount.unwrap_or(0),
                currency: cur,
                expected_close,
            }
        });
        e.finish()?;
        Ok(ConvertLead {
            customer_id: self.customer_id.map(CustomerId),
            deal,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadView {
    pub id: i64,
    pub name: String,
    pub company: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub region: Option<String>,
    pub source: String,
    /// `new`, `working`, `qualified`, `disqualified` or `converted`.
    pub status: String,
    pub reason: Option<String>,
    pub owner_id: Option<i64>,
    pub note: Option<String>,
    /// The assignment rule that chose the owner.
    pub rule_id: Option<i64>,
    pub form_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub converted_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Lead> for LeadView {
    fn from(l: Lead) -> Self {
        Self {
            id: l.id.get(),
            name: l.name,
            company: l.company,
            title: l.title,
            phone: l.phone,
            email: l.email,
            wechat: l.wechat,
            region: l.region,
            source: l.source,
            status: l.status.as_str().to_owned(),
            reason: l.reason,
            owner_id: l.owner_id.map(UserId::get),
            note: l.note,
            rule_id: l.rule_id.map(|r| r.get()),
            form_id: l.form_id.map(|f| f.get()),
            customer_id: l.customer_id.map(CustomerId::get),
            opportunity_id: l.opportunity_id.map(|o| o.get()),
            converted_at: l.converted_at,
            version: l.version,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadMatchView {
    /// `customer` or `lead`.
    pub kind: String,
    pub id: i64,
    pub name: String,
    /// `phone`, `email` or `wechat`.
    pub matched_on: String,
    pub status: Option<String>,
}

impl From<LeadMatch> for LeadMatchView {
    fn from(m: LeadMatch) -> Self {
        Self {
            kind: m.kind.to_owned(),
            id: m.id,
            name: m.name,
            matched_on: m.matched_on.to_owned(),
            status: m.status.map(|s| s.as_str().to_owned()),
        }
    }
}

/// A new lead with the customers and leads it may duplicate.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadCreated {
    pub lead: LeadView,
    pub matches: Vec<LeadMatchView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadList {
    pub items: Vec<LeadView>,
    /// Pass as `before` for the next page; absent on the last.
    pub next_before: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadMatchList {
    pub items: Vec<LeadMatchView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionView {
    pub lead: LeadView,
    pub customer: CustomerView,
    /// `true` when converted into an existing customer.
    pub matched: bool,
    pub opportunity: Option<OpportunityView>,
}

impl From<Conversion> for ConversionView {
    fn from(c: Conversion) -> Self {
        Self {
            lead: c.lead.into(),
            customer: c.customer.into(),
            matched: c.matched,
            opportunity: c.opportunity.map(Into::into),
        }
    }
}

// ---------------------------------------------------------------- settings

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadSourceView {
    pub code: String,
    pub name: String,
    pub active: bool,
}

impl From<LeadSource> for LeadSourceView {
    fn from(s: LeadSource) -> Self {
        Self {
            code: s.code,
            name: s.name,
            active: s.active,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadSourceList {
    pub items: Vec<LeadSourceView>,
}

/// Add a source, or rename or (de)activate one (its code stays).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveLeadSource {
    #[schema(value_type = String, example = "展会")]
    pub name: Option<String>,
    /// Default `true`.
    pub active: Option<bool>,
}

impl SaveLeadSource {
    pub fn parse(self, code: &str) -> Result<LeadSource, DomainError> {
        let mut e = Errors::new();
        let code = e
            .take(at(parse_source_code(code), "code"))
            .unwrap_or_default();
        let name = required(&mut e, "name", self.name.as_deref())
            .and_then(|v| e.take(at(text::line(v, LINE_MAX), "name")))
            .unwrap_or_default();
        e.finish()?;
        Ok(LeadSource {
            code,
            name,
            active: self.active.unwrap_or(true),
        })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebForm {
    #[schema(value_type = String, example = "官网咨询表单")]
    pub name: Option<String>,
    /// Default `website`.
    pub source: Option<String>,
}

impl CreateWebForm {
    pub fn parse(self) -> Result<(String, String), DomainError> {
        let mut e = Errors::new();
        let name = required(&mut e, "name", self.name.as_deref())
            .and_then(|v| e.take(at(text::line(v, LINE_MAX), "name")))
            .unwrap_or_default();
        let source = e
            .take(at(
                parse_source_code(self.source.as_deref().unwrap_or("website")),
                "source",
            ))
            .unwrap_or_default();
        e.finish()?;
        Ok((name, source))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebFormView {
    pub id: i64,
    /// The public key in the form's address; not a secret, but hard to guess.
    pub key: String,
    pub name: String,
    pub source: String,
    pub active: bool,
    /// Where the form posts: `POST` JSON or an HTML form here.
    #[schema(example = "/api/v1/forms/gxf_…/submissions")]
    pub submit_url: String,
    /// A page with the form, to link to or copy.
    #[schema(example = "/f/gxf_…")]
    pub page_url: String,
    pub created_at: DateTime<Utc>,
}

impl From<WebForm> for WebFormView {
    fn from(f: WebForm) -> Self {
        Self {
            id: f.id.get(),
            submit_url: format!("/api/v1/forms/{}/submissions", f.key),
            page_url: format!("/f/{}", f.key),
            key: f.key,
            name: f.name,
            source: f.source,
            active: f.active,
            created_at: f.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebFormList {
    pub items: Vec<WebFormView>,
}

/// Hand matching new leads to one user (`user_id`) or in turn to a team's sales reps and
/// managers (`team_id`). With neither `source` nor `region` the rule matches every lead.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLeadRule {
    pub source: Option<String>,
    #[schema(example = "广东")]
    pub region: Option<String>,
    pub team_id: Option<i64>,
    pub user_id: Option<i64>,
}

impl CreateLeadRule {
    pub fn parse(self) -> Result<NewLeadRule, DomainError> {
        let mut e = Errors::new();
        let source = self
            .source
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .and_then(|v| e.take(at(parse_source_code(v), "source")));
        let region = line(&mut e, "region", self.region.as_deref(), NAME_MAX);
        e.finish()?;
        Ok(NewLeadRule {
            source,
            region,
            team_id: self.team_id.map(TeamId),
            user_id: self.user_id.map(UserId),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadRuleView {
    pub id: i64,
    pub position: i64,
    pub source: Option<String>,
    pub region: Option<String>,
    pub team_id: Option<i64>,
    pub user_id: Option<i64>,
    pub last_user_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<LeadRule> for LeadRuleView {
    fn from(r: LeadRule) -> Self {
        Self {
            id: r.id.get(),
            position: r.position,
            source: r.source,
            region: r.region,
            team_id: r.team_id.map(TeamId::get),
            user_id: r.user_id.map(UserId::get),
            last_user_id: r.last_user_id.map(UserId::get),
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadRuleList {
    pub items: Vec<LeadRuleView>,
}

// ---------------------------------------------------------------- the public web form

/// What a visitor sends through a web form (JSON or an HTML form post). `homepage` is a trap
/// for robots: people never see it, so it must stay empty.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FormSubmission {
    #[schema(value_type = String, example = "李女士")]
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub company: Option<String>,
    pub region: Option<String>,
    /// What the visitor asks about.
    pub message: Option<String>,
    /// Leave empty (a hidden field on the page).
    pub homepage: Option<String>,
    /// When the page with the form was shown (seconds since 1970), if the page says.
    #[serde(rename = "_ts")]
    pub shown_at: Option<String>,
}

/// Why a submission looks like spam.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spam {
    Honeypot,
    TooFast,
    Links,
}

/// Seconds a person needs at least to fill in the form.
pub const FORM_MIN_SECONDS: i64 = 2;
/// More links than this in the message is spam.
pub const FORM_MAX_LINKS: usize = 2;

impl FormSubmission {
    /// The spam checks; they run before any parsing and are not told to the sender.
    pub fn spam(&self, now: DateTime<Utc>) -> Option<Spam> {
        if self
            .homepage
            .as_deref()
            .is_some_and(|h| !h.trim().is_empty())
        {
            return Some(Spam::Honeypot);
        }
        if let Some(shown) = self
            .shown_at
            .as_deref()
            .and_then(|t| t.trim().parse::<i64>().ok())
        {
            let age = now.timestamp() - shown;
            if (0..FORM_MIN_SECONDS).contains(&age) {
                return Some(Spam::TooFast);
            }
        }
        let links = self
            .message
            .as_deref()
            .map(|m| m.matches("http://").count() + m.matches("https://").count())
            .unwrap_or(0);
        (links > FORM_MAX_LINKS).then_some(Spam::Links)
    }

    pub fn parse(self, source: &str) -> Result<NewLead, DomainError> {
        CreateLead {
            name: self.name,
            company: self.company,
            title: None,
            phone: self.phone,
            email: self.email,
            wechat: self.wechat,
            region: self.region,
            source: Some(source.to_owned()),
            note: self.message,
            owner_id: None,
        }
        .parse()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FormReceived {
    /// Always `true`: spam is not told apart from a real submission.
    pub received: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sub() -> FormSubmission {
        FormSubmission {
            name: Some("李女士".into()),
            phone: Some("139 1234 5678".into()),
            ..Default::default()
        }
    }

    #[test]
    fn spam_checks() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 30, 12, 0, 0)
            .single()
            .expect("time");
        assert_eq!(sub().spam(now), None);
        let trap = FormSubmission {
            homepage: Some("http://spam".into()),
            ..sub()
        };
        assert_eq!(trap.spam(now), Some(Spam::Honeypot));
        let fast = FormSubmission {
            shown_at: Some((now.timestamp() - 1).to_string()),
            ..sub()
        };
        assert_eq!(fast.spam(now), Some(Spam::TooFast));
        let slow = FormSubmission {
            shown_at: Some((now.timestamp() - 30).to_string()),
            ..sub()
        };
        assert_eq!(slow.spam(now), None);
        let links = FormSubmission {
            message: Some("http://a https://b http://c".into()),
            ..sub()
        };
        assert_eq!(links.spam(now), Some(Spam::Links));
    }

    #[test]
    fn a_lead_needs_a_way_to_reach_the_person() {
        let bare = FormSubmission {
            phone: None,
            ..sub()
        };
        let e = bare.parse("website").expect_err("no contact");
        assert_eq!(e.fields()[0].field, "phone");
        let lead = sub().parse("website").expect("lead");
        assert_eq!(lead.phone.expect("phone").key, "+8613912345678");
        let bad = FormSubmission {
            email: Some("not-an-email".into()),
            ..sub()
        };
        assert_eq!(
            bad.parse("website").expect_err("bad").fields()[0].field,
            "email"
        );
    }

    #[test]
    fn converted_is_not_a_status_to_set() {
        let u = UpdateLead {
            status: Some("converted".into()),
            ..Default::default()
        };
        assert_eq!(u.parse().expect_err("refused").fields()[0].field, "status");
        let u = UpdateLead {
            company: Some(None),
            ..Default::default()
        };
        assert_eq!(u.parse().expect("patch").company, Some(None));
    }
}
