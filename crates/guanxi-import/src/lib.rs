//! Reading customer files for Guanxi (关系): the part of an import that needs no database.
//!
//! A file is read as a stream of rows whatever it is ([`Source`]: CSV or TSV in any common
//! encoding, the first sheet of an Excel workbook, vCards), its columns are mapped to fields
//! from their headers in Chinese or English ([`Field::suggest`]), and every row is checked
//! ([`Checker`], with [`parse_row`]) into a customer to create, the same customer as an earlier
//! row, or a list of reasons in the user's language. A file may also hold leads, orders or
//! interactions ([`ImportKind`], the mapping's `kind`): their rows are read by
//! [`parse_record`] into records, orders and interactions naming the customer they belong to.
//! [`dry_run`] ([`dry_run_for`] another kind) does all of it for a file in memory; the store
//! decides about matches with existing customers. [`export`] writes CSV
//! and .xlsx that Excel opens correctly, [`vcard`] writes and reads vCards.

mod decode;
pub mod export;
mod mapping;
mod records;
mod report;
mod row;
mod source;
mod stream;
pub mod vcard;
mod xlsx;

pub use decode::{decode, sniff_delimiter, Decoded};
pub use guanxi_core::ImportKind;
pub use mapping::{
    fields_of, CustomField, DateOrder, Field, Mapping, Target, TargetError, CUSTOM_PREFIX,
};
pub use records::{parse_record, CustomerRef, InteractionRow, LeadRow, OrderRow, RecordRow};
pub use report::{dry_run, dry_run_for, Checker, Outcome, Report, RowReport, Tally};
pub use row::{
    field_label, parse_date, parse_datetime, parse_row, ImportRow, Problem, ProblemKind,
};
pub use source::{FileError, Format, Limits, ReadAs, Record, Source};
