//! The SQL of a one-to-many relationship: the children point at their parent by a column.

use crate::db::{self, DbConn, Sql};
use crate::error::{ApiError, ApiResult};
use crate::model::Children;

impl Children {
    /// ` AND child.column = $parent`: narrows a query over the child table.
    pub(crate) fn narrowing(&self, parent_id: i64) -> Sql {
        let mut sql = Sql::new(&format!(" AND {}.{} = ", self.child.table, self.column));
        sql.bind(parent_id);
        sql
    }

    /// How many children a parent has (to refuse deleting a belongs-to parent).
    pub(crate) fn count(&self, conn: &mut DbConn, parent_id: i64) -> ApiResult<i64> {
        let mut sql = Sql::new(&format!(
            "SELECT COUNT(*) AS id FROM {} WHERE {} = ",
            self.child.table, self.column
        ));
        sql.bind(parent_id);
        Ok(db::load_scalar(conn, &sql)?)
    }

    /// Fails with 404 unless `child_id` is a child of `parent_id`.
    pub(crate) fn check_belongs(
        &self,
        conn: &mut DbConn,
        parent_id: i64,
        child_id: i64,
    ) -> ApiResult<()> {
        let mut sql = Sql::new(&format!(
            "SELECT COUNT(*) AS id FROM {} WHERE id = ",
            self.child.table
        ));
        sql.bind(child_id).append(&self.narrowing(parent_id));
        if db::load_scalar(conn, &sql)? == 1 {
            Ok(())
        } else {
            Err(ApiError::NotFound(format!(
                "{} {parent_id} has no {} with id {child_id}",
                self.parent.name, self.child.name
            )))
        }
    }
}
