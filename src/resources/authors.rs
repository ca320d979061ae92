//! Authors: `name`; related to books (see `relations::pairs`).

use actix_web::web;

use super::crud::{self, Options};
use super::entity::{Access, Auth, Entity, Field, Kind};

/// The author collection.
pub static AUTHORS: Entity = Entity {
    name: "author",
    path: "authors",
    table: "authors",
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

/// `/authors` and `/authors/{id}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crud::configure(cfg, &AUTHORS, Options::default());
}
