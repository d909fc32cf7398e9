//! The one integration-test binary of `guanxi`: the real server on a random loopback port
//! against a fresh database (SQLite always, PostgreSQL when reachable), driven over HTTP.

mod access;
mod analysis;
mod api;
mod browser;
mod cli;
mod imports;
mod leads;
mod sales;
mod support;
mod warehouse;
mod web;
