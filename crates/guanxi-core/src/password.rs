//! Passwords: the policy a new password must meet, and argon2id hashing.
//!
//! The policy follows NIST SP 800-63B rather than composition rules: long enough, not one of
//! the passwords everybody tries first, not the user's own e-mail name. A [`Password`] can only
//! be made by [`Password::parse`]; its `Debug` never shows it. Hashes are argon2id PHC strings
//! with the crate's recommended parameters (19 MiB, 2 passes), salted per password.

use crate::error::Reason;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::fmt;

/// Fewest characters a password may have.
pub const PASSWORD_MIN: usize = 10;
/// Most characters a password may have (a bound on hashing work, not a security rule).
pub const PASSWORD_MAX: usize = 128;

/// Passwords tried first by every attacker, lower-cased. Any password that is one of these,
/// or one of these followed by digits, is refused.
const COMMON: &[&str] = &[
    "password",
    "passw0rd",
    "123456789",
    "1234567890",
    "12345678910",
    "qwertyuiop",
    "qwerty123",
    "iloveyou",
    "admin",
    "administrator",
    "welcome",
    "letmein",
    "abc123",
    "abcdefghij",
    "111111111",
    "000000000",
    "guanxi",
    "woaini",
    "woaini1314",
    "a123456789",
    "changeme",
];

/// A password that meets the policy. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    /// Check `raw` against the policy for the user with `email`.
    pub fn parse(raw: &str, email: &str) -> Result<Password, Reason> {
        let chars = raw.chars().count();
        if chars < PASSWORD_MIN {
            return Err(Reason::TooShort { min: PASSWORD_MIN });
        }
        if chars > PASSWORD_MAX {
            return Err(Reason::TooLong { max: PASSWORD_MAX });
        }
        if raw.chars().any(char::is_control) {
            return Err(Reason::ControlCharacters);
        }
        let lower = raw.to_lowercase();
        let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c == '!');
        let mut distinct: Vec<char> = lower.chars().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 4 || COMMON.contains(&stem) || COMMON.contains(&lower.as_str()) {
            return Err(Reason::TooCommon);
        }
        let name = email.split('@').next().unwrap_or("").to_lowercase();
        if name.chars().count() >= 4 && lower.contains(&name) {
            return Err(Reason::ContainsEmail);
        }
        Ok(Password(raw.to_owned()))
    }

    /// The password itself, for hashing or for showing once to whoever set it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// An argon2id PHC string with a fresh salt. Takes tens of milliseconds on purpose: call it
    /// off the async runtime's worker threads.
    pub fn hash(&self) -> Result<String, String> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    }
}

/// Does `raw` match the stored PHC string? A malformed hash never matches.
pub fn verify_password(raw: &str, phc: &str) -> bool {
    if raw.len() > PASSWORD_MAX * 4 {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(raw.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash that no password matches, verified when the e-mail is unknown so that a wrong e-mail
/// takes as long to refuse as a wrong password (no user enumeration by timing).
pub fn unknown_user_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9bVbaGZXLUPpHqRVmDVSjvBG8sIXLbEDwbcCZ26NCp8"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(Password::parse("correct horse battery", "li.lei@example.com").is_ok());
        assert!(Password::parse("关系管理很重要的密码", "li.lei@example.com").is_ok());
        assert_eq!(
            Password::parse("short1", "a@b.cn"),
            Err(Reason::TooShort { min: PASSWORD_MIN })
        );
        assert_eq!(
            Password::parse(&"x".repeat(PASSWORD_MAX + 1), "a@b.cn"),
            Err(Reason::TooLong { max: PASSWORD_MAX })
        );
        for common in [
            "password123",
            "Password2024!",
            "1234567890",
            "aaaaaaaaaaaa",
            "abababababab",
            "woaini1314520",
        ] {
            assert_eq!(
                Password::parse(common, "a@b.cn"),
                Err(Reason::TooCommon),
                "{common}"
            );
        }
        assert_eq!(
            Password::parse("zhangwei-is-great", "ZhangWei@example.com"),
            Err(Reason::ContainsEmail)
        );
        assert_eq!(
            Password::parse("tab\there-is-bad", "a@b.cn"),
            Err(Reason::ControlCharacters)
        );
        assert_eq!(
            format!("{:?}", Password::parse("correct horse battery", "a@b.cn")),
            "Ok(Password(***))"
        );
    }

    #[test]
    fn hash_and_verify() {
        let p = Password::parse("correct horse battery", "a@b.cn").expect("valid");
        let h = p.hash().expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.contains("correct"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("correct horse battery", "not a hash"));
        assert_ne!(h, p.hash().expect("hash"), "salted");
        assert!(PasswordHash::new(unknown_user_hash()).is_ok());
        assert!(!verify_password("", unknown_user_hash()));
    }
}
