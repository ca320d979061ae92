//! Accounts (§3): users, who own their cart and token, and groups, related by
//! Add/Remove only.

use crate::model::{Access, Auth, Entity, Field, Kind, Pair, Side, Styles};
use crate::shop::accounts;

/// The user collection.
pub(crate) static USERS: Entity = Entity {
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
    after_create: Some(accounts::open_account),
};

/// The group collection.
pub(crate) static GROUPS: Entity = Entity {
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
    after_create: None,
};

/// Groups and users (§3): only `:add`/`:remove` on the group, and the lists of both
/// sides; the membership is not a resource, and neither side inlines the other.
pub(crate) static GROUPS_AND_USERS: Pair = Pair {
    table: "group_members",
    left: Side {
        entity: &GROUPS,
        column: "group_id",
        inline: false,
    },
    right: Side {
        entity: &USERS,
        column: "user_id",
        inline: false,
    },
    styles: Styles {
        add_remove: true,
        ..Styles::NONE
    },
};
