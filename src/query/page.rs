//! Keyset pagination shared by every collection: parameters, the page query's tail and
//! the collection body.

use serde_json::{json, Map, Value};

use super::filter::{self, Filter, FilterField};
use super::token::PageTokens;
use super::Query;
use crate::db::Sql;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::hal::Links;

/// Page size when the client gives none (or 0).
pub const DEFAULT_PAGE_SIZE: i64 = 25;
/// Larger requested sizes are coerced to this.
pub const MAX_PAGE_SIZE: i64 = 1000;

/// The query parameters every collection accepts.
pub const PAGE_PARAMS: [&str; 3] = ["max_page_size", "page_token", "filter"];

/// What a client asked of one page.
#[derive(Debug)]
pub struct PageRequest {
    /// Rows on this page.
    pub size: i64,
    /// The id after which this page starts.
    pub after: Option<i64>,
    /// The parsed filter.
    pub filter: Option<Filter>,
    token: Option<String>,
    scope: String,
    path: String,
    params: Vec<(String, String)>,
}

/// The parameter names in links are the camelCase ones the contract shows.
fn link_name(name: &str) -> &str {
    match name {
        "max_page_size" => "maxPageSize",
        "page_token" => "pageToken",
        other => other,
    }
}

impl PageRequest {
    /// Reads `maxPageSize`, `pageToken` and `filter` from `query`. `path` is the
    /// collection's path (`books/1/authors`); every other parameter in `query` narrows the
    /// collection and, like the filter, is part of the token's scope.
    pub fn parse(
        query: &Query,
        path: &str,
        fields: &[FilterField],
        tokens: &PageTokens,
    ) -> ApiResult<PageRequest> {
        let size = match query.get("max_page_size") {
            None => DEFAULT_PAGE_SIZE,
            Some(text) => match text.parse::<i64>() {
                Ok(0) => DEFAULT_PAGE_SIZE,
                Ok(n) if n > 0 => n.min(MAX_PAGE_SIZE),
                _ if text.bytes().all(|b| b.is_ascii_digit()) => MAX_PAGE_SIZE,
                _ => {
                    return Err(ApiError::field(
                        "maxPageSize",
                        "must be a non-negative integer",
                    ))
                }
            },
        };
        let filter = match query.get("filter") {
            None => None,
            Some(text) => Some(filter::parse(text, fields).map_err(|e| {
                ApiError::fields(vec![FieldError::new(
                    "filter",
                    format!("{} (at position {})", e.message, e.position),
                )])
            })?),
        };
        let params: Vec<(String, String)> = query
            .pairs()
            .filter(|(name, _)| *name != "page_token" && *name != "max_page_size")
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        let scope = std::iter::once(path.to_owned())
            .chain(params.iter().map(|(k, v)| format!("{k}={v}")))
            .collect::<Vec<_>>()
            .join("\n");
        let after = match query.get("page_token") {
            None => None,
            Some(token) => Some(tokens.verify(&scope, token).map_err(|e| {
                crate::metrics::metrics().token_rejected();
                ApiError::field("pageToken", e.0)
            })?),
        };
        let mut all_params: Vec<(String, String)> = query
            .pairs()
            .filter(|(name, _)| *name != "page_token")
            .map(|(k, v)| (link_name(k).to_owned(), v.to_owned()))
            .collect();
        all_params.sort();
        Ok(PageRequest {
            size,
            after,
            filter,
            token: query.get("page_token").map(str::to_owned),
            scope,
            path: path.to_owned(),
            params: all_params,
        })
    }

    /// The conditions and ordering this page adds to a query over `table`: the filter,
    /// the keyset position and one row more than the page, to know if another follows.
    pub fn push_tail(&self, sql: &mut Sql, table: &str) {
        if let Some(filter) = &self.filter {
            sql.push(" AND ").append(&filter.to_sql());
        }
        if let Some(after) = self.after {
            sql.push(&format!(" AND {table}.id > ")).bind(after);
        }
        // The limit is part of the text, not bound: SQLite re-prepares a statement on
        // every run when a bound value feeds its LIMIT (the planner reads the value),
        // which cost a page of /books an eighth of its CPU. The size is one of at most
        // MAX_PAGE_SIZE values the server chose, so the texts stay few.
        sql.push(&format!(" ORDER BY {table}.id LIMIT {}", self.size + 1));
    }

    /// The collection body: `_links` (`self`, `first`, `next`), the items embedded under
    /// `rel`, and `nextPageToken` when another page follows. `ids` are the items' ids in
    /// order; the query asked for one more row than the page size.
    pub fn render(
        &self,
        links: &Links,
        rel: &str,
        mut items: Vec<Value>,
        ids: &[i64],
        tokens: &PageTokens,
        extra_links: Map<String, Value>,
    ) -> Value {
        let has_more = items.len() as i64 > self.size;
        items.truncate(self.size as usize);
        let next_token = if has_more {
            ids.get(self.size as usize - 1)
                .map(|last| tokens.sign_at(&self.scope, *last, crate::db::replicas::position()))
        } else {
            None
        };
        let href = |token: Option<&str>| {
            let mut pairs: Vec<(&str, &str)> = self
                .params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            if let Some(token) = token {
                pairs.push(("pageToken", token));
            }
            json!({ "href": links.href_query(&self.path, &pairs) })
        };
        let mut link_map = Map::new();
        link_map.insert("self".into(), href(self.token.as_deref()));
        link_map.insert("first".into(), href(None));
        if let Some(token) = &next_token {
            link_map.insert("next".into(), href(Some(token)));
        }
        link_map.extend(extra_links);
        // Built from its parts, not with `json!`: the macro would serialize the items
        // into a copy of themselves (a tenth of a page's CPU).
        let mut embedded = Map::new();
        embedded.insert(rel.to_owned(), Value::Array(items));
        let mut body = Map::new();
        body.insert("_links".into(), Value::Object(link_map));
        body.insert("_embedded".into(), Value::Object(embedded));
        if let Some(token) = next_token {
            body.insert("nextPageToken".into(), Value::String(token));
        }
        Value::Object(body)
    }
}
