//! The catalogue (§2): books and authors, related three ways.

use crate::model::{Access, Auth, Entity, Field, Kind, Pair, Side, Styles};

/// The book collection.
pub(crate) static BOOKS: Entity = Entity {
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
    after_create: None,
};

/// The author collection.
pub(crate) static AUTHORS: Entity = Entity {
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
    after_create: None,
};

/// The cross-resource.
pub(crate) static BOOKS_AUTHORS: Entity = Entity {
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
    after_create: None,
};

/// Books and authors, exposed three ways (§2): link-array PATCH, sub-resources on both
/// sides, and the `/books-authors` cross-resource carrying royalties.
pub(crate) static BOOKS_AND_AUTHORS: Pair = Pair {
    table: "books_authors",
    left: Side {
        entity: &BOOKS,
        column: "book_id",
        inline: true,
    },
    right: Side {
        entity: &AUTHORS,
        column: "author_id",
        inline: true,
    },
    styles: Styles {
        sub_resources: true,
        link_patch: true,
        cross: Some(&BOOKS_AUTHORS),
        ..Styles::NONE
    },
};
