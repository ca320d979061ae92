//! Customers: `name`; their invoices belong to them (see `relations::pairs::CHILDREN`).

use actix_web::web;

use super::crud::{self, Options};
use super::entity::{Access, Auth, Entity, Field, Kind};

/// The customer collection.
pub static CUSTOMERS: Entity = Entity {
    name: "customer",
    path: "customers",
    table: "customers",
    label: Some("name"),
    fields: &[Field {
        name: "name",
        column: "name",
        kind: Kind::Text { max: 500 },
        access: Access::Required,
    }],
    parent: None,
    auth: Auth::Open,
};

/// `/customers` and `/customers/{id}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crud::configure(cfg, &CUSTOMERS, Options::default());
}
