//! The shop (§6): each user's cart, a singleton split into parts, and its items.

use super::accounts::USERS;
use super::catalogue::BOOKS;
use crate::model::{Access, Auth, Entity, Field, Kind, Part, PartKind, Singleton};

/// The items of a cart, at `/cart/items/{id}`.
pub(crate) static CART_ITEMS: Entity = Entity {
    name: "cart item",
    path: "cart/items",
    table: "cart_items",
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
            name: "title",
            column: "(SELECT b.title FROM books b WHERE b.id = cart_items.book_id)",
            kind: Kind::Text { max: 500 },
            access: Access::ReadOnly,
        },
        Field {
            name: "unitPrice",
            column: "(SELECT b.price_cents FROM books b WHERE b.id = cart_items.book_id)",
            kind: Kind::Money,
            access: Access::ReadOnly,
        },
        Field {
            name: "quantity",
            column: "quantity",
            kind: Kind::Int { min: 1, max: 999 },
            access: Access::Required,
        },
        Field {
            name: "amount",
            column: "(cart_items.quantity * \
                     (SELECT b.price_cents FROM books b WHERE b.id = cart_items.book_id))",
            kind: Kind::Money,
            access: Access::ReadOnly,
        },
    ],
    parent: None,
    auth: Auth::Open,
    after_create: None,
};

/// The five fields of an address, stored in the cart's columns with `$prefix`.
macro_rules! address_fields {
    ($prefix:literal) => {
        &[
            Field {
                name: "name",
                column: concat!($prefix, "name"),
                kind: Kind::Text { max: 200 },
                access: Access::Required,
            },
            Field {
                name: "street",
                column: concat!($prefix, "street"),
                kind: Kind::Text { max: 200 },
                access: Access::Required,
            },
            Field {
                name: "city",
                column: concat!($prefix, "city"),
                kind: Kind::Text { max: 100 },
                access: Access::Required,
            },
            Field {
                name: "postalCode",
                column: concat!($prefix, "postal_code"),
                kind: Kind::Text { max: 20 },
                access: Access::Required,
            },
            Field {
                name: "country",
                column: concat!($prefix, "country"),
                kind: Kind::Text { max: 100 },
                access: Access::Required,
            },
        ]
    };
}

/// Where the order ships to.
pub(crate) static SHIPPING: Entity = Entity {
    name: "shipping address",
    path: "cart/shipping",
    table: "carts",
    label: None,
    fields: address_fields!("ship_"),
    parent: None,
    auth: Auth::Open,
    after_create: None,
};

/// Where the invoice goes; the shipping address when never set.
pub(crate) static BILLING: Entity = Entity {
    name: "billing address",
    path: "cart/billing",
    table: "carts",
    label: None,
    fields: address_fields!("bill_"),
    parent: None,
    auth: Auth::Open,
    after_create: None,
};

/// The card, as far as it is kept: `cardNumber` is taken on input only.
pub(crate) static PAYMENT: Entity = Entity {
    name: "payment",
    path: "cart/payment",
    table: "carts",
    label: None,
    fields: &[
        Field {
            name: "cardholder",
            column: "card_holder",
            kind: Kind::Text { max: 200 },
            access: Access::Required,
        },
        Field {
            name: "expiry",
            column: "card_expiry",
            kind: Kind::Text { max: 5 },
            access: Access::Required,
        },
        Field {
            name: "brand",
            column: "card_brand",
            kind: Kind::Text { max: 20 },
            access: Access::ReadOnly,
        },
        Field {
            name: "last4",
            column: "card_last4",
            kind: Kind::Text { max: 4 },
            access: Access::ReadOnly,
        },
    ],
    parent: None,
    auth: Auth::Open,
    after_create: None,
};

/// The cart: one per user, created with them.
pub(crate) static CART: Singleton = Singleton {
    path: "cart",
    owner: &USERS,
    items: &CART_ITEMS,
    parts: &[
        Part {
            entity: &SHIPPING,
            kind: PartKind::Shipping,
        },
        Part {
            entity: &BILLING,
            kind: PartKind::Billing,
        },
        Part {
            entity: &PAYMENT,
            kind: PartKind::Card,
        },
    ],
};
