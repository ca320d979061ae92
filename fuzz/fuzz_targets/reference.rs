//! References in request bodies (`"/authors/3"`, `3`, `"http://host/api/v1/authors/3"`):
//! any text or JSON value must give an id or a message, never a panic, and an accepted
//! id is never negative.
#![no_main]

use halyard::hal::reference::{parse_reference, parse_reference_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for base in ["http://127.0.0.1:8080/", "https://x.example/api/v1/"] {
        let base = url::Url::parse(base).expect("a fixed base");
        if let Ok(id) = parse_reference_str(text, "authors", &base) {
            assert!(id >= 0, "{text:?} gave {id}");
        }
        // The same bytes read as a JSON value: numbers, strings with escapes, arrays.
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
            if let Ok(id) = parse_reference(&value, "authors", &base) {
                assert!(id >= 0, "{text:?} gave {id}");
            }
        }
    }
});
