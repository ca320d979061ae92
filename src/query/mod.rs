//! The query language of every collection: checked query parameters, the AIP-160
//! filter, keyset pages and their signed page tokens.

pub mod filter;
pub(crate) mod page;
pub mod token;

use std::collections::BTreeMap;

use crate::error::{ApiError, ApiResult};

/// Query parameters, checked once: known names only, no duplicates, no empty values.
#[derive(Debug, Default, Clone)]
pub(crate) struct Query {
    values: BTreeMap<String, String>,
}

impl Query {
    /// Parses a raw query string. Each allowed name may also be written in camelCase
    /// (`book_id` or `bookId`); anything else is a 400 naming the parameter.
    pub(crate) fn parse(raw: &str, allowed: &[&str]) -> ApiResult<Query> {
        let mut values = BTreeMap::new();
        for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
            let canonical = allowed
                .iter()
                .find(|a| **a == name || camel_case(a) == name)
                .ok_or_else(|| {
                    ApiError::field(
                        name.to_string(),
                        format!(
                            "unknown query parameter; this path accepts {}",
                            if allowed.is_empty() {
                                "none".to_owned()
                            } else {
                                allowed.join(", ")
                            }
                        ),
                    )
                })?;
            if value.is_empty() {
                return Err(ApiError::field(name.to_string(), "must not be empty"));
            }
            if values
                .insert((*canonical).to_owned(), value.into_owned())
                .is_some()
            {
                return Err(ApiError::field(name.to_string(), "is given more than once"));
            }
        }
        Ok(Query { values })
    }

    /// The value of a parameter, by its canonical (snake_case) name.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Every parameter given, canonical names, sorted.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// `book_id` → `bookId`.
pub(crate) fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
