//! The schema file as written: TOML tables deserialized as they stand, every name kept
//! with its place in the file so that an error can point at it. Nothing here is
//! checked beyond its type; `build` checks the rest.

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

/// A whole schema file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct File {
    /// `generated` (the default: from this file) or `bookshop-migrations`.
    #[schemars(with = "Option<String>")]
    pub(crate) tables: Option<Spanned<String>>,
    /// The resources, in the order the root lists the collections among them.
    #[serde(default, rename = "resource")]
    pub(crate) resources: Vec<Resource>,
    /// The many-to-many pairs.
    #[serde(default, rename = "pair")]
    pub(crate) pairs: Vec<PairDecl>,
    /// The one-to-many relationships.
    #[serde(default)]
    pub(crate) children: Vec<ChildrenDecl>,
    /// The resource that exists once per owner, if any.
    pub(crate) singleton: Option<SingletonDecl>,
    /// Demo data, loaded into a database that start created.
    #[serde(default)]
    pub(crate) demo: Vec<DemoDecl>,
}

/// Demo rows of one resource, or demo links of one pair.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DemoDecl {
    /// The resource the rows are of.
    #[schemars(with = "Option<String>")]
    pub(crate) resource: Option<Spanned<String>>,
    /// For the children of a dependent relationship: the parent's id.
    pub(crate) parent: Option<i64>,
    /// The rows, each as a create body would be.
    #[serde(default)]
    #[schemars(with = "Vec<serde_json::Map<String, serde_json::Value>>")]
    pub(crate) rows: Vec<Spanned<toml::Table>>,
    /// The link table of the pair the links are of.
    #[schemars(with = "Option<String>")]
    pub(crate) pair: Option<Spanned<String>>,
    /// Pairs of ids, the managing side's first.
    #[serde(default)]
    pub(crate) links: Vec<[i64; 2]>,
}

/// One resource.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Resource {
    /// Singular, for messages and forms ("book").
    #[schemars(with = "String")]
    pub(crate) name: Spanned<String>,
    /// The collection's path and relation name ("books", "cart/items").
    #[schemars(with = "String")]
    pub(crate) path: Spanned<String>,
    /// The table; by default the path with `-` and `/` as `_`.
    #[schemars(with = "Option<String>")]
    pub(crate) table: Option<Spanned<String>>,
    /// The property whose value titles links to these resources.
    #[schemars(with = "Option<String>")]
    pub(crate) label: Option<Spanned<String>>,
    /// Who may change or delete one: `open` (default) or `owner` (only the resource
    /// itself, with its account's bearer token).
    #[schemars(with = "Option<String>")]
    pub(crate) write: Option<Spanned<String>>,
    /// A named behaviour run when one is created (`open-account`).
    #[schemars(with = "Option<String>")]
    pub(crate) on_create: Option<Spanned<String>>,
    /// The properties, in rendering order.
    #[serde(default, rename = "field")]
    pub(crate) fields: Vec<FieldDecl>,
}

/// One property.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FieldDecl {
    /// The JSON property (camelCase).
    #[schemars(with = "String")]
    pub(crate) name: Spanned<String>,
    /// The column; by default the name in snake_case.
    #[schemars(with = "Option<String>")]
    pub(crate) column: Option<Spanned<String>>,
    /// `text`, `email`, `int`, `date`, `choice`, `money`, `share` or `ref`; a computed
    /// field takes its type from what it computes.
    #[serde(rename = "type")]
    #[schemars(with = "Option<String>")]
    pub(crate) ty: Option<Spanned<String>>,
    /// `required`, `optional` (default), `immutable`, `assigned` or `read-only`.
    #[schemars(with = "Option<String>")]
    pub(crate) access: Option<Spanned<String>>,
    /// Text: the most characters.
    #[schemars(with = "Option<i64>")]
    pub(crate) max: Option<Spanned<i64>>,
    /// Decimal: the decimal places (1 to 9).
    #[schemars(with = "Option<i64>")]
    pub(crate) scale: Option<Spanned<i64>>,
    /// Int and decimal: the least value.
    #[schemars(with = "Option<i64>")]
    pub(crate) min: Option<Spanned<i64>>,
    /// Email: the column holding the lower-cased address (unique ignoring case).
    #[schemars(with = "Option<String>")]
    pub(crate) key: Option<Spanned<String>>,
    /// Choice: the allowed values.
    #[schemars(with = "Option<Vec<String>>")]
    pub(crate) choices: Option<Spanned<Vec<String>>>,
    /// Share: the column holding the share scaled by 10^4.
    #[schemars(with = "Option<String>")]
    pub(crate) units: Option<Spanned<String>>,
    /// Share: the reference field whose target's shares add up to at most 1.
    #[schemars(with = "Option<String>")]
    pub(crate) ceiling: Option<Spanned<String>>,
    /// Ref: the path of the referenced collection.
    #[schemars(with = "Option<String>")]
    pub(crate) to: Option<Spanned<String>>,
    /// Ref: the link relation (by default the target's singular name).
    #[schemars(with = "Option<String>")]
    pub(crate) rel: Option<Spanned<String>>,
    /// The value an optional field takes when left out or null.
    #[schemars(with = "Option<serde_json::Value>")]
    pub(crate) default: Option<Spanned<toml::Value>>,
    /// No two resources may have the same value.
    #[serde(default)]
    pub(crate) unique: bool,
    /// What forms call it; by default words made from the name (`bookId`: "Book").
    #[schemars(with = "Option<String>")]
    pub(crate) prompt: Option<Spanned<String>>,
    /// What forms say under it; by default the validation rule in words.
    #[schemars(with = "Option<String>")]
    pub(crate) help: Option<Spanned<String>>,
    /// A read-only value the database computes.
    #[schemars(with = "Option<Computed>")]
    pub(crate) computed: Option<Spanned<Computed>>,
}

/// What a computed field computes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Computed {
    /// The number of related resources: the other side's path of a pair.
    #[schemars(with = "Option<String>")]
    pub(crate) count: Option<Spanned<String>>,
    /// The sum of `of` over the children at this path.
    #[schemars(with = "Option<String>")]
    pub(crate) sum: Option<Spanned<String>>,
    /// A value of the resource a reference field (by its `rel`) points at: `of`.
    #[schemars(with = "Option<String>")]
    pub(crate) through: Option<Spanned<String>>,
    /// The product of two fields of this resource.
    #[schemars(with = "Option<Vec<String>>")]
    pub(crate) product: Option<Spanned<Vec<String>>>,
    /// With `sum` and `through`: the field.
    #[schemars(with = "Option<String>")]
    pub(crate) of: Option<Spanned<String>>,
}

/// One side of a pair.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SideDecl {
    /// The resources' path.
    #[schemars(with = "String")]
    pub(crate) resource: Spanned<String>,
    /// The link-table column holding their ids.
    #[schemars(with = "String")]
    pub(crate) column: Spanned<String>,
    /// Whether these resources list the other side as item links (default true).
    pub(crate) inline: Option<bool>,
}

/// A many-to-many pair.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PairDecl {
    /// The link table.
    #[schemars(with = "String")]
    pub(crate) table: Spanned<String>,
    /// The managing side.
    pub(crate) left: SideDecl,
    /// The other side.
    pub(crate) right: SideDecl,
    /// `sub-resources`, `link-patch`, `query-form`, `add-remove`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) styles: Vec<Spanned<String>>,
    /// The path of the cross-resource backed by the link table.
    #[schemars(with = "Option<String>")]
    pub(crate) cross: Option<Spanned<String>>,
}

/// A one-to-many relationship.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChildrenDecl {
    /// The parent's path.
    #[schemars(with = "String")]
    pub(crate) parent: Spanned<String>,
    /// The children's path.
    #[schemars(with = "String")]
    pub(crate) child: Spanned<String>,
    /// The child table's column holding the parent's id.
    #[schemars(with = "String")]
    pub(crate) column: Spanned<String>,
    /// `dependent` (the children live only under the parent) or `belongs-to`.
    #[schemars(with = "String")]
    pub(crate) style: Spanned<String>,
    /// A named behaviour run after every write of a child.
    #[schemars(with = "Option<String>")]
    pub(crate) after_write: Option<Spanned<String>>,
}

/// The singleton.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SingletonDecl {
    /// Its path (`cart`).
    #[schemars(with = "String")]
    pub(crate) path: Spanned<String>,
    /// The owners' path.
    #[schemars(with = "String")]
    pub(crate) owner: Spanned<String>,
    /// The path of its items.
    #[schemars(with = "String")]
    pub(crate) items: Spanned<String>,
    /// `cart` (the shop's cart; the bookshop's tables) or, by default, the generic one.
    #[schemars(with = "Option<String>")]
    pub(crate) behaviour: Option<Spanned<String>>,
    /// The table of its rows; by default the path with `-` as `_`.
    #[schemars(with = "Option<String>")]
    pub(crate) table: Option<Spanned<String>>,
    /// The column naming the owner; by default the owner's singular name and `_id`.
    #[schemars(with = "Option<String>")]
    pub(crate) owner_column: Option<Spanned<String>>,
    /// The items' column naming the singleton's row; by default the table and `_id`.
    #[schemars(with = "Option<String>")]
    pub(crate) items_column: Option<Spanned<String>>,
    /// Its parts.
    #[serde(default, rename = "part")]
    pub(crate) parts: Vec<PartDecl>,
}

/// One part of the singleton.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PartDecl {
    /// The part's resource path.
    #[schemars(with = "String")]
    pub(crate) resource: Spanned<String>,
    /// `fields` (the default), or for the cart `shipping`, `billing` or `card`.
    #[schemars(with = "Option<String>")]
    pub(crate) kind: Option<Spanned<String>>,
}
