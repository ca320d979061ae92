//! The demo data set: the examples of the API contract, loaded into a new database.

use crate::db::{self, DbConn, Sql, Value};

const LINE_ITEM: &str =
    "INSERT INTO line_items (description, invoice_id, quantity, unit_price_cents) \
                         VALUES ($1, $2, 1, $3)";

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

/// Loads the demo data: books "Title 1" and "Title 2"; authors "Name 1" to "Name 3";
/// book 1 by authors 1 and 2, book 2 by author 2. Customer "Customer 1" with invoice
/// INV-000001 of three line items of 6.10 and one of 2.00 (total 20.30) and a payment;
/// cars and drivers; users (without tokens: create your own with POST /users) and two
/// groups with members.
pub fn load(conn: &mut DbConn) -> diesel::QueryResult<()> {
    db::write(conn, |conn| {
        for (title, cents) in [("Title 1", 1250), ("Title 2", 899)] {
            let mut sql = Sql::new("INSERT INTO books (title, price_cents) VALUES (");
            sql.bind(title).push(", ").bind(cents as i64).push(")");
            sql.execute(conn)?;
        }
        for name in ["Name 1", "Name 2", "Name 3"] {
            let mut sql = Sql::new("INSERT INTO authors (name) VALUES (");
            sql.bind(name).push(")");
            sql.execute(conn)?;
        }
        for (book, author) in [(1, 1), (1, 2), (2, 2)] {
            let mut sql = Sql::new("INSERT INTO books_authors (book_id, author_id) VALUES (");
            sql.bind(book as i64)
                .push(", ")
                .bind(author as i64)
                .push(")");
            sql.execute(conn)?;
        }
        let statements: [(&str, &[Value]); 13] = [
            (
                "INSERT INTO customers (name) VALUES ($1)",
                &[text("Customer 1")],
            ),
            (
                "INSERT INTO customers (name) VALUES ($1)",
                &[text("Customer 2")],
            ),
            (
                "INSERT INTO invoices (date, customer_id) VALUES ($1, $2)",
                &[text("2026-11-01"), Value::Int(1)],
            ),
            (
                LINE_ITEM,
                &[text("Paperback"), Value::Int(1), Value::Int(610)],
            ),
            (
                LINE_ITEM,
                &[text("Paperback"), Value::Int(1), Value::Int(610)],
            ),
            (
                LINE_ITEM,
                &[text("Paperback"), Value::Int(1), Value::Int(610)],
            ),
            (
                LINE_ITEM,
                &[text("Bookmark"), Value::Int(1), Value::Int(200)],
            ),
            (
                "INSERT INTO payments (invoice_id, amount_cents, date, method) \
                 VALUES (1, $1, $2, $3)",
                &[Value::Int(1000), text("2026-11-02"), text("card")],
            ),
            (
                "INSERT INTO cars (license_plate, model) VALUES ($1, $2), ($3, $4)",
                &[
                    text("B-HY 1"),
                    text("Model 1"),
                    text("B-HY 2"),
                    text("Model 2"),
                ],
            ),
            (
                "INSERT INTO drivers (name) VALUES ($1), ($2)",
                &[text("Driver 1"), text("Driver 2")],
            ),
            (
                "INSERT INTO cars_drivers (car_id, driver_id) VALUES (1, 1), (1, 2), (2, 2)",
                &[],
            ),
            (
                "INSERT INTO users (email_address, email_key, display_name) VALUES \
                 ($1, $1, $2), ($3, $3, $4), ($5, $5, $6)",
                &[
                    text("ada@example.org"),
                    text("Ada"),
                    text("grace@example.org"),
                    text("Grace"),
                    text("alan@example.com"),
                    text("Alan"),
                ],
            ),
            (
                "INSERT INTO user_groups (display_name) VALUES ($1), ($2)",
                &[text("Readers"), text("Editors")],
            ),
        ];
        for (statement, values) in statements {
            Sql::with_binds(statement, values.to_vec()).execute(conn)?;
        }
        // Every user has a cart, from the moment they exist.
        let mut carts = Sql::new("INSERT INTO carts (user_id, updated_at) SELECT id, ");
        carts
            .bind(crate::clock::Utc::now().rfc3339())
            .push(" FROM users");
        carts.execute(conn)?;
        Sql::new(
            "INSERT INTO group_members (group_id, user_id) VALUES (1, 1), (1, 2), (1, 3), (2, 1)",
        )
        .execute(conn)?;
        Ok(())
    })
}
