//! The tables of a model whose tables are generated: the DDL for an empty database (both
//! backends, the integrity rules in the database: unique pairs, foreign keys, checks),
//! and at each start the difference between the model and the tables as they are.
//! What can be added safely (a table, an optional column) is added, in one transaction
//! under the migration lock; anything else (a dropped or retyped field, a removed
//! resource, a new required field on a table that exists) refuses the start, naming each
//! difference, and changes nothing.
//!
//! Every name here comes from the model, whose loader accepts only identifiers
//! (`[a-z][a-z0-9_]*`); choice values, the one piece of text from the file that reaches
//! DDL, are written as SQL string literals with their quotes doubled.

use std::collections::{BTreeMap, BTreeSet};

use diesel::connection::SimpleConnection;
use diesel::QueryableByName;

use crate::db::{self, DbConn, OpenError, Sql};
use crate::model::{Access, Entity, Kind, Model};

/// Tables that are the server's own, never part of a model.
const OWN_TABLES: &[&str] = &[
    "server_keys",
    "halyard_version",
    "sqlite_sequence",
    "__diesel_schema_migrations",
];

/// Whether a column holds text or an integer: what the database can be asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Text,
    Integer,
}

/// One column as the model wants it.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    class: Class,
    /// Everything after the name and type: `NOT NULL`, `REFERENCES …`, `CHECK (…)`.
    rules: String,
    /// True when it cannot be added to a table that already has rows.
    needs_rows_rewritten: bool,
}

/// One table as the model wants it.
#[derive(Debug, Clone, Default)]
struct Table {
    name: String,
    columns: Vec<Column>,
    /// Table constraints (`UNIQUE (a, b)`).
    constraints: Vec<String>,
    /// `CREATE INDEX` statements.
    indexes: Vec<String>,
    /// Tables it refers to, which must exist first.
    refers_to: BTreeSet<String>,
}

impl Table {
    fn column(&mut self, column: Column) {
        if !self.columns.iter().any(|c| c.name == column.name) {
            self.columns.push(column);
        }
    }
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// What deleting the referenced row does to rows that refer to it.
fn on_delete(cascade: bool) -> &'static str {
    if cascade {
        "CASCADE"
    } else {
        "RESTRICT"
    }
}

/// The columns of one field (a share and an email have two); none for a computed one.
fn field_columns(model: &Model, entity: &Entity, field: &crate::model::Field) -> Vec<Column> {
    if field.column.starts_with('(') {
        return Vec::new();
    }
    let c = field.column;
    let required = matches!(field.access, Access::Required | Access::Immutable);
    let not_null = if required { " NOT NULL" } else { "" };
    let unique = if field.unique { " UNIQUE" } else { "" };
    let text = |rules: String| Column {
        name: c.to_owned(),
        class: Class::Text,
        rules,
        needs_rows_rewritten: required || field.unique,
    };
    let integer = |rules: String| Column {
        name: c.to_owned(),
        class: Class::Integer,
        rules,
        needs_rows_rewritten: required || field.unique,
    };
    match field.kind {
        Kind::Text { max } => vec![text(format!(
            "{not_null}{unique} CHECK (length({c}) <= {max})"
        ))],
        Kind::Choice(choices) => {
            let listed: Vec<String> = choices.iter().map(|choice| quoted(choice)).collect();
            vec![text(format!(
                "{not_null}{unique} CHECK ({c} IN ({}))",
                listed.join(", ")
            ))]
        }
        Kind::Date | Kind::Timestamp => vec![text(format!("{not_null}{unique}"))],
        Kind::Decimal { min, max, .. } => vec![integer(format!(
            "{not_null}{unique} CHECK ({c} BETWEEN {min} AND {max})"
        ))],
        Kind::Email { key } => vec![
            text(not_null.to_owned()),
            Column {
                name: key.to_owned(),
                class: Class::Text,
                rules: format!("{not_null} UNIQUE"),
                needs_rows_rewritten: true,
            },
        ],
        Kind::Int { min, max } => {
            let mut rules = format!("{not_null}{unique}");
            if min != i64::MIN || max != i64::MAX {
                rules.push_str(&format!(" CHECK ({c} BETWEEN {min} AND {max})"));
            }
            vec![integer(rules)]
        }
        Kind::Money => {
            // Optional money is 0 until set, as the API renders it.
            let default = if required { "" } else { " NOT NULL DEFAULT 0" };
            vec![Column {
                needs_rows_rewritten: required || field.unique,
                ..integer(format!("{not_null}{default}{unique} CHECK ({c} >= 0)"))
            }]
        }
        Kind::Share { units, .. } => vec![
            text(not_null.to_owned()),
            Column {
                name: units.to_owned(),
                class: Class::Integer,
                rules: format!(" CHECK ({units} BETWEEN 0 AND 10000)"),
                needs_rows_rewritten: false,
            },
        ],
        Kind::Ref { target, .. } => {
            // A cross-resource's rows go with either end; other references hold theirs
            // (deleting a customer with invoices is 409).
            let cascade = model.is_cross(entity);
            vec![integer(format!(
                "{not_null}{unique} REFERENCES {} (id) ON DELETE {}",
                target.table,
                on_delete(cascade)
            ))]
        }
    }
}

/// Every table the model wants, in an order where each comes after those it refers to.
fn tables(model: &Model) -> Vec<Table> {
    let mut by_name: BTreeMap<String, Table> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut table = |name: &str, by_name: &mut BTreeMap<String, Table>| {
        if !by_name.contains_key(name) {
            order.push(name.to_owned());
        }
        by_name.entry(name.to_owned()).or_insert_with(|| Table {
            name: name.to_owned(),
            ..Table::default()
        });
    };
    for entity in model.entities() {
        let is_part = model
            .singleton
            .is_some_and(|s| s.parts.iter().any(|p| std::ptr::eq(p.entity, entity)));
        table(entity.table, &mut by_name);
        let t = by_name.get_mut(entity.table).expect("just made");
        if let Some(parent) = entity.parent {
            t.column(Column {
                name: parent.column.to_owned(),
                class: Class::Integer,
                rules: format!(
                    " NOT NULL REFERENCES {} (id) ON DELETE CASCADE",
                    parent.entity.table
                ),
                needs_rows_rewritten: true,
            });
            t.refers_to.insert(parent.entity.table.to_owned());
            t.indexes.push(format!(
                "CREATE INDEX {0}_{1} ON {0} ({1}, id)",
                entity.table, parent.column
            ));
        }
        for field in entity.fields {
            if let Kind::Ref { target, .. } = field.kind {
                t.refers_to.insert(target.table.to_owned());
            }
            for mut column in field_columns(model, entity, field) {
                if is_part {
                    // A part's fields are unset until its first PUT.
                    column.rules = column.rules.replace(" NOT NULL", "");
                    column.needs_rows_rewritten = false;
                }
                t.column(column);
            }
        }
    }
    if let Some(singleton) = model.singleton {
        // One row per owner, gone with it; the items hang on the row.
        table(singleton.table, &mut by_name);
        let t = by_name.get_mut(singleton.table).expect("just made");
        t.column(Column {
            name: singleton.owner_column.to_owned(),
            class: Class::Integer,
            rules: format!(
                " NOT NULL UNIQUE REFERENCES {} (id) ON DELETE CASCADE",
                singleton.owner.table
            ),
            needs_rows_rewritten: true,
        });
        t.refers_to.insert(singleton.owner.table.to_owned());
        if let Some(items) = by_name.get_mut(singleton.items.table) {
            items.column(Column {
                name: singleton.items_column.to_owned(),
                class: Class::Integer,
                rules: format!(
                    " NOT NULL REFERENCES {} (id) ON DELETE CASCADE",
                    singleton.table
                ),
                needs_rows_rewritten: true,
            });
            items.refers_to.insert(singleton.table.to_owned());
            items.indexes.push(format!(
                "CREATE INDEX {0}_{1} ON {0} ({1}, id)",
                singleton.items.table, singleton.items_column
            ));
        }
    }
    // Accounts that get a token when they are made: the tokens, stored hashed.
    if let Some(account) = model
        .entities()
        .into_iter()
        .find(|e| e.after_create.is_some())
    {
        table("api_tokens", &mut by_name);
        let t = by_name.get_mut("api_tokens").expect("just made");
        t.column(Column {
            name: "user_id".to_owned(),
            class: Class::Integer,
            rules: format!(
                " NOT NULL REFERENCES {} (id) ON DELETE CASCADE",
                account.table
            ),
            needs_rows_rewritten: true,
        });
        t.column(Column {
            name: "hash".to_owned(),
            class: Class::Text,
            rules: " NOT NULL".to_owned(),
            needs_rows_rewritten: true,
        });
        t.refers_to.insert(account.table.to_owned());
    }
    for children in model.children.iter().filter(|c| !c.dependent) {
        if let Some(t) = by_name.get_mut(children.child.table) {
            t.indexes.push(format!(
                "CREATE INDEX {0}_{1} ON {0} ({1}, id)",
                children.child.table, children.column
            ));
        }
    }
    for pair in model.pairs {
        table(pair.table, &mut by_name);
        let t = by_name.get_mut(pair.table).expect("just made");
        for side in [&pair.left, &pair.right] {
            // A cross-resource declares these as ref fields; a plain link table does
            // not, and both go with either end.
            let declared = t.columns.iter().position(|c| c.name == side.column);
            let rules = format!(
                " NOT NULL REFERENCES {} (id) ON DELETE CASCADE",
                side.entity.table
            );
            match declared {
                Some(i) => t.columns[i].rules = rules,
                None => t.column(Column {
                    name: side.column.to_owned(),
                    class: Class::Integer,
                    rules,
                    needs_rows_rewritten: true,
                }),
            }
            t.refers_to.insert(side.entity.table.to_owned());
        }
        t.constraints.push(format!(
            "UNIQUE ({}, {})",
            pair.left.column, pair.right.column
        ));
        t.indexes.push(format!(
            "CREATE INDEX {0}_{1} ON {0} ({1}, {2})",
            pair.table, pair.right.column, pair.left.column
        ));
    }
    // Each after what it refers to (the loader refuses circles of references).
    let mut sorted: Vec<Table> = Vec::new();
    let mut placed: BTreeSet<String> = BTreeSet::new();
    while placed.len() < order.len() {
        let before = placed.len();
        for name in &order {
            let t = &by_name[name];
            let ready = t.refers_to.iter().all(|other| {
                other == name || placed.contains(other) || !by_name.contains_key(other)
            });
            if !placed.contains(name) && ready {
                placed.insert(name.clone());
                sorted.push(t.clone());
            }
        }
        if placed.len() == before {
            // Tables referring to each other: create the rest in declaration order.
            for name in &order {
                if placed.insert(name.clone()) {
                    sorted.push(by_name[name].clone());
                }
            }
        }
    }
    sorted
}

fn create_table(table: &Table, postgres: bool) -> String {
    let id = if postgres {
        "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    } else {
        "id INTEGER PRIMARY KEY AUTOINCREMENT"
    };
    let mut lines = vec![format!("    {id}")];
    for column in &table.columns {
        lines.push(format!("    {}", column_sql(column)));
    }
    for constraint in &table.constraints {
        lines.push(format!("    {constraint}"));
    }
    format!("CREATE TABLE {} (\n{}\n)", table.name, lines.join(",\n"))
}

fn column_sql(column: &Column) -> String {
    let ty = match column.class {
        Class::Text => "TEXT",
        Class::Integer => "BIGINT",
    };
    format!("{} {ty}{}", column.name, column.rules)
}

/// What every database of a generated model holds besides its tables.
fn own_statements(postgres: bool) -> Vec<String> {
    let mut out = Vec::new();
    if postgres {
        // Unicode lower-casing for the filter's `:`; SQLite connections register it.
        out.push(
            "CREATE OR REPLACE FUNCTION casefold(text) RETURNS text LANGUAGE sql IMMUTABLE \
             STRICT PARALLEL SAFE AS $$ SELECT lower($1) $$"
                .to_owned(),
        );
    }
    out.push(
        "CREATE TABLE IF NOT EXISTS server_keys (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)"
            .to_owned(),
    );
    out
}

/// The whole DDL of `model` for an empty database, for review (`halyard schema sql`).
pub(crate) fn statements(model: &Model, postgres: bool) -> Vec<String> {
    let mut out = own_statements(postgres);
    for table in tables(model) {
        out.push(create_table(&table, postgres));
        out.extend(table.indexes.iter().cloned());
    }
    out
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
}

/// The tables there are, each with its columns and their classes.
fn existing(conn: &mut DbConn) -> diesel::QueryResult<BTreeMap<String, BTreeMap<String, Class>>> {
    let postgres = db::is_postgres(conn);
    let names = if postgres {
        db::load_texts(
            conn,
            &Sql::new(
                "SELECT CAST(table_name AS TEXT) AS value FROM information_schema.tables \
                 WHERE table_schema = current_schema()",
            ),
        )?
    } else {
        db::load_texts(
            conn,
            &Sql::new("SELECT name AS value FROM sqlite_master WHERE type = 'table'"),
        )?
    };
    let mut out = BTreeMap::new();
    for name in names {
        let mut sql = if postgres {
            Sql::new(
                "SELECT CAST(column_name AS TEXT) AS name, CAST(data_type AS TEXT) AS kind \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name = ",
            )
        } else {
            Sql::new("SELECT name, type AS kind FROM pragma_table_info(")
        };
        sql.bind(name.clone());
        if !postgres {
            sql.push(")");
        }
        let columns = sql
            .load::<ColumnRow>(conn)?
            .into_iter()
            .map(|row| {
                let class = if row.kind.to_ascii_uppercase().contains("INT") {
                    Class::Integer
                } else {
                    Class::Text
                };
                (row.name, class)
            })
            .collect();
        out.insert(name, columns);
    }
    Ok(out)
}

/// What a start would change: the statements to run, or every difference that refuses.
fn plan(
    model: &Model,
    there: &BTreeMap<String, BTreeMap<String, Class>>,
    postgres: bool,
) -> Result<Vec<String>, Vec<String>> {
    let wanted = tables(model);
    let mut run = Vec::new();
    let mut refused = Vec::new();
    for table in &wanted {
        let Some(columns) = there.get(&table.name) else {
            run.push(create_table(table, postgres));
            run.extend(table.indexes.iter().cloned());
            continue;
        };
        for column in &table.columns {
            match columns.get(&column.name) {
                None if column.needs_rows_rewritten => refused.push(format!(
                    "table {}: the new column {} is required or unique, which rows that exist \
                     cannot be given; declare it optional (and not unique) first",
                    table.name, column.name
                )),
                // SQLite adds no column with a check or a reference in a form every
                // version takes; the API validates these on every write anyway.
                None if !postgres => run.push(format!(
                    "ALTER TABLE {} ADD COLUMN {} {}",
                    table.name,
                    column.name,
                    match column.class {
                        Class::Text => "TEXT",
                        Class::Integer => "BIGINT",
                    }
                )),
                None => run.push(format!(
                    "ALTER TABLE {} ADD COLUMN {}",
                    table.name,
                    column_sql(column)
                )),
                Some(class) if *class != column.class => refused.push(format!(
                    "table {}: column {} holds {} but the schema makes it {} (a retyped field)",
                    table.name,
                    column.name,
                    class_name(*class),
                    class_name(column.class)
                )),
                Some(_) => {}
            }
        }
        for name in columns.keys() {
            let known = name == "id" || table.columns.iter().any(|c| &c.name == name);
            if !known {
                refused.push(format!(
                    "table {}: column {name} is not in the schema (a dropped field); its data \
                     would be lost",
                    table.name
                ));
            }
        }
    }
    for name in there.keys() {
        let known = OWN_TABLES.contains(&name.as_str()) || wanted.iter().any(|t| &t.name == name);
        if !known {
            refused.push(format!(
                "table {name} is not in the schema (a removed resource or pair); its data would \
                 be lost"
            ));
        }
    }
    if refused.is_empty() {
        Ok(run)
    } else {
        Err(refused)
    }
}

fn class_name(class: Class) -> &'static str {
    match class {
        Class::Text => "text",
        Class::Integer => "integers",
    }
}

/// Brings the database to the model's tables, or refuses naming every difference and
/// changing nothing. Returns true when none of the model's tables existed (a new
/// database).
pub(crate) fn prepare(conn: &mut DbConn, model: &Model) -> Result<bool, OpenError> {
    let failed = |e: diesel::result::Error| OpenError(format!("preparing the tables: {e}"));
    db::with_migration_lock(conn, |conn| {
        let postgres = db::is_postgres(conn);
        let there = existing(conn).map_err(failed)?;
        let created = tables(model).iter().all(|t| !there.contains_key(&t.name));
        let run = plan(model, &there, postgres).map_err(|refused| {
            OpenError(format!(
                "the schema differs from the database in ways start cannot change safely, so \
                 nothing was changed:\n  {}",
                refused.join("\n  ")
            ))
        })?;
        db::write(conn, |conn| -> Result<(), diesel::result::Error> {
            for statement in own_statements(postgres).iter().chain(&run) {
                conn.batch_execute(statement)?;
            }
            Ok(())
        })
        .map_err(failed)?;
        if !run.is_empty() {
            log::info!("tables: ran {} statement(s) for the schema", run.len());
        }
        Ok(created)
    })
}
