//! Every many-to-many pair, each a short configuration of the machinery.

use super::{Pair, Side, Styles};
use crate::resources::{authors::AUTHORS, books::BOOKS, books_authors::BOOKS_AUTHORS};

/// Books and authors, exposed three ways (§2): link-array PATCH, sub-resources on both
/// sides, and the `/books-authors` cross-resource carrying royalties.
pub static BOOKS_AND_AUTHORS: Pair = Pair {
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
        query_form: false,
        add_remove: false,
        cross: Some(&BOOKS_AUTHORS),
    },
};

/// Every pair; routes, links and narrowing are derived from this list.
pub static ALL: &[&Pair] = &[&BOOKS_AND_AUTHORS];
