//! §2a, link-array PATCH: `PATCH /{from}/{id}` with the other side's link array (at the
//! top level or under `_links`) sets the relation to exactly that set, in the PATCH's
//! transaction.

use serde_json::{Map, Value};

use super::style::PairStyle;
use crate::error::{ApiError, ApiResult};
use crate::hal::{reference, Links};
use crate::model::{Pair, View};

/// The style.
pub(crate) struct LinkPatch;

impl PairStyle for LinkPatch {
    fn offered(&self, pair: &Pair) -> bool {
        pair.styles.link_patch
    }

    fn patch_key(&self, view: View) -> Option<&'static str> {
        Some(view.to.entity.path)
    }

    fn patch(
        &self,
        view: View,
        links: &Links,
        body: &Map<String, Value>,
    ) -> ApiResult<Option<Vec<i64>>> {
        let name = view.to.entity.path;
        let value = body.get(name).map(|v| (v, name.to_owned())).or_else(|| {
            body.get("_links")
                .and_then(|l| l.get(name))
                .map(|v| (v, format!("_links.{name}")))
        });
        let Some((value, field)) = value else {
            return Ok(None);
        };
        let entries: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            Value::Object(_) => vec![value],
            _ => {
                return Err(ApiError::field(
                    field,
                    "must be an array of links to the related resources",
                ))
            }
        };
        let mut ids = Vec::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let target = match entry {
                Value::Object(link) => link.get("href").cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            let id = reference::parse_reference(&target, name, links.base())
                .map_err(|message| ApiError::field(format!("{field}[{i}]"), message))?;
            ids.push(id);
        }
        Ok(Some(ids))
    }
}
