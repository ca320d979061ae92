//! Billing (§4): customers, their invoices (belongs-to) and each invoice's line items
//! and payments (existentially dependent). Money is exact: cents in the database,
//! decimal strings on the wire, and `total`, `paid` and `amount` computed by the database
//! from integers.

use crate::model::{Access, Auth, Children, Entity, Field, Kind, Parent};
use crate::shop::invoices::{check_paid, check_total};

/// The customer collection.
pub(crate) static CUSTOMERS: Entity = Entity {
    name: "customer",
    path: "customers",
    table: "customers",
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

/// The invoice collection.
pub(crate) static INVOICES: Entity = Entity {
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
    after_create: None,
};

/// An invoice's line items, at `/invoices/{id}/lineitems/{lineId}` only.
pub(crate) static LINE_ITEMS: Entity = Entity {
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
    after_create: None,
};

/// An invoice's payments, at `/invoices/{id}/payments/{paymentId}` only.
pub(crate) static PAYMENTS: Entity = Entity {
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
    after_create: None,
};

/// A customer's invoices (§4): belongs-to, also reachable as `/invoices?customer_id=`.
pub(crate) static CUSTOMER_INVOICES: Children = Children {
    parent: &CUSTOMERS,
    child: &INVOICES,
    column: "customer_id",
    property: Some("customerId"),
    dependent: false,
    after_write: None,
};

/// An invoice's line items (§4): existentially dependent.
pub(crate) static INVOICE_LINE_ITEMS: Children = Children {
    parent: &INVOICES,
    child: &LINE_ITEMS,
    column: "invoice_id",
    property: None,
    dependent: true,
    after_write: Some(check_total),
};

/// An invoice's payments (§4): existentially dependent.
pub(crate) static INVOICE_PAYMENTS: Children = Children {
    parent: &INVOICES,
    child: &PAYMENTS,
    column: "invoice_id",
    property: None,
    dependent: true,
    after_write: Some(check_paid),
};
