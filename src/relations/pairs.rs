//! Every relationship, each a short configuration of the machinery.

use super::children::Children;
use super::{Pair, Side, Styles};
use crate::resources::authors::AUTHORS;
use crate::resources::books::BOOKS;
use crate::resources::books_authors::BOOKS_AUTHORS;
use crate::resources::cars::CARS;
use crate::resources::customers::CUSTOMERS;
use crate::resources::drivers::DRIVERS;
use crate::resources::groups::GROUPS;
use crate::resources::invoices::{check_paid, check_total, INVOICES, LINE_ITEMS, PAYMENTS};
use crate::resources::users::USERS;

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

/// Cars and drivers (§5): two-sided sub-resources and the query form, no cross-resource.
pub static CARS_AND_DRIVERS: Pair = Pair {
    table: "cars_drivers",
    left: Side {
        entity: &CARS,
        column: "car_id",
        inline: true,
    },
    right: Side {
        entity: &DRIVERS,
        column: "driver_id",
        inline: true,
    },
    styles: Styles {
        sub_resources: true,
        link_patch: false,
        query_form: true,
        add_remove: false,
        cross: None,
    },
};

/// Groups and users (§3): only `:add`/`:remove` on the group, and the lists of both
/// sides; the membership is not a resource, and neither side inlines the other.
pub static GROUPS_AND_USERS: Pair = Pair {
    table: "group_members",
    left: Side {
        entity: &GROUPS,
        column: "group_id",
        inline: false,
    },
    right: Side {
        entity: &USERS,
        column: "user_id",
        inline: false,
    },
    styles: Styles {
        sub_resources: false,
        link_patch: false,
        query_form: false,
        add_remove: true,
        cross: None,
    },
};

/// Every many-to-many pair; routes, links and narrowing are derived from this list.
pub static ALL: &[&Pair] = &[&BOOKS_AND_AUTHORS, &CARS_AND_DRIVERS, &GROUPS_AND_USERS];

/// A customer's invoices (§4): belongs-to, also reachable as `/invoices?customer_id=`.
pub static CUSTOMER_INVOICES: Children = Children {
    parent: &CUSTOMERS,
    child: &INVOICES,
    column: "customer_id",
    property: Some("customerId"),
    dependent: false,
    after_write: None,
};

/// An invoice's line items (§4): existentially dependent.
pub static INVOICE_LINE_ITEMS: Children = Children {
    parent: &INVOICES,
    child: &LINE_ITEMS,
    column: "invoice_id",
    property: None,
    dependent: true,
    after_write: Some(check_total),
};

/// An invoice's payments (§4): existentially dependent.
pub static INVOICE_PAYMENTS: Children = Children {
    parent: &INVOICES,
    child: &PAYMENTS,
    column: "invoice_id",
    property: None,
    dependent: true,
    after_write: Some(check_paid),
};

/// Every one-to-many relationship.
pub static CHILDREN: &[&Children] = &[&CUSTOMER_INVOICES, &INVOICE_LINE_ITEMS, &INVOICE_PAYMENTS];
