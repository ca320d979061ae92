//! `text/uri-list` bodies: any bytes must give a list or a 400, never a panic; line
//! numbers are those of the input; each listed URI then goes through the reference
//! parser as the handlers do.
#![no_main]

use halyard::http::parse_uri_list;
use halyard::hal::reference::parse_reference_str;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("http://127.0.0.1:8080/").expect("a fixed base");
    if let Ok(lines) = parse_uri_list(data) {
        let count = data.split(|b| *b == b'\n').count();
        for (number, uri) in lines {
            assert!(number >= 1 && number <= count, "line {number} of {count}");
            assert!(!uri.is_empty() && !uri.starts_with('#'));
            let _ = parse_reference_str(&uri, "authors", &base);
        }
    }
});
