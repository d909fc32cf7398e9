//! Reading customer files for Guanxi (关系): the part of an import that needs no database.
//!
//! A file is read as a stream of rows whatever it is ([`Source`]: CSV or TSV in any common
//! encoding, the first sheet of an Excel workbook, vCards), its columns are mapped to fields
//! from their headers in Chinese or English ([`Field::suggest`]), and every row is checked
//! ([`Checker`], with [`parse_row`]) into a customer to create, the same customer as an earlier
//! row, or a list of reasons in the user's language. [`dry_run`] does all of it for a file in
//! memory; the store decides about matches with existing customers. [`export`] writes CSV
//! and .xlsx that Excel opens correctly, [`vcard`] writes and reads vCards.

mod decode;
pub mod export;
mod mapping;
mod report;
mod row;
mod source;
mod stream;
pub mod vcard;
mod xlsx;

pub use decode::{decode, sniff_delimiter, Decoded};
pub use mapping::{DateOrder, Field, Mapping};
pub use report::{dry_run, Checker, Outcome, Report, RowReport, Tally};
pub use row::{field_label, parse_date, parse_row, ImportRow, Problem, ProblemKind};
pub use source::{FileError, Format, Limits, Record, Source};
