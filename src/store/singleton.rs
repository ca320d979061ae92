//! The SQL of a generic singleton: one row per owner, found by the owner's id.

use crate::db::{self, DbConn, Sql};
use crate::error::{ApiError, ApiResult};
use crate::model::Singleton;

impl Singleton {
    /// Makes the owner's row; runs in the transaction that creates the owner.
    pub(crate) fn create(&self, conn: &mut DbConn, owner_id: i64) -> ApiResult<()> {
        let mut sql = Sql::new(&format!(
            "INSERT INTO {} ({}) VALUES (",
            self.table, self.owner_column
        ));
        sql.bind(owner_id).push(")");
        sql.execute(conn)?;
        Ok(())
    }

    /// The id of the owner's row, locked for a write when `lock` is set.
    pub(crate) fn row_of(&self, conn: &mut DbConn, owner_id: i64, lock: bool) -> ApiResult<i64> {
        let mut sql = Sql::new(&format!(
            "SELECT id FROM {} WHERE {} = ",
            self.table, self.owner_column
        ));
        sql.bind(owner_id);
        if lock && db::is_postgres(conn) {
            sql.push(" FOR NO KEY UPDATE");
        }
        db::load_ids(conn, &sql)?
            .pop()
            .ok_or_else(|| ApiError::Internal(format!("owner {owner_id} has no {}", self.path)))
    }

    /// True when item `item_id` is in row `row_id`.
    pub(crate) fn holds(&self, conn: &mut DbConn, row_id: i64, item_id: i64) -> ApiResult<bool> {
        let mut sql = Sql::new(&format!(
            "SELECT COUNT(*) AS id FROM {} WHERE id = ",
            self.items.table
        ));
        sql.bind(item_id)
            .push(&format!(" AND {} = ", self.items_column))
            .bind(row_id);
        Ok(db::load_scalar(conn, &sql)? == 1)
    }
}
