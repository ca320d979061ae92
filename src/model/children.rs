//! One-to-many: a parent and the children that point at it. Two styles: belongs-to (an
//! invoice belongs to a customer and is also a top-level resource) and existentially
//! dependent (a line item exists only under its invoice and vanishes with it).

use super::entity::Entity;
use crate::db::DbConn;
use crate::error::ApiResult;

/// Runs in the transaction that creates or changes a child, after the write, with the
/// parent's id; an error undoes the write.
pub(crate) type AfterWrite = fn(&mut DbConn, i64) -> ApiResult<()>;

/// A parent and its children.
#[derive(Debug)]
pub(crate) struct Children {
    /// The parent collection.
    pub(crate) parent: &'static Entity,
    /// The children; for a dependent child its `parent` names the same column.
    pub(crate) child: &'static Entity,
    /// The child table's column holding the parent id.
    pub(crate) column: &'static str,
    /// The child's property naming the parent, for a belongs-to child (`customerId`).
    pub(crate) property: Option<&'static str>,
    /// True when the children exist only under their parent (deleted with it); false
    /// for belongs-to (the parent cannot be deleted while it has children).
    pub(crate) dependent: bool,
    /// A rule the parent keeps over all its children (an invoice's sums stay in range).
    pub(crate) after_write: Option<AfterWrite>,
}

impl Children {
    /// `invoices/1/lineitems`.
    pub(crate) fn collection_path(&self, parent_id: i64) -> String {
        format!("{}/{}", self.parent.item_path(parent_id), self.child.path)
    }

    /// The relation name of the children collection link: `collection/lineitems`.
    pub(crate) fn collection_rel(&self) -> String {
        format!("collection/{}", self.child.path)
    }
}
