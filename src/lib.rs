//! Halyard: a HAL hypermedia API server that gets relationships right.
//!
//! The modules are layers, each importing only the ones before it in this list
//! (`tests/architecture.rs` holds the code to it; docs/architecture.md tells why):
//! the foundation (`error`, `config`, `db`, `decimal`, `clock`, `logging`, `metrics`), `model`, `hal`,
//! `query`, `store`, `state`, `http`, `rest`, `shop`, `schema` and `bookshop`, `html`, `api`, `app`.

pub mod app;
pub mod clock;
pub mod config;
pub mod db;
pub(crate) mod decimal;
pub(crate) mod error;
pub mod logging;
pub mod metrics;

pub mod model;

pub mod hal;
pub mod query;

pub(crate) mod store;

pub mod state;

pub mod http;

pub(crate) mod rest;
pub(crate) mod shop;

pub mod bookshop;
pub mod schema;

pub(crate) mod html;

pub(crate) mod api;
