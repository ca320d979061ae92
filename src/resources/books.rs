//! Books: `title`, `price`; related to authors (see `relations::pairs`).

use actix_web::web;

use super::crud::{self, Options};
use super::entity::{Access, Auth, Entity, Field, Kind};

/// The book collection.
pub static BOOKS: Entity = Entity {
    name: "book",
    path: "books",
    table: "books",
    label: Some("title"),
    fields: &[
        Field {
            name: "title",
            column: "title",
            kind: Kind::Text { max: 500 },
            access: Access::Required,
        },
        Field {
            name: "price",
            column: "price_cents",
            kind: Kind::Money,
            access: Access::Optional,
        },
    ],
    parent: None,
    auth: Auth::Open,
};

/// `/books` and `/books/{id}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crud::configure(cfg, &BOOKS, Options::default());
}
