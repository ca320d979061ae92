//! Accounts: creating an account gives it its API token (shown once) and, for the
//! bookshop's users, their cart, in the creating transaction.

use serde_json::{Map, Value};

use super::owner;
use crate::db::{self, DbConn, Sql};
use crate::error::{ApiError, ApiResult};
use crate::http::auth::hash;

/// The `open-account` behaviour of the bookshop's users: their cart and their token.
pub(crate) fn open_account(conn: &mut DbConn, id: i64) -> ApiResult<Map<String, Value>> {
    owner::create_for(conn, id)?;
    issue_token(conn, id)
}

/// The `issue-token` behaviour of an account resource: its API token, shown once.
pub(crate) fn issue_token(conn: &mut DbConn, id: i64) -> ApiResult<Map<String, Value>> {
    let token = issue(conn, id)?;
    Ok(Map::from_iter([("token".to_owned(), Value::String(token))]))
}

/// Issues a new token for `user_id` inside the caller's transaction and returns it. The
/// clear token exists only in this return value.
fn issue(conn: &mut DbConn, user_id: i64) -> ApiResult<String> {
    let mut secret = [0u8; 32];
    getrandom::getrandom(&mut secret)
        .map_err(|e| ApiError::Internal(format!("no randomness for a token: {e}")))?;
    let secret: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let mut sql = Sql::new("INSERT INTO api_tokens (user_id, hash) VALUES (");
    sql.bind(user_id)
        .push(", ")
        .bind(hash(&secret))
        .push(") RETURNING id");
    let id = db::load_ids(conn, &sql)?
        .pop()
        .ok_or_else(|| ApiError::Internal("token insert returned no id".into()))?;
    Ok(format!("hal_{id}_{secret}"))
}
