//! Steward's one integration-test binary. Each test starts the real server on port 0
//! against a fresh database: SQLite by default, PostgreSQL (with its own database and a
//! non-superuser runtime role) when `STEWARD_TEST_DATABASE_URL` names an admin
//! connection such as `postgres://postgres@127.0.0.1:5432/postgres`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// tests fail loudly by design
// The store's own stories drive raw transactions to prove what the store itself enforces.
#![allow(clippy::disallowed_methods)]

mod api_schema;
mod harness;

mod access;
mod audit;
mod bad_input;
mod booking;
mod browser;
mod citus;
mod cli;
mod customers;
mod egress;
mod every_page;
mod hardening;
mod http_hardening;
mod isolation;
mod mail;
mod messaging;
mod operator_rights;
mod privacy;
mod reports;
mod retention;
mod routes;
mod schema;
mod store;
mod store_stories;
mod usage;
