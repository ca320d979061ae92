//! Opaque, signed page tokens for keyset pagination.
//!
//! Collections are paged by ascending id, so a token only needs the last id of the
//! previous page. It is signed together with its scope (the collection path, its
//! narrowing parameters and the filter) so that a client can neither forge a position
//! nor reuse a token with another filter, where the id would mean something else.
//!
//! A token is URL-safe base64 without padding (safe unescaped in a query string) of
//! 25 bytes: the version (1), the last id as 8 bytes big-endian, and the first 16
//! bytes of HMAC-SHA256(key, version || last id || scope). The scope comes last in the
//! MAC input, so no two (id, scope) pairs produce the same input.
//!
//! A page read while read replicas are in use also carries the WAL position it was read
//! at (`db::replicas`): version 2, 33 bytes, the position as 8 more bytes after the id,
//! inside the MAC. Following `next` is then served by a server that has replayed that
//! position, so the next page never comes from an older state.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::digest::Key;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

const VERSION: u8 = 1;
const VERSION_AT: u8 = 2;
const ID_LEN: usize = 8;
const AT_LEN: usize = 8;
const TAG_LEN: usize = 16;
const TOKEN_LEN: usize = 1 + ID_LEN + TAG_LEN;
const TOKEN_AT_LEN: usize = TOKEN_LEN + AT_LEN;
/// Real tokens are 34 characters; refusing long input early bounds the work a client
/// can cause.
const MAX_TOKEN_CHARS: usize = 200;

/// Why a page token was refused; the text is meant for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenError(pub &'static str);

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for TokenError {}

const MALFORMED: TokenError = TokenError("the page token is malformed");
const UNSUPPORTED: TokenError =
    TokenError("the page token comes from an unsupported version; start from the first page");
const FORGED: TokenError =
    TokenError("the page token belongs to another collection or filter, or was tampered with");

/// Signs and verifies page tokens with one secret key.
#[derive(Clone)]
pub struct PageTokens {
    /// HMAC already keyed, cloned for each token instead of re-deriving the key.
    mac: HmacSha256,
}

impl fmt::Debug for PageTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the key material.
        f.write_str("PageTokens { .. }")
    }
}

impl PageTokens {
    /// `key` is a secret kept in the database (shared by every instance), so tokens
    /// stay valid across instances and restarts.
    pub fn new(key: &[u8]) -> Self {
        PageTokens {
            mac: HmacSha256::new(&key_block(key)),
        }
    }

    /// The token for the page after `last_id` within `scope`.
    pub fn sign(&self, scope: &str, last_id: i64) -> String {
        self.sign_at(scope, last_id, None)
    }

    /// Like [`sign`](Self::sign), for a page read at the WAL position `at`, if known.
    pub fn sign_at(&self, scope: &str, last_id: i64, at: Option<u64>) -> String {
        let id = last_id.to_be_bytes();
        let at = at.map(u64::to_be_bytes);
        let version = if at.is_some() { VERSION_AT } else { VERSION };
        let tag = self
            .keyed(version, &id, at.as_ref(), scope)
            .finalize()
            .into_bytes();
        let mut bytes = Vec::with_capacity(TOKEN_AT_LEN);
        bytes.push(version);
        bytes.extend_from_slice(&id);
        if let Some(at) = &at {
            bytes.extend_from_slice(at);
        }
        bytes.extend(tag.iter().take(TAG_LEN));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The WAL position a token says its page was read at, unchecked: it only decides
    /// which server answers the next page, and the token is verified there in full.
    pub fn position_hint(token: &str) -> Option<u64> {
        if token.len() > MAX_TOKEN_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() != TOKEN_AT_LEN || bytes[0] != VERSION_AT {
            return None;
        }
        let at: [u8; AT_LEN] = bytes[1 + ID_LEN..1 + ID_LEN + AT_LEN].try_into().ok()?;
        Some(u64::from_be_bytes(at))
    }

    /// The last id carried by `token`, if it was signed with this key for `scope`.
    pub fn verify(&self, scope: &str, token: &str) -> Result<i64, TokenError> {
        if token.len() > MAX_TOKEN_CHARS {
            return Err(MALFORMED);
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| MALFORMED)?;
        let Some((&version, rest)) = bytes.split_first() else {
            return Err(MALFORMED);
        };
        let expected = match version {
            VERSION => TOKEN_LEN,
            VERSION_AT => TOKEN_AT_LEN,
            _ => return Err(UNSUPPORTED),
        };
        if bytes.len() != expected {
            return Err(MALFORMED);
        }
        let Some((id, rest)) = rest.split_first_chunk::<ID_LEN>() else {
            return Err(MALFORMED);
        };
        let (at, tag) = if version == VERSION_AT {
            let Some((at, tag)) = rest.split_first_chunk::<AT_LEN>() else {
                return Err(MALFORMED);
            };
            (Some(at), tag)
        } else {
            (None, rest)
        };
        // Constant-time comparison of the leading TAG_LEN bytes of the full MAC.
        self.keyed(version, id, at, scope)
            .verify_truncated_left(tag)
            .map_err(|_| FORGED)?;
        Ok(i64::from_be_bytes(*id))
    }

    fn keyed(
        &self,
        version: u8,
        id: &[u8; ID_LEN],
        at: Option<&[u8; AT_LEN]>,
        scope: &str,
    ) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(&[version]);
        mac.update(id);
        if let Some(at) = at {
            mac.update(at);
        }
        mac.update(scope.as_bytes());
        mac
    }
}

/// The HMAC key block as RFC 2104 derives it (keys longer than a block are hashed
/// first, then zero-padded). Building it ourselves uses the infallible constructor, so
/// there is no `Result` to unwrap, and gives exactly the MAC that `new_from_slice` would.
fn key_block(key: &[u8]) -> Key<HmacSha256> {
    let mut block = Key::<HmacSha256>::default();
    let hashed;
    let source: &[u8] = if key.len() > block.len() {
        hashed = Sha256::digest(key);
        &hashed
    } else {
        key
    };
    for (slot, byte) in block.iter_mut().zip(source) {
        *slot = *byte;
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCOPE: &str = "/books/1/authors\nfilter=name : \"x\"";

    fn tokens() -> PageTokens {
        PageTokens::new(b"a secret key from the database")
    }

    #[test]
    fn a_token_with_a_position_round_trips_and_its_position_is_signed() {
        let tokens = tokens();
        let token = tokens.sign_at(SCOPE, 42, Some(0x16_B374_D848));
        assert_eq!(tokens.verify(SCOPE, &token), Ok(42));
        assert_eq!(PageTokens::position_hint(&token), Some(0x16_B374_D848));
        assert_eq!(PageTokens::position_hint(&tokens.sign(SCOPE, 42)), None);
        // Another position under the same tag is refused.
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[12] ^= 1;
        assert_eq!(
            tokens.verify(SCOPE, &URL_SAFE_NO_PAD.encode(&bytes)),
            Err(FORGED)
        );
    }

    #[test]
    fn round_trips() {
        let tokens = tokens();
        for id in [0, 1, 42, -1, i64::MIN, i64::MAX] {
            let token = tokens.sign(SCOPE, id);
            assert_eq!(token.len(), 34);
            assert!(token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(tokens.verify(SCOPE, &token), Ok(id));
        }
    }

    #[test]
    fn matches_the_documented_format() {
        let key = b"k";
        let token = PageTokens::new(key).sign("s", 258);
        let bytes = URL_SAFE_NO_PAD.decode(&token).expect("valid base64");
        let mut mac = HmacSha256::new_from_slice(key).expect("any key length");
        mac.update(&[1, 0, 0, 0, 0, 0, 0, 1, 2]);
        mac.update(b"s");
        let tag = mac.finalize().into_bytes();
        assert_eq!(bytes[..9], [1, 0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(bytes[9..], tag[..16]);
    }

    #[test]
    fn long_keys_give_the_standard_hmac() {
        for len in [0, 1, 32, 63, 64, 65, 200] {
            let key = vec![7_u8; len];
            let ours = PageTokens::new(&key)
                .keyed(VERSION, &[0; 8], None, "s")
                .finalize()
                .into_bytes();
            let mut standard = HmacSha256::new_from_slice(&key).expect("any key length");
            standard.update(&[1, 0, 0, 0, 0, 0, 0, 0, 0]);
            standard.update(b"s");
            assert_eq!(ours, standard.finalize().into_bytes(), "key length {len}");
        }
    }

    #[test]
    fn another_scope_fails() {
        let tokens = tokens();
        let token = tokens.sign(SCOPE, 7);
        assert_eq!(tokens.verify("/books/1/authors", &token), Err(FORGED));
        assert_eq!(tokens.verify("", &token), Err(FORGED));
    }

    #[test]
    fn another_key_fails() {
        let token = tokens().sign(SCOPE, 7);
        assert_eq!(
            PageTokens::new(b"another key").verify(SCOPE, &token),
            Err(FORGED)
        );
    }

    #[test]
    fn any_tampered_byte_fails() {
        let tokens = tokens();
        let bytes = URL_SAFE_NO_PAD
            .decode(tokens.sign(SCOPE, 7))
            .expect("valid base64");
        for at in 1..bytes.len() {
            let mut tampered = bytes.clone();
            tampered[at] ^= 0x01;
            let token = URL_SAFE_NO_PAD.encode(&tampered);
            assert_eq!(tokens.verify(SCOPE, &token), Err(FORGED), "byte {at}");
        }
        let mut other = bytes.clone();
        other[0] = 3;
        assert_eq!(
            tokens.verify(SCOPE, &URL_SAFE_NO_PAD.encode(&other)),
            Err(UNSUPPORTED)
        );
        // Version 2 carries a position: a version-1 body under its number is refused.
        other[0] = VERSION_AT;
        assert_eq!(
            tokens.verify(SCOPE, &URL_SAFE_NO_PAD.encode(&other)),
            Err(MALFORMED)
        );
    }

    #[test]
    fn garbage_fails_without_panicking() {
        let tokens = tokens();
        let valid = tokens.sign(SCOPE, 7);
        let huge = "A".repeat(1_000_000);
        let cases = [
            String::new(),
            "x".to_owned(),
            "AQ".to_owned(),
            "!!!!".to_owned(),
            "ééééé".to_owned(),
            "🦀".repeat(10),
            format!("{valid}="),
            format!("{valid}A"),
            valid[..valid.len() - 1].to_owned(),
            valid.replace('-', "+").replace('_', "/") + " ",
            format!(" {valid}"),
            "\0".repeat(34),
            huge,
            URL_SAFE_NO_PAD.encode([1_u8; 24]),
            URL_SAFE_NO_PAD.encode([1_u8; 26]),
        ];
        for token in &cases {
            let result = tokens.verify(SCOPE, token);
            assert!(
                result == Err(MALFORMED) || result == Err(FORGED),
                "{:?} gave {result:?}",
                token.get(..40)
            );
        }
    }

    #[test]
    fn tokens_are_canonical() {
        // A different last character that decodes to the same bytes would let one page
        // have several tokens; base64's strict trailing-bit check refuses it.
        let tokens = tokens();
        let valid = tokens.sign(SCOPE, 7);
        let last = valid.chars().last().expect("non-empty");
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let accepted = alphabet
            .chars()
            .filter(|c| {
                let token = format!("{}{c}", &valid[..valid.len() - 1]);
                tokens.verify(SCOPE, &token).is_ok()
            })
            .collect::<Vec<_>>();
        assert_eq!(accepted, vec![last]);
    }
}
