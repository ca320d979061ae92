//! Cars: `licensePlate` (unique), `model`; related to drivers (see `relations::pairs`).

use actix_web::web;

use super::crud::{self, Options};
use super::entity::{Access, Auth, Entity, Field, Kind};

/// The car collection.
pub static CARS: Entity = Entity {
    name: "car",
    path: "cars",
    table: "cars",
    label: Some("license_plate"),
    fields: &[
        Field {
            name: "licensePlate",
            column: "license_plate",
            kind: Kind::Text { max: 32 },
            access: Access::Required,
        },
        Field {
            name: "model",
            column: "model",
            kind: Kind::Text { max: 200 },
            access: Access::Optional,
        },
    ],
    parent: None,
    auth: Auth::Open,
};

/// `/cars` and `/cars/{id}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crud::configure(cfg, &CARS, Options::default());
}
