//! Drivers: `name`; related to cars (see `relations::pairs`).

use actix_web::web;

use super::crud::{self, Options};
use super::entity::{Access, Auth, Entity, Field, Kind};

/// The driver collection.
pub static DRIVERS: Entity = Entity {
    name: "driver",
    path: "drivers",
    table: "drivers",
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

/// `/drivers` and `/drivers/{id}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crud::configure(cfg, &DRIVERS, Options::default());
}
