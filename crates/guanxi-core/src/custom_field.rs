//! Custom fields: each organisation defines extra customer fields (text, number, date, choice);
//! values are checked against those definitions before anything is written.

use crate::error::{DomainError, Errors, Reason};

use serde_json::{Map, Value};

str_enum!(
    /// The type of a custom field's values.
    FieldType { Text = "text", Number = "number", Date = "date", Choice = "choice" }
);

/// Longest text value of a custom field.
pub const TEXT_VALUE_MAX: usize = 1000;
/// Most choices on one field, and most fields per organisation and entity.
pub const CHOICES_MAX: usize = 100;
pub const FIELDS_MAX: usize = 200;

/// A field definition as the validator needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRule {
    pub key: String,
    pub field_type: FieldType,
    pub choices: Vec<String>,
    pub required: bool,
}

/// A field key: a lower-case letter, then lower-case letters, digits or `_`; at most 40.
pub fn parse_key(s: &str) -> Result<String, DomainError> {
    let ok = !s.is_empty()
        && s.len() <= 40
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(DomainError::field("", Reason::InvalidKey))
    }
}

/// Check `values` against `rules`. With `complete` (a create), required fields must be present;
/// on a partial update only the given keys are checked. `null` removes a value (refused for a
/// required field). Returns the values in canonical form (trimmed text, `YYYY-MM-DD` dates).
pub fn check_values(
    rules: &[FieldRule],
    values: &Map<String, Value>,
    complete: bool,
) -> Result<Map<String, Value>, DomainError> {
    let mut errors = Errors::new();
    let mut out = Map::new();
    for (key, value) in values {
        let Some(rule) = rules.iter().find(|r| &r.key == key) else {
            errors.push(key.clone(), Reason::UnknownField);
            continue;
        };
        if value.is_null() {
            if rule.required {
                errors.push(key.clone(), Reason::Required);
            } else {
                out.insert(key.clone(), Value::Null);
            }
            continue;
        }
        match check_one(rule, value) {
            Ok(v) => {
                out.insert(key.clone(), v);
            }
            Err(reason) => errors.push(key.clone(), reason),
        }
    }
    if complete {
        for r in rules.iter().filter(|r| r.required) {
            if !values.contains_key(&r.key) {
                errors.push(r.key.clone(), Reason::Required);
            }
        }
    }
    errors.finish()?;
    Ok(out)
}

fn check_one(rule: &FieldRule, value: &Value) -> Result<Value, Reason> {
    match rule.field_type {
        FieldType::Text => {
            let s = value.as_str().ok_or(Reason::WrongType {
                expected: "string".into(),
            })?;
            let t =
                crate::text::body(s, TEXT_VALUE_MAX).map_err(|e| e.fields()[0].reason.clone())?;
            if t.is_empty() {
                return Err(Reason::Empty);
            }
            Ok(Value::String(t))
        }
        FieldType::Number => match value {
            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => Ok(value.clone()),
            _ => Err(Reason::NotANumber),
        },
        FieldType::Date => {
            let s = value.as_str().ok_or(Reason::NotADate)?;
            let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| Reason::NotADate)?;
            Ok(Value::String(d.format("%Y-%m-%d").to_string()))
        }
        FieldType::Choice => {
            let s = value.as_str().ok_or(Reason::WrongType {
                expected: "string".into(),
            })?;
            if rule.choices.iter().any(|c| c == s) {
                Ok(Value::String(s.to_owned()))
            } else {
                Err(Reason::NotOneOf {
                    allowed: rule.choices.clone(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules() -> Vec<FieldRule> {
        vec![
            FieldRule {
                key: "industry".into(),
                field_type: FieldType::Choice,
                choices: vec!["制造业".into(), "金融".into()],
                required: true,
            },
            FieldRule {
                key: "employees".into(),
                field_type: FieldType::Number,
                choices: vec![],
                required: false,
            },
            FieldRule {
                key: "founded".into(),
                field_type: FieldType::Date,
                choices: vec![],
                required: false,
            },
            FieldRule {
                key: "motto".into(),
                field_type: FieldType::Text,
                choices: vec![],
                required: false,
            },
        ]
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn accepts_and_canonicalises() {
        let out = check_values(
            &rules(),
            &obj(json!({"industry": "金融", "employees": 120, "founded": " 1998-03-01 ", "motto": " 诚信 "})),
            true,
        )
        .expect("valid");
        assert_eq!(out["founded"], json!("1998-03-01"));
        assert_eq!(out["motto"], json!("诚信"));
    }

    #[test]
    fn names_every_bad_field() {
        let err = check_values(
            &rules(),
            &obj(json!({"employees": "many", "founded": "1998-13-01", "colour": "red"})),
            true,
        )
        .expect_err("invalid");
        let mut fields: Vec<&str> = err.fields().iter().map(|f| f.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["colour", "employees", "founded", "industry"]);
    }

    #[test]
    fn partial_updates_check_only_given_keys_and_null_removes() {
        assert!(check_values(&rules(), &obj(json!({"motto": null})), false).is_ok());
        assert!(check_values(&rules(), &obj(json!({"industry": null})), false).is_err());
        assert!(check_values(&rules(), &obj(json!({"industry": "农业"})), false).is_err());
    }

    #[test]
    fn keys() {
        assert!(parse_key("vip_level2").is_ok());
        for bad in ["", "2x", "Level", "a-b", "客户", &"a".repeat(41)] {
            assert!(parse_key(bad).is_err(), "{bad:?}");
        }
    }
}
