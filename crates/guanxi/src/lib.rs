//! Guanxi (关系): the binary's library. `main.rs` only calls [`cli::main`]; the pieces are here
//! so that integration tests can start the real server in-process.

pub mod admin;
pub mod analyze;
pub mod bench;
pub mod bench_analyze;
pub mod bench_import;
pub mod cli;
pub mod demo;
pub mod import;
pub mod server;
pub mod warehouse;
