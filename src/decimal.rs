//! Exact decimals stored as integers scaled by a power of ten.
//!
//! Money and other decimal amounts are kept as `i64` units (cents for a scale of 2)
//! because both SQLite and PostgreSQL store 64-bit integers exactly, while floating
//! point would turn "0.10" into something that no longer compares equal to itself.

use std::fmt;

/// Why a decimal could not be parsed: a phrase meant to follow the field name, as in
/// "price has more than 2 decimals".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecimalError(pub String);

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecimalError {}

/// Parses a decimal such as "12.30", "0.2", "-1.5" or "7" into units of 10^-`scale`.
///
/// The accepted form is deliberately narrow (optional '-', ASCII digits, optionally a
/// '.' followed by 1..=`scale` digits) so that a value is never silently rounded or
/// read in a way the client did not mean: "+1", ".5", "5.", "1e3", "NaN" and any
/// whitespace are refused. Scales above 18 cannot represent even 1 in an `i64`.
pub fn parse(text: &str, scale: u32) -> Result<i64, DecimalError> {
    let not_decimal = || DecimalError("is not a decimal number".to_owned());
    let too_large = || DecimalError("is too large".to_owned());

    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) if !fraction.is_empty() => (whole, fraction),
        Some(_) => return Err(not_decimal()),
        None => (unsigned, ""),
    };
    if !is_digits(whole) || !(fraction.is_empty() || is_digits(fraction)) {
        return Err(not_decimal());
    }
    let decimals = u32::try_from(fraction.len()).unwrap_or(u32::MAX);
    if decimals > scale {
        return Err(DecimalError(if scale == 0 {
            "must be a whole number".to_owned()
        } else {
            format!("has more than {scale} decimals")
        }));
    }

    let mut units: i64 = 0;
    for digit in whole.bytes().chain(fraction.bytes()) {
        units = units
            .checked_mul(10)
            .and_then(|u| u.checked_add(i64::from(digit - b'0')))
            .ok_or_else(too_large)?;
    }
    let padding = 10_i64.checked_pow(scale - decimals).ok_or_else(too_large)?;
    let units = units.checked_mul(padding).ok_or_else(too_large)?;
    // `units` is non-negative here, so negating it cannot overflow.
    Ok(if negative { -units } else { units })
}

/// Formats `units` of 10^-`scale` with exactly `scale` decimals (none when `scale` is
/// 0), so the text round-trips through [`parse`]: `format(2030, 2) == "20.30"`.
pub fn format(units: i64, scale: u32) -> String {
    // `unsigned_abs` keeps `i64::MIN` representable.
    let digits = units.unsigned_abs().to_string();
    let scale = usize::try_from(scale).unwrap_or(usize::MAX);
    let sign = if units < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    // Left-pad so there is at least one digit before the point.
    let padded = format!("{digits:0>width$}", width = scale.saturating_add(1));
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_accepted_forms() {
        assert_eq!(parse("12.30", 2), Ok(1230));
        assert_eq!(parse("12.3", 2), Ok(1230));
        assert_eq!(parse("0.2", 2), Ok(20));
        assert_eq!(parse("7", 2), Ok(700));
        assert_eq!(parse("-1.5", 2), Ok(-150));
        assert_eq!(parse("-0.05", 2), Ok(-5));
        assert_eq!(parse("-0", 2), Ok(0));
        assert_eq!(parse("007.10", 2), Ok(710));
        assert_eq!(parse("42", 0), Ok(42));
        assert_eq!(parse("1.234", 3), Ok(1234));
    }

    #[test]
    fn rejects_malformed_text() {
        for text in [
            "", "-", "+1", ".5", "-.5", "5.", "1e3", "1E3", "NaN", "inf", " 1", "1 ", "1 .5",
            "1..5", "1.2.3", "--1", "1-", "0x10", "1,5", "1_000", "١٢", "１", "\u{0}1", "½",
        ] {
            assert_eq!(
                parse(text, 2),
                Err(DecimalError("is not a decimal number".into())),
                "{text:?}"
            );
        }
    }

    #[test]
    fn rejects_more_decimals_than_the_scale() {
        assert_eq!(
            parse("1.234", 2),
            Err(DecimalError("has more than 2 decimals".into()))
        );
        assert_eq!(
            parse("1.0", 0),
            Err(DecimalError("must be a whole number".into()))
        );
    }

    #[test]
    fn rejects_overflow_instead_of_wrapping() {
        let too_large = Err(DecimalError("is too large".into()));
        assert_eq!(parse("92233720368547758.08", 2), too_large);
        assert_eq!(parse("92233720368547758.07", 2), Ok(i64::MAX));
        assert_eq!(parse("-92233720368547758.07", 2), Ok(-i64::MAX));
        assert_eq!(parse(&"9".repeat(100_000), 2), too_large);
        assert_eq!(parse("1", 19), too_large);
        // Leading zeros do not count towards the size.
        let zeros = format!("{}1", "0".repeat(100_000));
        assert_eq!(parse(&zeros, 2), Ok(100));
    }

    #[test]
    fn formats_with_exactly_scale_decimals() {
        assert_eq!(format(2030, 2), "20.30");
        assert_eq!(format(-5, 2), "-0.05");
        assert_eq!(format(0, 2), "0.00");
        assert_eq!(format(7, 0), "7");
        assert_eq!(format(-7, 0), "-7");
        assert_eq!(format(1234, 3), "1.234");
        assert_eq!(format(i64::MIN, 2), "-92233720368547758.08");
        assert_eq!(format(i64::MAX, 2), "92233720368547758.07");
        assert_eq!(format(5, 25), "0.0000000000000000000000005");
    }

    #[test]
    fn format_round_trips_through_parse() {
        for units in [0, 1, -1, 99, -100, 123_456, i64::MAX, -i64::MAX] {
            assert_eq!(parse(&format(units, 2), 2), Ok(units));
        }
    }
}
