//! Invoices (belonging to a customer) and their existentially dependent line items and
//! payments. Money is exact: cents in the database, decimal strings on the wire, and
//! `total`, `paid` and `amount` computed by the database from integers.

use actix_web::web;
use diesel::QueryableByName;

use super::crud::{self, Options};
use super::customers::CUSTOMERS;
use super::entity::{Access, Auth, Entity, Field, Kind, Parent};
use crate::db::{DbConn, Sql};
use crate::decimal;
use crate::error::{ApiError, ApiResult};

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

/// The most an invoice's `total` or `paid` may reach, in cents: 999 999 999 999 999.99.
/// The database adds cents up in 64-bit integers: past that range PostgreSQL fails every
/// read of the invoice (and of the list it is in), and SQLite fails it or silently turns
/// to floating point. This bound keeps every sum, and every line item's amount, far inside.
pub const MAX_SUM_CENTS: i64 = 99_999_999_999_999_999;

#[derive(QueryableByName)]
struct Term {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    factor: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    cents: i64,
}

/// Fails with 409 when the terms `query` selects for `invoice_id` add up to more than
/// [`MAX_SUM_CENTS`]. The sum is taken here, in `i128`, because in SQL it is the sum
/// itself that would overflow. It runs after the write, in its transaction, with the
/// invoice's row locked, so racing writes cannot both slip under the bound.
fn check_sum(conn: &mut DbConn, property: &str, query: &str, invoice_id: i64) -> ApiResult<()> {
    let mut sql = Sql::new(query);
    sql.bind(invoice_id);
    let sum = sql.load::<Term>(conn)?.iter().fold(0_i128, |sum, term| {
        sum.saturating_add(i128::from(term.factor) * i128::from(term.cents))
    });
    if sum > i128::from(MAX_SUM_CENTS) {
        return Err(ApiError::Conflict(format!(
            "this would take invoice {invoice_id}'s {property} past {}, the most an invoice \
             can hold",
            decimal::format(MAX_SUM_CENTS, 2)
        )));
    }
    Ok(())
}

/// Refuses a line item write that would take its invoice's `total` out of range.
pub fn check_total(conn: &mut DbConn, invoice_id: i64) -> ApiResult<()> {
    check_sum(
        conn,
        "total",
        "SELECT quantity AS factor, unit_price_cents AS cents FROM line_items \
         WHERE invoice_id = ",
        invoice_id,
    )
}

/// Refuses a payment write that would take its invoice's `paid` out of range.
pub fn check_paid(conn: &mut DbConn, invoice_id: i64) -> ApiResult<()> {
    check_sum(
        conn,
        "paid",
        "SELECT CAST(1 AS BIGINT) AS factor, amount_cents AS cents FROM payments \
         WHERE invoice_id = ",
        invoice_id,
    )
}

/// `/invoices` and `/invoices/{id}`; the line items and payments are routed with the
/// other one-to-many relationships.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crud::configure(cfg, &INVOICES, Options::default());
}
