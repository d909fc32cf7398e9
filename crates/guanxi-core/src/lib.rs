//! Domain vocabulary of Guanxi (关系).
//!
//! Everything here is pure: typed ids, value types that can only be built by parsing
//! (`PhoneNumber`, `Email`, `WechatId`, `Money`), the customer and interaction entities, custom
//! field rules, and the language-neutral validation errors with their zh-CN / en wording.
//! This crate knows nothing about SQL, HTTP or async.

/// A closed set of named values stored and sent as snake_case strings.
#[macro_export]
macro_rules! str_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Result<Self, $crate::DomainError> {
                match s { $($text => Ok($name::$variant),)+
                    _ => Err($crate::DomainError::field("", $crate::Reason::NotOneOf {
                        allowed: Self::ALL.iter().map(|v| v.as_str().to_owned()).collect(),
                    })),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::parse(&s).map_err(|_| serde::de::Error::unknown_variant(
                    &s, &[$($text),+]))
            }
        }
    };
}

pub mod access;
pub mod contact;
pub mod custom_field;
pub mod customer;
pub mod error;
pub mod i18n;
pub mod ids;
pub mod import;
pub mod interaction;
pub mod lead;
pub mod money;
pub mod order;
pub mod password;
pub mod pipeline;
pub mod quote;
pub mod secret;
pub mod text;

pub use access::{Action, Reach, Role, Scope};
pub use contact::{ContactKind, Email, PhoneNumber, WechatId};
pub use error::{DomainError, FieldError, Reason};
pub use i18n::Lang;
pub use ids::*;
pub use import::ImportKind;
pub use money::{Currency, Money};
