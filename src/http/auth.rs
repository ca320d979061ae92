//! Bearer tokens: who a request authenticates as. Tokens are issued once when a user is
//! created (`shop::accounts`), stored only as a SHA-256 hash, and presented as
//! `Authorization: Bearer <token>`.
//!
//! A token reads `hal_<id>_<secret>`: the id finds the row, and the secret's hash is
//! compared in constant time, so neither a lookup by secret nor an early-exit
//! comparison leaks anything through timing.

use actix_web::http::header;
use actix_web::HttpRequest;
use diesel::QueryableByName;
use sha2::{Digest, Sha256};

use crate::db::{DbConn, Sql};
use crate::error::{ApiError, ApiResult};

#[derive(QueryableByName)]
struct TokenRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    user_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    hash: String,
}

/// The stored form of a token's secret.
pub(crate) fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Equal-length strings compared without an early exit.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The bearer token of a request, if it sent one (not yet checked).
pub(crate) fn bearer(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

fn unauthorized(why: &str) -> ApiError {
    ApiError::Unauthorized(format!(
        "{why}: send Authorization: Bearer <token>, the token POST /users returned"
    ))
}

/// The token's row id and secret, if `authorization` is a well-formed bearer token;
/// else the 401 saying what is wrong. Needs no database.
fn parse(authorization: Option<&str>) -> ApiResult<(i64, &str)> {
    let header = authorization.ok_or_else(|| unauthorized("this needs a token"))?;
    // The scheme is case-insensitive (RFC 9110 §11.1): `BEARER` is as good as `Bearer`.
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| unauthorized("the Authorization header is not a Bearer token"))?;
    let malformed = || unauthorized("the token is not valid");
    let rest = token.strip_prefix("hal_").ok_or_else(malformed)?;
    let (id, secret) = rest.split_once('_').ok_or_else(malformed)?;
    let id: i64 = id
        .parse()
        .ok()
        .filter(|_| id.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(malformed)?;
    Ok((id, secret))
}

/// 401 unless the request carries a well-formed bearer token. Checked before anything
/// else a handler reads, so a request without a token is 401 whatever else is wrong
/// with it (not a 400 about its body or query); the token itself is checked later,
/// with the database, by [`user`]. `super::account_only` runs it for every path of an
/// account's own resources.
pub(crate) fn presented(req: &HttpRequest) -> ApiResult<()> {
    parse(bearer(req).as_deref()).map(|_| ())
}

/// The user a request's `Authorization` header authenticates, or 401.
pub(crate) fn user(conn: &mut DbConn, authorization: Option<&str>) -> ApiResult<i64> {
    let (id, secret) = parse(authorization)?;
    let malformed = || unauthorized("the token is not valid");
    let mut sql = Sql::new("SELECT user_id, hash FROM api_tokens WHERE id = ");
    sql.bind(id);
    let row = sql.load::<TokenRow>(conn)?.pop().ok_or_else(malformed)?;
    if constant_time_eq(&row.hash, &hash(secret)) {
        Ok(row.user_id)
    } else {
        Err(malformed())
    }
}

/// Fails unless the request authenticates as `user_id`: 401 without a valid token, 403
/// with another user's.
pub(crate) fn require_user(
    conn: &mut DbConn,
    authorization: Option<&str>,
    user_id: i64,
) -> ApiResult<()> {
    if user(conn, authorization)? == user_id {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "this token belongs to another user".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_compare_equal_and_others_not() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }

    #[test]
    fn the_stored_hash_is_not_the_secret() {
        let secret = "s3cret";
        assert_ne!(hash(secret), secret);
        assert_eq!(hash(secret).len(), 64);
    }
}
