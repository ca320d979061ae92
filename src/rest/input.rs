//! Input at the edge: a JSON body checked against an entity's fields and turned into
//! column values, every error named by its field.

use serde_json::{json, Map, Value};

use crate::db;
use crate::decimal;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::hal::{reference, Links};
use crate::model::{Access, Entity, Field, Kind};
use crate::query::filter;
use crate::store::Assignment;

impl Entity {
    /// Validates a body against the fields and returns the column values to write.
    ///
    /// `current` is the resource as it is (for PATCH and PUT): immutable fields may be
    /// repeated but not changed. `replace` is true for create and PUT (every required
    /// field must be given; omitted optional ones return to their defaults). Read-only
    /// properties (`id`), `_links`, `_embedded` and `_templates` are ignored; any other
    /// unknown property is a 400. `skip` lists properties another layer handles.
    pub(crate) fn parse_body(
        &self,
        links: &Links,
        body: &Map<String, Value>,
        current: Option<&Map<String, Value>>,
        replace: bool,
        skip: &[&str],
    ) -> ApiResult<Vec<Assignment>> {
        let mut errors = Vec::new();
        let mut values = Vec::new();
        let mut seen = Vec::new();
        for (key, value) in body {
            if matches!(key.as_str(), "id" | "_links" | "_embedded" | "_templates")
                || skip.contains(&key.as_str())
            {
                continue;
            }
            let Some(field) = self.field_for_key(key) else {
                errors.push(FieldError::new(
                    key.clone(),
                    format!(
                        "unknown property; a {} has {}",
                        self.name,
                        self.writable_names().join(", ")
                    ),
                ));
                continue;
            };
            if seen.contains(&field.name) {
                errors.push(FieldError::new(
                    key.clone(),
                    "is given twice (in two spellings)",
                ));
                continue;
            }
            seen.push(field.name);
            if field.access == Access::ReadOnly {
                continue;
            }
            match self.parse_value(links, field, key, value) {
                Ok(parsed) => {
                    if field.access == Access::Immutable {
                        if let Some(current) = current {
                            if current.get(field.name) != Some(&parsed.1) {
                                errors.push(FieldError::new(
                                    key.clone(),
                                    "cannot change; delete this resource and create another instead",
                                ));
                            }
                            continue;
                        }
                    }
                    values.extend(parsed.0);
                }
                Err(message) => errors.push(FieldError::new(key.clone(), message)),
            }
        }
        if replace {
            for field in self.fields {
                if seen.contains(&field.name) {
                    continue;
                }
                match field.access {
                    Access::Required => {
                        errors.push(FieldError::new(field.name, "is required"));
                    }
                    Access::Immutable if current.is_none() => {
                        errors.push(FieldError::new(field.name, "is required"));
                    }
                    Access::Optional => values.extend(self.default_values(links, field)),
                    Access::Immutable | Access::Assigned | Access::ReadOnly => {}
                }
            }
        }
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(ApiError::fields(errors))
        }
    }

    /// The column values of an optional field left out or sent as null: its declared
    /// default (checked when the model was loaded), else the column's own.
    fn default_values(&self, links: &Links, field: &Field) -> Vec<Assignment> {
        let declared = field
            .default
            .and_then(|json| serde_json::from_str::<Value>(json).ok())
            .filter(|value| !value.is_null())
            .and_then(|value| self.parse_value(links, field, field.name, &value).ok());
        match declared {
            Some((values, _)) => values,
            None => default_of(field),
        }
    }

    /// Checks that `value` is one `field` accepts (a declared default), or says why not.
    pub(crate) fn check_value(&self, field: &Field, value: &Value) -> Result<(), String> {
        let links = Links::new(url::Url::parse("http://localhost/").map_err(|e| e.to_string())?);
        self.parse_value(&links, field, field.name, value)
            .map(|_| ())
    }

    /// Parses one property. Returns the column assignments and the value as it would
    /// render (to compare immutable fields with the current resource).
    fn parse_value(
        &self,
        links: &Links,
        field: &Field,
        key: &str,
        value: &Value,
    ) -> Result<(Vec<Assignment>, Value), String> {
        if value.is_null() {
            return match field.access {
                Access::Optional => Ok((self.default_values(links, field), Value::Null)),
                _ => Err("is required and cannot be null".into()),
            };
        }
        match field.kind {
            Kind::Text { max } => {
                let text = value.as_str().ok_or("must be a string")?;
                if text.trim().is_empty() {
                    return Err("must not be empty".into());
                }
                if text.chars().count() > max {
                    return Err(format!("must be at most {max} characters long"));
                }
                // PostgreSQL cannot store NUL in text (SQLite can): refuse it on both,
                // so the backends agree and it is a 400, not a failed INSERT.
                if text.contains('\0') {
                    return Err("must not contain the NUL character".into());
                }
                Ok((
                    vec![(field.column, db::Value::Text(text.to_owned()))],
                    value.clone(),
                ))
            }
            Kind::Email { key } => {
                let text = value.as_str().ok_or("must be a string")?;
                if !is_email(text) {
                    return Err("must be an email address like name@example.org".into());
                }
                Ok((
                    vec![
                        (field.column, db::Value::Text(text.to_owned())),
                        (key, db::Value::Text(text.to_lowercase())),
                    ],
                    value.clone(),
                ))
            }
            Kind::Int { min, max } => {
                let number = value
                    .as_i64()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| format!("must be an integer from {min} to {max}"))?;
                Ok((vec![(field.column, db::Value::Int(number))], json!(number)))
            }
            Kind::Date => {
                let text = value.as_str().unwrap_or("");
                if !filter::is_date(text) {
                    return Err("must be a date like \"2026-11-22\"".into());
                }
                Ok((
                    vec![(field.column, db::Value::Text(text.to_owned()))],
                    value.clone(),
                ))
            }
            Kind::Timestamp => {
                let text = value.as_str().unwrap_or("");
                if !is_timestamp(text) {
                    return Err("must be a UTC timestamp like \"2026-11-22T09:30:00Z\"".into());
                }
                Ok((
                    vec![(field.column, db::Value::Text(text.to_owned()))],
                    value.clone(),
                ))
            }
            Kind::Decimal { scale, min, max } => {
                let text = decimal_text(value, scale)?;
                let range = || {
                    format!(
                        "must be a decimal from {} to {} with at most {scale} decimals",
                        decimal::format(min, scale),
                        decimal::format(max, scale)
                    )
                };
                let scaled =
                    decimal::parse(&text, scale).map_err(|e| format!("{}: {}", range(), e.0))?;
                if !(min..=max).contains(&scaled) {
                    return Err(range());
                }
                Ok((
                    vec![(field.column, db::Value::Int(scaled))],
                    Value::String(decimal::format(scaled, scale)),
                ))
            }
            Kind::Choice(choices) => {
                let text = value.as_str().unwrap_or("");
                if !choices.contains(&text) {
                    return Err(format!("must be one of {}", choices.join(", ")));
                }
                Ok((
                    vec![(field.column, db::Value::Text(text.to_owned()))],
                    value.clone(),
                ))
            }
            Kind::Money => {
                let text = decimal_text(value, 2)?;
                let cents = decimal::parse(&text, 2)
                    .map_err(|e| format!("must be an amount like \"12.30\": {}", e.0))?;
                if cents < 0 {
                    return Err("must not be negative".into());
                }
                Ok((
                    vec![(field.column, db::Value::Int(cents))],
                    Value::String(decimal::format(cents, 2)),
                ))
            }
            Kind::Share { units, .. } => {
                // A share is kept as written, so it must be written: a string only.
                let text = value
                    .as_str()
                    .map(str::to_owned)
                    .ok_or("must be a decimal string like \"0.25\"")?;
                let scaled = decimal::parse(&text, 4).map_err(|e| {
                    format!("must be a decimal string between \"0\" and \"1\" with at most 4 decimals: {}", e.0)
                })?;
                if !(0..=10_000).contains(&scaled) {
                    return Err("must be between \"0\" and \"1\"".into());
                }
                Ok((
                    vec![
                        (field.column, db::Value::Text(text.clone())),
                        (units, db::Value::Int(scaled)),
                    ],
                    Value::String(text),
                ))
            }
            Kind::Ref { target, rel } => {
                let id = if key == rel {
                    reference::parse_reference(value, target.path, links.base())
                } else {
                    match value.as_i64() {
                        Some(id) if id >= 0 => Ok(id),
                        _ => reference::parse_reference(value, target.path, links.base()),
                    }
                }?;
                Ok((vec![(field.column, db::Value::Int(id))], json!(id)))
            }
        }
    }
}

fn default_of(field: &Field) -> Vec<Assignment> {
    match field.kind {
        Kind::Money => vec![(field.column, db::Value::Int(0))],
        Kind::Share { units, .. } => {
            vec![(field.column, db::Value::Null), (units, db::Value::Null)]
        }
        Kind::Text { .. }
        | Kind::Email { .. }
        | Kind::Int { .. }
        | Kind::Date
        | Kind::Timestamp
        | Kind::Decimal { .. }
        | Kind::Choice(_)
        | Kind::Ref { .. } => vec![(field.column, db::Value::Null)],
    }
}

/// A UTC timestamp: a date, `T`, a valid time of day, optional fractional seconds, `Z`.
fn is_timestamp(text: &str) -> bool {
    let (Some(date), Some(rest)) = (text.get(..10), text.get(10..)) else {
        return false;
    };
    let Some(time) = rest.strip_prefix('T').and_then(|t| t.strip_suffix('Z')) else {
        return false;
    };
    let (clock, fraction) = time.split_once('.').unwrap_or((time, "0"));
    let parts: Vec<&str> = clock.split(':').collect();
    let two = |text: &str, most: u32| {
        text.len() == 2
            && text.bytes().all(|b| b.is_ascii_digit())
            && text.parse::<u32>().is_ok_and(|n| n <= most)
    };
    filter::is_date(date)
        && parts.len() == 3
        && two(parts[0], 23)
        && two(parts[1], 59)
        && two(parts[2], 59)
        && !fraction.is_empty()
        && fraction.len() <= 9
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// A plausible email address: one `@`, a local part, a dotted domain, no spaces.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    text.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Decimals arrive as strings ("12.30"); a JSON number is taken by its text, but only
/// below 10^(15 - scale), where a double still carries every one of `scale` decimals
/// (a larger one would come with digits the client never wrote). The document says the
/// same (`rest::openapi::field_schema`).
fn decimal_text(value: &Value, scale: u32) -> Result<String, String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number)
            if number
                .as_f64()
                .is_some_and(|n| n.abs() < number_limit(scale)) =>
        {
            Ok(number.to_string())
        }
        Value::Number(_) => Err(format!(
            "must be a decimal string like \"0.25\" (a JSON number only below {})",
            number_limit(scale)
        )),
        _ => Err("must be a decimal string like \"0.25\"".into()),
    }
}

/// The bound under which a JSON number with `scale` decimals is exact.
pub(crate) fn number_limit(scale: u32) -> f64 {
    10f64.powi(15 - i32::try_from(scale).unwrap_or(15))
}
