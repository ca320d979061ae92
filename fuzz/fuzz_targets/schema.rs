//! The schema loader: any text gives a model or problems with their places, never a
//! panic (a stack overflow included), and every problem's place is inside the text.
//! A model that loads is leaked on purpose (it lives as long as the process), so this
//! target runs with leak detection off (`fuzz/run`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(problems) = halyard::schema::load(text) {
        let lines = text.lines().count().max(1);
        for problem in problems {
            assert!(problem.line <= lines + 1, "{problem} in {lines} lines");
        }
    }
});
