//! The descriptor types: resources and their fields, many-to-many pairs with the styles
//! that expose them, one-to-many children, and the one-to-one singleton. Plain data, no
//! SQL and no HTTP: `store` generates the SQL from it, `rest` the routes, links and
//! forms, `api` the root, `/rels` and the OpenAPI document. A [`Model`] reaches every
//! handler as a value in the application state.

pub(crate) mod children;
pub(crate) mod entity;
pub(crate) mod pair;

pub(crate) use children::Children;
pub(crate) use entity::{Access, Auth, Entity, Field, Kind, Parent};
pub(crate) use pair::{Pair, Side, Styles, View, MAX_ITEM_LINKS};

/// A whole served model.
#[derive(Debug)]
pub struct Model {
    /// Every top-level collection, in the order the root lists them.
    pub(crate) collections: &'static [&'static Entity],
    /// Every many-to-many pair.
    pub(crate) pairs: &'static [&'static Pair],
    /// Every one-to-many relationship.
    pub(crate) children: &'static [&'static Children],
    /// The resource that exists once per owner (the cart), if the model has one.
    pub(crate) singleton: Option<&'static Singleton>,
    /// Where the tables come from.
    pub(crate) tables: Tables,
    /// Demo data for a database that start created.
    pub(crate) demo: &'static [Demo],
}

/// Demo data of a schema file.
#[derive(Debug)]
pub(crate) enum Demo {
    /// Rows of a resource, each as a create body; under `parent` for dependent children.
    Rows {
        /// The resource.
        entity: &'static Entity,
        /// The parent's id, for a dependent child.
        parent: Option<i64>,
        /// The bodies.
        rows: Vec<serde_json::Map<String, serde_json::Value>>,
    },
    /// Links of a pair: (managing side's id, other side's id).
    Links {
        /// The pair.
        pair: &'static Pair,
        /// The links.
        links: Vec<(i64, i64)>,
    },
}

/// Where a model's tables come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tables {
    /// The bookshop's embedded migrations (its tables, triggers and indexes as every
    /// release has created them).
    BookshopMigrations,
    /// Generated from the model at start: created on an empty database, extended when
    /// the model gains a resource, field or pair.
    Generated,
}

/// A resource that exists exactly once per owner and has no id of its own (a user's
/// cart): created with its owner, reached at `/{owner}/{id}/{path}` and, for the
/// authenticated owner, at `/{path}`. Its items are children under it, and it is split
/// into singleton parts (`/cart/shipping`), each read and replaced on its own.
#[derive(Debug)]
pub(crate) struct Singleton {
    /// `cart`.
    pub(crate) path: &'static str,
    /// The owners (users).
    pub(crate) owner: &'static Entity,
    /// The items under it (`/cart/items`).
    pub(crate) items: &'static Entity,
    /// The parts it is split into.
    pub(crate) parts: &'static [Part],
    /// What serves it.
    pub(crate) behaviour: SingletonBehaviour,
    /// The table of its rows, one per owner.
    pub(crate) table: &'static str,
    /// The column of that table naming the owner.
    pub(crate) owner_column: &'static str,
    /// The column of the items' table naming the singleton's row.
    pub(crate) items_column: &'static str,
}

/// What serves a singleton.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SingletonBehaviour {
    /// The generic machinery: the owner's items and parts, behind the owner's token.
    Plain,
    /// The shop's cart: a summary with totals and shipping, card parts and checkout.
    Cart,
}

/// One singleton part: its fields are columns of the singleton's row.
#[derive(Debug)]
pub(crate) struct Part {
    /// The part's descriptor (path `cart/shipping`, fields, table of the singleton).
    pub(crate) entity: &'static Entity,
    /// What the part holds.
    pub(crate) kind: PartKind,
}

/// What a singleton part holds, and so which behaviour serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartKind {
    /// Fields of the singleton's row, read and replaced together.
    Fields,
    /// The address orders ship to.
    Shipping,
    /// The billing address; the shipping address while never set.
    Billing,
    /// A payment card, kept as brand and last four digits.
    Card,
}

impl Model {
    /// How many top-level collections it has.
    pub fn collection_count(&self) -> usize {
        self.collections.len()
    }

    /// How many many-to-many pairs it has.
    pub fn pair_count(&self) -> usize {
        self.pairs.len()
    }

    /// How many one-to-many relationships it has.
    pub fn children_count(&self) -> usize {
        self.children.len()
    }

    /// The table of its first demo rows (to tell whether they are loaded already).
    pub(crate) fn demo_table(&self) -> Option<&'static str> {
        self.demo.iter().find_map(|demo| match demo {
            Demo::Rows { entity, .. } => Some(entity.table),
            Demo::Links { .. } => None,
        })
    }

    /// True when it has demo data of its own.
    pub fn has_demo(&self) -> bool {
        !self.demo.is_empty()
    }

    /// Where its tables come from.
    pub fn tables(&self) -> Tables {
        self.tables
    }

    /// True when it has a singleton.
    pub fn has_singleton(&self) -> bool {
        self.singleton.is_some()
    }

    /// Every view of a pair whose `from` side is `entity`.
    pub(crate) fn views_from<'a>(&'a self, entity: &'a Entity) -> impl Iterator<Item = View> + 'a {
        self.pairs
            .iter()
            .flat_map(|pair| pair.views())
            .filter(move |view| std::ptr::eq(view.from.entity, entity))
    }

    /// Every view of a pair whose `to` side is `entity`.
    pub(crate) fn views_to<'a>(&'a self, entity: &'a Entity) -> impl Iterator<Item = View> + 'a {
        self.pairs
            .iter()
            .flat_map(|pair| pair.views())
            .filter(move |view| std::ptr::eq(view.to.entity, entity))
    }

    /// Every one-to-many relationship whose parent is `entity`.
    pub(crate) fn children_of<'a>(
        &'a self,
        entity: &'a Entity,
    ) -> impl Iterator<Item = &'static Children> + 'a {
        self.children
            .iter()
            .copied()
            .filter(move |children| std::ptr::eq(children.parent, entity))
    }

    /// True when `entity` is a pair's cross-resource.
    pub(crate) fn is_cross(&self, entity: &Entity) -> bool {
        self.pairs.iter().any(|pair| {
            pair.styles
                .cross
                .is_some_and(|cross| std::ptr::eq(cross, entity))
        })
    }

    /// Every resource with a representation of its own: the collections, the dependent
    /// children, and the singleton's items and parts.
    pub(crate) fn entities(&self) -> Vec<&'static Entity> {
        let mut out: Vec<&'static Entity> = self.collections.to_vec();
        out.extend(
            self.children
                .iter()
                .filter(|c| c.dependent)
                .map(|c| c.child),
        );
        if let Some(singleton) = self.singleton {
            out.push(singleton.items);
            out.extend(singleton.parts.iter().map(|p| p.entity));
        }
        out
    }
}
