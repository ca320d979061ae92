//! Many-to-many: a [`Pair`] names a link table and its two [`Side`]s and says which
//! established styles expose it (`rest` has one module per style). Plain data.

use super::entity::Entity;

/// Item-link arrays stop here; clients follow the collection link for the rest.
pub(crate) const MAX_ITEM_LINKS: i64 = 100;

/// One side of a many-to-many pair.
#[derive(Debug)]
pub(crate) struct Side {
    /// The resources on this side.
    pub(crate) entity: &'static Entity,
    /// The link-table column holding their ids.
    pub(crate) column: &'static str,
    /// Whether these resources list the other side as an array of item links (a group
    /// never inlines its users: the list may be long).
    pub(crate) inline: bool,
}

/// Which styles expose a pair. A new style is a field here (off in [`Styles::NONE`], so
/// no pair changes) and a module in `rest`.
#[derive(Debug)]
pub(crate) struct Styles {
    /// §2b: `PUT|DELETE|GET /{from}/{id}/{to}/{toId}`, `text/uri-list` PUT/POST on the
    /// sub-collection and create-and-link POST, on both sides.
    pub(crate) sub_resources: bool,
    /// §2a: `PATCH /{from}/{id}` with the other side's link array sets the relation.
    pub(crate) link_patch: bool,
    /// `GET /{to}?{from}_id={id}`: the query form of the sub-collection, both sides.
    pub(crate) query_form: bool,
    /// §3: `POST /{left}/{id}/{right}:add|:remove`, managed by the left side only.
    pub(crate) add_remove: bool,
    /// §2c: the link table as a resource of its own, with properties.
    pub(crate) cross: Option<&'static Entity>,
}

impl Styles {
    /// No style but the sub-collection lists every pair has.
    pub(crate) const NONE: Styles = Styles {
        sub_resources: false,
        link_patch: false,
        query_form: false,
        add_remove: false,
        cross: None,
    };
}

/// A many-to-many relationship stored in one link table.
#[derive(Debug)]
pub(crate) struct Pair {
    /// The link table; it has `UNIQUE (left.column, right.column)`.
    pub(crate) table: &'static str,
    /// The managing side (the one with `:add`/`:remove`).
    pub(crate) left: Side,
    /// The other side.
    pub(crate) right: Side,
    /// The styles that expose it.
    pub(crate) styles: Styles,
}

/// A pair seen from one side: `from`'s resources relate to `to`'s.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View {
    /// The pair.
    pub(crate) pair: &'static Pair,
    /// The side the URL starts from.
    pub(crate) from: &'static Side,
    /// The related side.
    pub(crate) to: &'static Side,
}

impl Pair {
    /// Both views of the pair, left first.
    pub(crate) fn views(&'static self) -> [View; 2] {
        [
            View {
                pair: self,
                from: &self.left,
                to: &self.right,
            },
            View {
                pair: self,
                from: &self.right,
                to: &self.left,
            },
        ]
    }
}

impl View {
    /// The sub-collection path: `books/1/authors`.
    pub(crate) fn collection_path(&self, from_id: i64) -> String {
        format!(
            "{}/{}/{}",
            self.from.entity.path, from_id, self.to.entity.path
        )
    }

    /// The relation name of the sub-collection link: `collection/authors`.
    pub(crate) fn collection_rel(&self) -> String {
        format!("collection/{}", self.to.entity.path)
    }

    /// True when this view starts from the managing side (the one with `:add`).
    pub(crate) fn starts_at_manager(&self) -> bool {
        std::ptr::eq(self.from, &self.pair.left)
    }
}
