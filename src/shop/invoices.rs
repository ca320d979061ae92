//! Invoice sums: `total` and `paid` are summed by the database in 64-bit integers, so
//! every write of a line item or payment keeps them inside that range (the
//! `after_write` behaviour of the invoice's children).

use diesel::QueryableByName;

use crate::db::{DbConn, Sql};
use crate::decimal;
use crate::error::{ApiError, ApiResult};

/// The most an invoice's `total` or `paid` may reach, in cents: 999 999 999 999 999.99.
/// The database adds cents up in 64-bit integers: past that range PostgreSQL fails every
/// read of the invoice (and of the list it is in), and SQLite fails it or silently turns
/// to floating point. This bound keeps every sum, and every line item's amount, far inside.
pub(crate) const MAX_SUM_CENTS: i64 = 99_999_999_999_999_999;

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
pub(crate) fn check_total(conn: &mut DbConn, invoice_id: i64) -> ApiResult<()> {
    check_sum(
        conn,
        "total",
        "SELECT quantity AS factor, unit_price_cents AS cents FROM line_items \
         WHERE invoice_id = ",
        invoice_id,
    )
}

/// Refuses a payment write that would take its invoice's `paid` out of range.
pub(crate) fn check_paid(conn: &mut DbConn, invoice_id: i64) -> ApiResult<()> {
    check_sum(
        conn,
        "paid",
        "SELECT CAST(1 AS BIGINT) AS factor, amount_cents AS cents FROM payments \
         WHERE invoice_id = ",
        invoice_id,
    )
}
