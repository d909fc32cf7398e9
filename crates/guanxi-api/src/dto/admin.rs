//! Organisations, users and custom field definitions on the wire.

use super::{at, required, FieldTypeSchema};
use chrono::{DateTime, Utc};
use guanxi_core::custom_field::{parse_key, FieldType, CHOICES_MAX};
use guanxi_core::error::Errors;
use guanxi_core::text::{self, LINE_MAX};
use guanxi_core::{Currency, DomainError, Lang, Reason};
use guanxi_store::{FieldDef, NewFieldDef, NewOrg, Organisation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest label of a custom field, and longest choice.
pub const LABEL_MAX: usize = 100;
pub const CHOICE_MAX: usize = 100;
/// Longest time-zone name (IANA names are far shorter).
pub const TIME_ZONE_MAX: usize = 64;

// ---------------------------------------------------------------- organisations

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    #[schema(value_type = String, example = "万科物业")]
    pub name: Option<String>,
    /// `zh-CN` (default) or `en`.
    #[schema(example = "zh-CN")]
    pub locale: Option<String>,
    /// ISO 4217 code; default `CNY`.
    #[schema(example = "CNY")]
    pub currency: Option<String>,
    /// IANA time zone; default `Asia/Shanghai`.
    #[schema(example = "Asia/Shanghai")]
    pub time_zone: Option<String>,
}

impl CreateOrg {
    pub fn parse(self) -> Result<NewOrg, DomainError> {
        let mut e = Errors::new();
        let name = required(&mut e, "name", self.name.as_deref())
            .and_then(|n| e.take(at(text::line(n, LINE_MAX), "name")))
            .unwrap_or_default();
        let locale = match self.locale.as_deref().map(str::trim) {
            None => Lang::ZhCn,
            Some("zh-CN") => Lang::ZhCn,
            Some("en") => Lang::En,
            Some(_) => {
                e.push(
                    "locale",
                    Reason::NotOneOf {
                        allowed: vec!["zh-CN".into(), "en".into()],
                    },
                );
                Lang::ZhCn
            }
        };
        let currency = e.take(at(
            Currency::parse(self.currency.as_deref().unwrap_or("CNY")),
            "currency",
        ));
        let time_zone = e
            .take(at(
                parse_time_zone(self.time_zone.as_deref().unwrap_or("Asia/Shanghai")),
                "time_zone",
            ))
            .unwrap_or_default();
        e.finish()?;
        let currency = currency.ok_or_else(|| DomainError::field("currency", Reason::Required))?;
        Ok(NewOrg {
            name,
            locale,
            currency,
            time_zone,
        })
    }
}

/// An IANA zone name such as `Asia/Shanghai` or `UTC` (the shape only; there is no zone
/// database in this crate).
fn parse_time_zone(s: &str) -> Result<String, DomainError> {
    let tz = text::line(s, TIME_ZONE_MAX)?;
    let ok = tz.starts_with(|c: char| c.is_ascii_alphabetic())
        && tz
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c));
    if ok {
        Ok(tz)
    } else {
        Err(DomainError::field("", Reason::InvalidTimeZone))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgView {
    pub id: i64,
    pub name: String,
    /// `zh-CN` or `en`.
    pub locale: String,
    pub currency: String,
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

impl From<Organisation> for OrgView {
    fn from(o: Organisation) -> Self {
        Self {
            id: o.id.get(),
            name: o.name,
            locale: o.locale.tag().to_owned(),
            currency: o.currency.as_str().to_owned(),
            time_zone: o.time_zone,
            created_at: o.created_at,
        }
    }
}

// ---------------------------------------------------------------- custom field definitions

/// A custom customer field of the organisation.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFieldDef {
    /// `a`–`z` first, then `a`–`z`, `0`–`9`, `_`; at most 40. Values are sent under
    /// `custom.<key>`.
    #[schema(value_type = String, example = "industry")]
    pub key: Option<String>,
    #[schema(value_type = String, example = "行业")]
    pub label_zh: Option<String>,
    #[schema(value_type = String, example = "Industry")]
    pub label_en: Option<String>,
    #[schema(value_type = FieldTypeSchema)]
    pub field_type: Option<String>,
    /// Required for `choice` (1–100 choices, each at most 100 characters), refused otherwise.
    pub choices: Option<Vec<String>>,
    /// Every customer must have a value. Default `false`.
    pub required: Option<bool>,
}

impl CreateFieldDef {
    pub fn parse(self) -> Result<NewFieldDef, DomainError> {
        let mut e = Errors::new();
        let key = required(&mut e, "key", self.key.as_deref())
            .and_then(|k| e.take(at(parse_key(k.trim()), "key")))
            .unwrap_or_default();
        let label_zh = required(&mut e, "label_zh", self.label_zh.as_deref())
            .and_then(|l| e.take(at(text::line(l, LABEL_MAX), "label_zh")))
            .unwrap_or_default();
        let label_en = required(&mut e, "label_en", self.label_en.as_deref())
            .and_then(|l| e.take(at(text::line(l, LABEL_MAX), "label_en")))
            .unwrap_or_default();
        let field_type = required(&mut e, "field_type", self.field_type.as_deref())
            .and_then(|t| e.take(at(FieldType::parse(t), "field_type")));
        let choices = match (field_type, self.choices) {
            (Some(FieldType::Choice), None) => {
                e.push("choices", Reason::Required);
                vec![]
            }
            (Some(FieldType::Choice), Some(c)) => {
                e.take(at(parse_choices(&c), "choices")).unwrap_or_default()
            }
            // Choices make no sense for other types: "at most 0 items".
            (_, Some(c)) if !c.is_empty() => {
                e.push("choices", Reason::TooMany { max: 0 });
                vec![]
            }
            (_, _) => vec![],
        };
        e.finish()?;
        Ok(NewFieldDef {
            key,
            label_zh,
            label_en,
            field_type: field_type.unwrap_or(FieldType::Text),
            choices,
            required: self.required.unwrap_or(false),
        })
    }
}

/// Choices: 1 to 100 lines of at most 100 characters; exact duplicates are dropped.
fn parse_choices(choices: &[String]) -> Result<Vec<String>, DomainError> {
    if choices.is_empty() {
        return Err(DomainError::field("", Reason::Empty));
    }
    if choices.len() > CHOICES_MAX {
        return Err(DomainError::field("", Reason::TooMany { max: CHOICES_MAX }));
    }
    let mut e = Errors::new();
    let mut out: Vec<String> = Vec::with_capacity(choices.len());
    for (i, c) in choices.iter().enumerate() {
        if let Some(c) = e.take(at(text::line(c, CHOICE_MAX), &format!("[{i}]"))) {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    e.finish()?;
    Ok(out)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDefView {
    pub id: i64,
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    #[schema(value_type = FieldTypeSchema)]
    pub field_type: FieldType,
    pub choices: Vec<String>,
    pub required: bool,
    pub created_at: DateTime<Utc>,
}

impl From<FieldDef> for FieldDefView {
    fn from(f: FieldDef) -> Self {
        Self {
            id: f.id.get(),
            key: f.key,
            label_zh: f.label_zh,
            label_en: f.label_en,
            field_type: f.field_type,
            choices: f.choices,
            required: f.required,
            created_at: f.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDefList {
    pub items: Vec<FieldDefView>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::parse_json;

    fn fields(e: &DomainError) -> Vec<&str> {
        e.fields().iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn org_defaults() {
        let o = parse_json::<CreateOrg>(r#"{"name": "示例公司"}"#)
            .expect("shape")
            .parse()
            .expect("valid");
        assert_eq!(o.locale, Lang::ZhCn);
        assert_eq!(o.currency.as_str(), "CNY");
        assert_eq!(o.time_zone, "Asia/Shanghai");
        let e = parse_json::<CreateOrg>(
            r#"{"name": "", "locale": "fr", "currency": "yuan", "time_zone": "Asia Shanghai"}"#,
        )
        .expect("shape")
        .parse()
        .expect_err("invalid");
        assert_eq!(fields(&e), ["name", "locale", "currency", "time_zone"]);
    }

    #[test]
    fn choices_only_for_choice_fields() {
        let parse = |j: &str| {
            parse_json::<CreateFieldDef>(j.as_bytes())
                .expect("shape")
                .parse()
        };
        let f = parse(r#"{"key": "industry", "label_zh": "行业", "label_en": "Industry", "field_type": "choice", "choices": ["制造业", "金融", "金融"]}"#)
            .expect("valid");
        assert_eq!(f.choices, ["制造业", "金融"]);
        let e = parse(r#"{"key": "industry", "label_zh": "行业", "label_en": "Industry", "field_type": "choice"}"#)
            .expect_err("no choices");
        assert_eq!(fields(&e), ["choices"]);
        let e = parse(r#"{"key": "industry", "label_zh": "行业", "label_en": "Industry", "field_type": "choice", "choices": ["ok", ""]}"#)
            .expect_err("empty choice");
        assert_eq!(fields(&e), ["choices[1]"]);
        let e = parse(r#"{"key": "Level", "label_zh": "级别", "label_en": "Level", "field_type": "text", "choices": ["a"]}"#)
            .expect_err("choices on text");
        assert_eq!(fields(&e), ["key", "choices"]);
    }
}
