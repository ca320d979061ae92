//! SQL generated from the model's descriptors: the rows of a resource, the link table of
//! a pair, the children of a parent. Plain functions over `&mut DbConn` that compose
//! inside one transaction; no HTTP and no HAL.

pub(crate) mod children;
pub(crate) mod ddl;
pub(crate) mod entity;
pub(crate) mod links;
pub(crate) mod singleton;

pub(crate) use entity::{Assignment, Row};
