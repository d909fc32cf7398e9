//! Bounded, trimmed text. Lengths are counted in characters (a Chinese character is one).

use crate::error::{DomainError, Reason};

/// Longest single-line value (names, subjects, labels).
pub const LINE_MAX: usize = 200;
/// Longest multi-line value (interaction bodies, notes).
pub const BODY_MAX: usize = 20_000;

/// A single line: trimmed, not empty, no control characters, at most `max` characters.
pub fn line(value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::field("", Reason::Empty));
    }
    if v.chars().any(char::is_control) {
        return Err(DomainError::field("", Reason::ControlCharacters));
    }
    if v.chars().count() > max {
        return Err(DomainError::field("", Reason::TooLong { max }));
    }
    Ok(v.to_owned())
}

/// Like [`line`] but an empty value means "none".
pub fn optional_line(value: Option<&str>, max: usize) -> Result<Option<String>, DomainError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => line(v, max).map(Some),
    }
}

/// Multi-line text: newlines and tabs allowed, other control characters refused.
pub fn body(value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(DomainError::field("", Reason::ControlCharacters));
    }
    if v.chars().count() > max {
        return Err(DomainError::field("", Reason::TooLong { max }));
    }
    Ok(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        let name = "张".repeat(LINE_MAX);
        assert_eq!(line(&name, LINE_MAX).ok(), Some(name.clone()));
        let too_long = "张".repeat(LINE_MAX + 1);
        assert!(line(&too_long, LINE_MAX).is_err());
    }

    #[test]
    fn trims_and_refuses_blank_and_control() {
        assert_eq!(line("  王芳 ", 10).ok().as_deref(), Some("王芳"));
        assert!(line("   ", 10).is_err());
        assert!(line("a\u{0007}b", 10).is_err());
        assert_eq!(optional_line(Some("  "), 10).ok(), Some(None));
        assert!(body("line1\nline2\tx", 100).is_ok());
        assert!(body("bad\u{0000}", 100).is_err());
    }
}
