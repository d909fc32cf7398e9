//! Validation errors of the domain layer. They are language-neutral: a field path plus a
//! [`Reason`]; [`crate::i18n`] renders them in the user's language.

use serde::Serialize;
use thiserror::Error;

/// Why a value was refused. Rendered by [`Reason::message`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    Required,
    Empty,
    TooLong {
        max: usize,
    },
    TooMany {
        max: usize,
    },
    InvalidPhone,
    InvalidEmail,
    InvalidWechat,
    InvalidMoney,
    MoneyOverflow,
    InvalidCurrency,
    NotOneOf {
        allowed: Vec<String>,
    },
    NotANumber,
    NotADate,
    NotATime,
    TooFarInFuture {
        latest: String,
    },
    InvalidTimeZone,
    NotAnInteger,
    OutOfRange {
        min: i64,
        max: i64,
    },
    UnknownField,
    WrongType {
        expected: String,
    },
    Malformed {
        detail: String,
    },
    InvalidCursor,
    InvalidKey,
    NotFound,
    Duplicate {
        customer_id: i64,
    },
    ControlCharacters,
    CompanyOnly,
    PersonOnly,
    SelfReference,
    Conflict,
    /// Fewer characters than allowed (passwords).
    TooShort {
        min: usize,
    },
    /// A password everybody tries first.
    TooCommon,
    /// A password that contains the user's e-mail name.
    ContainsEmail,
    /// The current password given does not match.
    WrongPassword,
    /// Outside what the acting user may reach (a customer given to someone outside the team).
    NotAllowed,
    /// The last active administrator cannot lose that role or be deactivated.
    LastAdmin,
    /// The lines add up to another total (minor units).
    TotalMismatch {
        computed: i64,
    },
    /// A product priced in another currency than the order.
    CurrencyMismatch {
        expected: String,
    },
    /// A lead converted before cannot be converted again.
    AlreadyConverted {
        customer_id: i64,
    },
    /// A status that cannot follow the current one (orders, opportunities, leads).
    BadTransition {
        from: String,
        to: String,
    },
    /// Warehouse SQL that is not exactly one read-only query (DDL, DML, several statements).
    ReadOnlyQuery,
    /// Warehouse SQL that does not parse or cannot run (unknown table or column, types).
    QueryFailed {
        detail: String,
    },
    /// Warehouse SQL that ran past its time limit and was cancelled.
    QueryTimeout {
        seconds: u64,
    },
    /// Warehouse SQL that needed more memory than allowed.
    QueryTooLarge,
    /// An RFM segment map that leaves customers with these scores in no segment.
    RfmCellUncovered {
        r: u8,
        f: u8,
    },
    /// A range whose start is after its end.
    ReversedRange,
    /// An uploaded file deleted after the retention period: it has to be uploaded again.
    FileRemoved,
    /// A name that several records share, so it cannot say which one is meant.
    Ambiguous {
        count: u32,
    },
}

/// One refused field: where (a JSON-ish path such as `contact_points[1].value`) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: Reason,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: Reason) -> Self {
        Self {
            field: field.into(),
            reason,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("validation failed on {} field(s)", .0.len())]
    Invalid(Vec<FieldError>),
}

impl DomainError {
    pub fn field(field: impl Into<String>, reason: Reason) -> Self {
        Self::Invalid(vec![FieldError::new(field, reason)])
    }

    pub fn fields(&self) -> &[FieldError] {
        match self {
            Self::Invalid(f) => f,
        }
    }

    /// Prefix every field path, e.g. `value` becomes `contact_points[2].value`.
    pub fn nest(self, prefix: &str) -> Self {
        match self {
            Self::Invalid(f) => Self::Invalid(
                f.into_iter()
                    .map(|e| FieldError::new(join_path(prefix, &e.field), e.reason))
                    .collect(),
            ),
        }
    }
}

fn join_path(prefix: &str, field: &str) -> String {
    if field.is_empty() {
        prefix.to_owned()
    } else if field.starts_with('[') {
        format!("{prefix}{field}")
    } else {
        format!("{prefix}.{field}")
    }
}

/// Collects field errors while parsing a whole input, so that one response names every bad
/// field rather than only the first.
#[derive(Default, Debug)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keep the value or record the error; the caller finishes with [`Errors::finish`].
    pub fn take<T>(&mut self, r: Result<T, DomainError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(DomainError::Invalid(f)) => {
                self.0.extend(f);
                None
            }
        }
    }

    pub fn push(&mut self, field: impl Into<String>, reason: Reason) {
        self.0.push(FieldError::new(field, reason));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn finish(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self.0))
        }
    }
}
