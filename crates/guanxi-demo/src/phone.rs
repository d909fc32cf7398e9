//! Fast phone values. Parsing a number with `ContactValue::parse` costs tens of microseconds,
//! too much for millions of demo customers. Whether a Chinese number is valid, which kind it
//! is and how it is formatted depend only on its leading digits and its length, so one number
//! per block of leading digits is parsed and the others of the block are derived from it by
//! replacing the digits. Anything unexpected falls back to a full parse.

use crate::hash::Fx;
use guanxi_core::contact::ContactValue;
use guanxi_core::ContactKind;
use std::collections::HashMap;

/// How many leading national digits pick a block (the deepest CN pattern needs 5).
const BLOCK_DIGITS: usize = 6;

#[derive(Default)]
pub struct Phones {
    /// Per (leading digits, length): a parsed number of the block, or `None` if invalid.
    templates: HashMap<(u64, usize), Option<ContactValue>, Fx>,
}

impl Phones {
    /// The contact value of a Chinese number given by its national digits (`13800138000`,
    /// `1088886666`), or `None` when the number is not valid.
    pub fn get(&mut self, kind: ContactKind, national: &str) -> Option<ContactValue> {
        if !national.bytes().all(|b| b.is_ascii_digit()) || national.len() <= BLOCK_DIGITS {
            return parse(kind, national);
        }
        let block = national[..BLOCK_DIGITS].parse::<u64>().ok()?;
        let template = self
            .templates
            .entry((block, national.len()))
            .or_insert_with(|| parse(kind, national));
        let template = template.as_ref()?;
        derive(template, national).or_else(|| parse(kind, national))
    }
}

pub fn parse(kind: ContactKind, national: &str) -> Option<ContactValue> {
    let input = match kind {
        ContactKind::Landline => format!("0{national}"),
        _ => national.to_owned(),
    };
    ContactValue::parse(kind, &input).ok()
}

/// `template` with its national digits replaced by `national` (of the same length).
fn derive(template: &ContactValue, national: &str) -> Option<ContactValue> {
    let old = template.digits.as_deref()?;
    if old.len() != national.len() || !template.key.ends_with(old) {
        return None;
    }
    let cc = &template.key[..template.key.len() - old.len()];
    let rest = template.display.strip_prefix(cc)?;
    let mut display = String::with_capacity(template.display.len());
    display.push_str(cc);
    let mut digits = national.chars();
    for c in rest.chars() {
        if c.is_ascii_digit() {
            display.push(digits.next()?);
        } else {
            display.push(c);
        }
    }
    if digits.next().is_some() {
        return None;
    }
    let mut key = String::with_capacity(template.key.len());
    key.push_str(cc);
    key.push_str(national);
    Some(ContactValue {
        kind: template.kind,
        display,
        key,
        digits: Some(national.to_owned()),
    })
}
