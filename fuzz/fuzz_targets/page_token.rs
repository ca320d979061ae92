//! Page tokens: any text must verify or be refused, never panic; a forged token is
//! refused; and every token the server signs verifies to the id it carries.
#![no_main]

use halyard::query::token::PageTokens;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let tokens = PageTokens::new(b"fuzzing key");
    let text = String::from_utf8_lossy(data);
    let scope = "books?filter=title";
    // Random text essentially never carries a valid 128-bit tag.
    if let Ok(id) = tokens.verify(scope, &text) {
        assert_eq!(
            tokens.sign(scope, id),
            text,
            "accepted a token we did not sign"
        );
    }
    if data.len() >= 8 {
        let id = i64::from_be_bytes(data[..8].try_into().expect("8 bytes"));
        let scope = String::from_utf8_lossy(&data[8..]);
        let token = tokens.sign(&scope, id);
        assert_eq!(tokens.verify(&scope, &token), Ok(id));
        assert!(tokens.verify(&format!("{scope}x"), &token).is_err());
    }
});
