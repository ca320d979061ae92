//! Fleet (§5): cars and drivers, two-sided sub-resources and the query form.

use crate::model::{Access, Auth, Entity, Field, Kind, Pair, Side, Styles};

/// The car collection.
pub(crate) static CARS: Entity = Entity {
    name: "car",
    path: "cars",
    table: "cars",
    label: Some("license_plate"),
    fields: &[
        Field {
            name: "licensePlate",
            column: "license_plate",
            kind: Kind::Text { max: 32 },
            access: Access::Required,
        },
        Field {
            name: "model",
            column: "model",
            kind: Kind::Text { max: 200 },
            access: Access::Optional,
        },
    ],
    parent: None,
    auth: Auth::Open,
    after_create: None,
};

/// The driver collection.
pub(crate) static DRIVERS: Entity = Entity {
    name: "driver",
    path: "drivers",
    table: "drivers",
    label: Some("name"),
    fields: &[Field {
        name: "name",
        column: "name",
        kind: Kind::Text { max: 500 },
        access: Access::Required,
    }],
    parent: None,
    auth: Auth::Open,
    after_create: None,
};

/// Cars and drivers (§5): two-sided sub-resources and the query form, no cross-resource.
pub(crate) static CARS_AND_DRIVERS: Pair = Pair {
    table: "cars_drivers",
    left: Side {
        entity: &CARS,
        column: "car_id",
        inline: true,
    },
    right: Side {
        entity: &DRIVERS,
        column: "driver_id",
        inline: true,
    },
    styles: Styles {
        sub_resources: true,
        query_form: true,
        ..Styles::NONE
    },
};
