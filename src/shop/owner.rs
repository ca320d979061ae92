//! Whose cart a request may see: the authenticated user's own, created with them, and
//! every answer about it private to them.

use crate::clock::Utc;
use crate::db::{self, DbConn, Sql};
use crate::error::{ApiError, ApiResult};
use crate::http::{auth, Ctx};

/// Whose cart a request may see: the authenticated user, and for `/users/{id}/cart`
/// only when that is the user in the path.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner {
    /// The user.
    pub(crate) user_id: i64,
    /// Their cart's row (never shown: the cart has no id of its own).
    pub(crate) cart_id: i64,
}

/// Authenticates the request (401) and, for `/users/{id}/cart`, checks it is that
/// user's own token (403); then finds the user's cart, locked when `lock` is set.
pub(crate) fn owner(
    conn: &mut DbConn,
    authorization: Option<&str>,
    path_user: Option<i64>,
    lock: bool,
) -> ApiResult<Owner> {
    let user_id = auth::user(conn, authorization)?;
    if let Some(other) = path_user.filter(|id| *id != user_id) {
        // Users are public (`GET /users/{id}`), so telling an unknown one from another
        // user's reveals nothing, and an unknown id in a path is 404 everywhere.
        if !db::exists(conn, "users", other)? {
            return Err(ApiError::NotFound(format!("there is no user {other}")));
        }
        return Err(ApiError::Forbidden(
            "this cart belongs to another user".into(),
        ));
    }
    let mut sql = Sql::new("SELECT id FROM carts WHERE user_id = ");
    sql.bind(user_id);
    if lock && db::is_postgres(conn) {
        sql.push(" FOR UPDATE");
    }
    let cart_id = db::load_ids(conn, &sql)?
        .pop()
        .ok_or_else(|| ApiError::Internal(format!("user {user_id} has no cart")))?;
    Ok(Owner { user_id, cart_id })
}

/// Creates a user's cart; runs in the transaction that creates the user.
pub(crate) fn create_for(conn: &mut DbConn, user_id: i64) -> ApiResult<()> {
    let mut sql = Sql::new("INSERT INTO carts (user_id, updated_at) VALUES (");
    sql.bind(user_id)
        .push(", ")
        .bind(Utc::now().rfc3339())
        .push(")");
    sql.execute(conn)?;
    Ok(())
}

/// Marks the cart changed.
pub(crate) fn touch(conn: &mut DbConn, cart_id: i64) -> ApiResult<()> {
    let mut sql = Sql::new("UPDATE carts SET updated_at = ");
    sql.bind(Utc::now().rfc3339())
        .push(" WHERE id = ")
        .bind(cart_id);
    sql.execute(conn)?;
    Ok(())
}

/// Runs `work` on the blocking pool with the authenticated user's cart (401 without a
/// valid token; for `/users/{id}/cart`, `path_user` must be that user, 403 otherwise).
pub(crate) async fn read_cart<T: Send + 'static>(
    ctx: &Ctx,
    path_user: Option<i64>,
    work: impl FnOnce(&mut DbConn, Owner) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let authorization = auth::bearer(&ctx.req);
    ctx.db(move |conn| {
        let owner = owner(conn, authorization.as_deref(), path_user, false)?;
        work(conn, owner)
    })
    .await
}

/// Runs `work` in one write transaction with the authenticated user's cart locked, so
/// that writes to one cart (a checkout among them) take their turn.
pub(crate) async fn write_cart<T: Send + 'static>(
    ctx: &Ctx,
    work: impl FnOnce(&mut DbConn, Owner) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let authorization = auth::bearer(&ctx.req);
    ctx.write(move |conn| {
        let owner = owner(conn, authorization.as_deref(), None, true)?;
        work(conn, owner)
    })
    .await
}
