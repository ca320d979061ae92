//! The resource descriptor: a table, its typed fields and who may write it. Plain data:
//! the SQL is generated from it in `store`, the HAL and the forms in `rest`.

use serde_json::{Map, Value};

use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};

/// Runs in the creating transaction, after the insert; returns properties to add to the
/// 201 body only (a user's API token, shown once).
pub(crate) type AfterCreate = fn(&mut DbConn, i64) -> ApiResult<Map<String, Value>>;

/// What a field holds, how it is validated on input and rendered on output.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// Text of at most `max` characters.
    Text {
        /// Longest accepted value, in characters.
        max: usize,
    },
    /// An email address (`local@domain.tld`, at most 254 characters), kept as written
    /// and, lower-cased by Rust (Unicode-aware on both backends), in `key`, whose unique
    /// constraint makes addresses unique ignoring case.
    Email {
        /// Column holding the lower-cased address.
        key: &'static str,
    },
    /// An integer between `min` and `max`.
    Int {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A moment in UTC, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, which sorts chronologically.
    Timestamp,
    /// An exact decimal with `scale` decimals, stored scaled by 10^`scale`, between `min`
    /// and `max` (both scaled).
    Decimal {
        /// Decimal places.
        scale: u32,
        /// The least value, scaled.
        min: i64,
        /// The greatest value, scaled.
        max: i64,
    },
    /// One of a fixed set of strings.
    Choice(&'static [&'static str]),
    /// Money: an exact decimal string with two decimals, stored in cents.
    Money,
    /// A share between 0 and 1 with at most four decimals, stored as written (so "0.20"
    /// stays "0.20") and scaled by 10^4 in `units` for exact sums. `ceiling` names the
    /// column whose rows' shares may not add up to more than 1, and the table it refers to.
    Share {
        /// Column holding the share scaled by 10^4.
        units: &'static str,
        /// `(column, table)`: the shares of rows with the same value of `column` add up
        /// to at most 1; the row of `table` with that id is locked while checking.
        ceiling: Option<(&'static str, &'static str)>,
    },
    /// A reference to a resource of `target`, rendered as `{name}` (the id) and a link
    /// `rel`. Accepted in a body as `{name}`, its snake_case twin, or `rel`.
    Ref {
        /// The referenced collection.
        target: &'static Entity,
        /// The link relation and the body property that takes a hyperlink.
        rel: &'static str,
    },
}

/// Whether and how a field is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Must be given on create and PUT.
    Required,
    /// May be omitted; omitted or null means the column's default.
    Optional,
    /// Required on create and never changed afterwards (400: delete and create instead).
    Immutable,
    /// Optional on create, where the database assigns it when absent; omitted on PUT it
    /// keeps its value.
    Assigned,
    /// Computed or kept by the server; ignored when sent (`column` may be an expression
    /// in parentheses).
    ReadOnly,
}

/// One property of a resource.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    /// The JSON property (camelCase).
    pub(crate) name: &'static str,
    /// The column.
    pub(crate) column: &'static str,
    /// What it holds.
    pub(crate) kind: Kind,
    /// How it is written.
    pub(crate) access: Access,
    /// No two resources have the same value (the database's unique constraint decides).
    pub(crate) unique: bool,
    /// The value an optional field takes when left out or null, as JSON text.
    pub(crate) default: Option<&'static str>,
    /// What a form calls it ("Book" for `bookId`): the schema file's `prompt`, or words
    /// made from the name.
    pub(crate) prompt: &'static str,
    /// What a form says under it: the schema file's `help`, or the validation rule in
    /// words (length, range, decimals, format).
    pub(crate) help: &'static str,
}

/// A collection of resources backed by one table.
#[derive(Debug)]
pub(crate) struct Entity {
    /// Singular name for messages and forms: "book".
    pub(crate) name: &'static str,
    /// The collection's path segment and its relation name: "books".
    pub(crate) path: &'static str,
    /// The table.
    pub(crate) table: &'static str,
    /// The column whose value titles links to these resources, if any.
    pub(crate) label: Option<&'static str>,
    /// The properties, in rendering order (`id` comes first implicitly).
    pub(crate) fields: &'static [Field],
    /// For a resource that exists only under another one (a line item under its
    /// invoice): that resource, and the column that holds its id.
    pub(crate) parent: Option<Parent>,
    /// Who may change or delete a resource.
    pub(crate) auth: Auth,
    /// Work that belongs to creating one of these resources (a user's cart and token).
    pub(crate) after_create: Option<AfterCreate>,
}

/// The resource a dependent resource lives under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parent {
    /// The owning collection.
    pub(crate) entity: &'static Entity,
    /// The column holding the owner's id.
    pub(crate) column: &'static str,
    /// The link relation from the dependent to its owner: "invoice".
    pub(crate) rel: &'static str,
}

/// Who may write a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// Anyone.
    Open,
    /// Only the resource itself (a user, with that user's bearer token) may change or
    /// delete it; reading and creating are open.
    SelfOnly,
}

impl Entity {
    /// The relation name of a collection of these resources in `_embedded`: the last
    /// segment of the path (`items` for `cart/items`).
    pub(crate) fn rel(&self) -> &'static str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }

    /// `books/3`: the canonical path of a top-level resource.
    pub(crate) fn item_path(&self, id: i64) -> String {
        format!("{}/{}", self.path, id)
    }

    /// The path of a resource, under its owner's for a dependent one:
    /// `invoices/1/lineitems/3`.
    pub(crate) fn path_of(&self, id: i64, parent_id: Option<i64>) -> String {
        match (self.parent, parent_id) {
            (Some(parent), Some(pid)) => {
                format!("{}/{}", parent.entity.item_path(pid), self.item_path(id))
            }
            _ => self.item_path(id),
        }
    }

    /// The field a body property names: its JSON name, its column (snake_case) or, for
    /// a reference, its link relation.
    pub(crate) fn field_for_key(&self, key: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| {
            f.name == key
                // A reference also takes its snake_case twin (`book_id`, its column) and its
                // link relation (`book`). Other columns are storage details, not properties:
                // `price_cents` must not be read as a price in whole units.
                || matches!(f.kind, Kind::Ref { rel, .. } if rel == key || f.column == key)
        })
    }

    /// The properties a client may write.
    pub(crate) fn writable_names(&self) -> Vec<&'static str> {
        self.fields
            .iter()
            .filter(|f| f.access != Access::ReadOnly)
            .map(|f| f.name)
            .collect()
    }

    /// The name of the property that labels these resources (`name` for an author).
    pub(crate) fn label_property(&self) -> Option<&'static str> {
        let label = self.label?;
        self.fields
            .iter()
            .find(|f| f.column == label)
            .map(|f| f.name)
    }

    /// The 404 for an unknown id.
    pub(crate) fn not_found(&self, id: i64) -> ApiError {
        ApiError::NotFound(format!("there is no {} with id {id}", self.name))
    }
}
