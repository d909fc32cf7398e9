//! Reading customer files for Guanxi (关系): the part of an import that needs no database.
//!
//! A file is decoded whatever its encoding ([`decode`]: UTF-8 with or without a BOM, UTF-16,
//! GBK/GB18030, Big5), split into rows with the delimiter it uses ([`sniff_delimiter`], quoted
//! newlines kept), its columns are mapped to fields from their headers in Chinese or English
//! ([`Field::suggest`]), and every row is checked ([`parse_row`]) into a customer to create or a
//! list of reasons, in the user's language. [`dry_run`] does all of it and reports, row by row,
//! what an import would do; the store decides about matches with existing customers.

mod decode;
pub mod export;
mod mapping;
mod report;
mod row;
pub mod vcard;

pub use decode::{decode, sniff_delimiter, Decoded};
pub use mapping::{DateOrder, Field, Mapping};
pub use report::{dry_run, Outcome, Report, RowReport};
pub use row::{field_label, parse_date, parse_row, ImportRow, Problem, ProblemKind};
