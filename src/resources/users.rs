//! Users: `emailAddress` (unique ignoring case), `displayName`. Creating one issues its
//! API token, shown once; changing or deleting one needs that token.

use actix_web::web;
use serde_json::{Map, Value};

use super::crud::{self, Options};
use super::entity::{Access, Auth, Entity, Field, Kind};
use crate::auth;
use crate::db::DbConn;
use crate::error::ApiResult;

/// The user collection.
pub static USERS: Entity = Entity {
    name: "user",
    path: "users",
    table: "users",
    label: Some("display_name"),
    fields: &[
        Field {
            name: "emailAddress",
            column: "email_address",
            kind: Kind::Email { key: "email_key" },
            access: Access::Required,
        },
        Field {
            name: "displayName",
            column: "display_name",
            kind: Kind::Text { max: 200 },
            access: Access::Optional,
        },
    ],
    parent: None,
    auth: Auth::SelfOnly,
};

/// Gives the new user their cart and their token, in the creating transaction: a user
/// has a cart from the moment they exist.
fn after_create(conn: &mut DbConn, id: i64) -> ApiResult<Map<String, Value>> {
    super::cart::create_for(conn, id)?;
    let token = auth::issue(conn, id)?;
    Ok(Map::from_iter([("token".to_owned(), Value::String(token))]))
}

/// `/users` and `/users/{id}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crud::configure(
        cfg,
        &USERS,
        Options {
            after_create: Some(after_create),
        },
    );
}
