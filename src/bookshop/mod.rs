//! The bookshop's Rust: its demo data and the generated sample of `halyard
//! load-sample`. The model itself is data, in `schemas/bookshop.toml`.

pub mod demo;
pub mod sample;
