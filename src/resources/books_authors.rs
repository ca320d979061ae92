//! `/books-authors`: the books–authors relationship as a resource of its own (§2c),
//! carrying royalties. The same table backs every other view of the relationship.

use actix_web::web;

use super::authors::AUTHORS;
use super::books::BOOKS;
use super::crud::{self, Options};
use super::entity::{Access, Auth, Entity, Field, Kind};

/// The cross-resource.
pub static BOOKS_AUTHORS: Entity = Entity {
    name: "books-author relation",
    path: "books-authors",
    table: "books_authors",
    label: None,
    fields: &[
        Field {
            name: "bookId",
            column: "book_id",
            kind: Kind::Ref {
                target: &BOOKS,
                rel: "book",
            },
            access: Access::Immutable,
        },
        Field {
            name: "authorId",
            column: "author_id",
            kind: Kind::Ref {
                target: &AUTHORS,
                rel: "author",
            },
            access: Access::Immutable,
        },
        Field {
            name: "royalties",
            column: "royalties",
            kind: Kind::Share {
                units: "royalties_units",
                // One book's authors never share more than the whole.
                ceiling: Some(("book_id", "books")),
            },
            access: Access::Optional,
        },
    ],
    parent: None,
    auth: Auth::Open,
};

/// `/books-authors` (with bulk DELETE, as a cross-resource) and `/books-authors/{id}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crud::configure(cfg, &BOOKS_AUTHORS, Options::default());
}
