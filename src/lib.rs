//! Halyard: a HAL hypermedia API server that gets relationships right.

pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod decimal;
pub mod demo;
pub mod error;
pub mod hal;
pub mod html;
pub mod relations;
pub mod resources;
pub mod sample;
