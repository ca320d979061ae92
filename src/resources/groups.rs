//! Groups: `displayName` and the read-only `userCount`. Members are managed only through
//! `:add` and `:remove` (see `relations::pairs`); a group never inlines its users.

use actix_web::web;

use super::crud::{self, Options};
use super::entity::{Access, Auth, Entity, Field, Kind};

/// The group collection.
pub static GROUPS: Entity = Entity {
    name: "group",
    path: "groups",
    table: "user_groups",
    label: Some("display_name"),
    fields: &[
        Field {
            name: "displayName",
            column: "display_name",
            kind: Kind::Text { max: 200 },
            access: Access::Required,
        },
        Field {
            name: "userCount",
            // Counted when read, so it equals the members at every moment, races included.
            column: "(SELECT COUNT(*) FROM group_members gm WHERE gm.group_id = user_groups.id)",
            kind: Kind::Int {
                min: 0,
                max: i64::MAX,
            },
            access: Access::ReadOnly,
        },
    ],
    parent: None,
    auth: Auth::Open,
};

/// `/groups` and `/groups/{id}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crud::configure(cfg, &GROUPS, Options::default());
}
