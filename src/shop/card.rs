//! Payment cards: the Luhn check, the brand by prefix, the last four digits, and the
//! `MM/YY` expiry. A card number goes no further than [`take_number`].

use serde_json::{Map, Value};

use crate::clock::Utc;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::store::Assignment;

/// Takes `cardNumber` out of a payment body and returns the brand and last four digits
/// to store (`None` when the body has no number). The number itself goes no further
/// than this function.
pub(crate) fn take_number(map: &mut Map<String, Value>) -> ApiResult<Option<Vec<Assignment>>> {
    let Some(number) = map.remove("cardNumber") else {
        return Ok(None);
    };
    let digits: String = number
        .as_str()
        .ok_or_else(|| ApiError::field("cardNumber", "must be a string of digits"))?
        .chars()
        .filter(|c| *c != ' ' && *c != '-')
        .collect();
    if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::field("cardNumber", "must be 12 to 19 digits"));
    }
    if !luhn(&digits) {
        return Err(ApiError::field(
            "cardNumber",
            "is not a valid card number (checksum)",
        ));
    }
    Ok(Some(vec![
        ("card_brand", db::Value::Text(brand(&digits).into())),
        (
            "card_last4",
            db::Value::Text(digits[digits.len() - 4..].into()),
        ),
    ]))
}

/// The Luhn checksum every card number carries.
pub(crate) fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The card brand by its number's prefix.
pub(crate) fn brand(digits: &str) -> &'static str {
    let prefix = |n: usize| {
        digits
            .get(..n)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    match () {
        _ if digits.starts_with('4') => "visa",
        _ if (51..=55).contains(&prefix(2)) || (2221..=2720).contains(&prefix(4)) => "mastercard",
        _ if prefix(2) == 34 || prefix(2) == 37 => "amex",
        _ if prefix(4) == 6011 || prefix(2) == 65 => "discover",
        _ => "other",
    }
}

/// `expiry` is `MM/YY` and not in the past (a card is valid through its month).
pub(crate) fn check_expiry(values: &[Assignment]) -> ApiResult<()> {
    let Some((_, db::Value::Text(expiry))) = values.iter().find(|(c, _)| *c == "card_expiry")
    else {
        return Ok(());
    };
    if parse_expiry(expiry).is_none() {
        return Err(ApiError::field("expiry", "must be MM/YY, e.g. \"09/29\""));
    }
    if has_expired(expiry) {
        return Err(ApiError::field(
            "expiry",
            "is in the past: the card has expired",
        ));
    }
    Ok(())
}

/// The year and month an `MM/YY` expiry names; `None` unless it is exactly that shape
/// (digits only: `parse` alone would take `+1` for a month).
fn parse_expiry(expiry: &str) -> Option<(i64, u32)> {
    let (month, year) = expiry.split_once('/')?;
    let two_digits = |text: &str| text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(month) || !two_digits(year) {
        return None;
    }
    let month: u32 = month.parse().ok()?;
    let year: i64 = year.parse().ok()?;
    (1..=12).contains(&month).then_some((2000 + year, month))
}

/// True unless `expiry` names this month or a later one (a card is valid through the
/// month it names). Checkout asks again: the month may have ended since the card was
/// entered.
pub(crate) fn has_expired(expiry: &str) -> bool {
    let now = Utc::now();
    parse_expiry(expiry).is_none_or(|named| named < (now.year, now.month))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_test_cards_and_rejects_a_changed_digit() {
        assert!(luhn("4111111111111111"));
        assert!(luhn("5555555555554444"));
        assert!(luhn("378282246310005"));
        assert!(!luhn("4111111111111112"));
    }

    #[test]
    fn brands_follow_the_prefixes() {
        assert_eq!(brand("4111111111111111"), "visa");
        assert_eq!(brand("5555555555554444"), "mastercard");
        assert_eq!(brand("2221000000000009"), "mastercard");
        assert_eq!(brand("378282246310005"), "amex");
        assert_eq!(brand("6011111111111117"), "discover");
    }
}
