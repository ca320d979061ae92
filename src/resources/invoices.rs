//! Invoices (belonging to a customer) and their existentially dependent line items and
//! payments. Money is exact: cents in the database, decimal strings on the wire, and
//! `total`, `paid` and `amount` computed by the database from integers.

use actix_web::web;

use super::crud::{self, Options};
use super::customers::CUSTOMERS;
use super::entity::{Access, Auth, Entity, Field, Kind, Parent};

/// The invoice collection.
pub static INVOICES: Entity = Entity {
    name: "invoice",
    path: "invoices",
    table: "invoices",
    label: Some("number"),
    fields: &[
        Field {
            name: "number",
            column: "number",
            kind: Kind::Text { max: 64 },
            access: Access::Assigned,
        },
        Field {
            name: "date",
            column: "date",
            kind: Kind::Date,
            access: Access::Required,
        },
        Field {
            name: "customerId",
            column: "customer_id",
            kind: Kind::Ref {
                target: &CUSTOMERS,
                rel: "customer",
            },
            access: Access::Required,
        },
        Field {
            name: "customerName",
            column: "(SELECT c.name FROM customers c WHERE c.id = invoices.customer_id)",
            kind: Kind::Text { max: 500 },
            access: Access::ReadOnly,
        },
        Field {
            name: "total",
            column: "(SELECT CAST(COALESCE(SUM(li.quantity * li.unit_price_cents), 0) AS BIGINT) \
                     FROM line_items li WHERE li.invoice_id = invoices.id)",
            kind: Kind::Money,
            access: Access::ReadOnly,
        },
        Field {
            name: "paid",
            column: "(SELECT CAST(COALESCE(SUM(p.amount_cents), 0) AS BIGINT) \
                     FROM payments p WHERE p.invoice_id = invoices.id)",
            kind: Kind::Money,
            access: Access::ReadOnly,
        },
    ],
    parent: None,
    auth: Auth::Open,
};

/// An invoice's line items, at `/invoices/{id}/lineitems/{lineId}` only.
pub static LINE_ITEMS: Entity = Entity {
    name: "line item",
    path: "lineitems",
    table: "line_items",
    label: Some("description"),
    fields: &[
        Field {
            name: "description",
            column: "description",
            kind: Kind::Text { max: 1000 },
            access: Access::Required,
        },
        Field {
            name: "quantity",
            column: "quantity",
            kind: Kind::Int {
                min: 1,
                max: 1_000_000,
            },
            access: Access::Required,
        },
        Field {
            name: "unitPrice",
            column: "unit_price_cents",
            kind: Kind::Money,
            access: Access::Required,
        },
        Field {
            name: "amount",
            column: "(line_items.quantity * line_items.unit_price_cents)",
            kind: Kind::Money,
            access: Access::ReadOnly,
        },
    ],
    parent: Some(Parent {
        entity: &INVOICES,
        column: "invoice_id",
        rel: "invoice",
    }),
    auth: Auth::Open,
};

/// An invoice's payments, at `/invoices/{id}/payments/{paymentId}` only.
pub static PAYMENTS: Entity = Entity {
    name: "payment",
    path: "payments",
    table: "payments",
    label: None,
    fields: &[
        Field {
            name: "amount",
            column: "amount_cents",
            kind: Kind::Money,
            access: Access::Required,
        },
        Field {
            name: "date",
            column: "date",
            kind: Kind::Date,
            access: Access::Required,
        },
        Field {
            name: "method",
            column: "method",
            kind: Kind::Choice(&["card", "transfer", "cash"]),
            access: Access::Required,
        },
    ],
    parent: Some(Parent {
        entity: &INVOICES,
        column: "invoice_id",
        rel: "invoice",
    }),
    auth: Auth::Open,
};

/// `/invoices` and `/invoices/{id}`; the line items and payments are routed with the
/// other one-to-many relationships.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crud::configure(cfg, &INVOICES, Options::default());
}
