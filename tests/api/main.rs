//! The integration suite: every test talks HTTP to a real server over a real database,
//! on SQLite and (with `HALYARD_TEST_POSTGRES_URL`) PostgreSQL.

mod common;

mod accounts;
mod billing;
mod browser;
mod catalogue;
mod compression;
mod conditional;
mod deployment;
mod evolution;
mod fleet;
mod golden;
mod hypermedia;
mod openapi;
mod operations;
mod recipes;
mod relations;
mod replicas;
mod security;
mod shop;
