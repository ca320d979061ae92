//! How a collection is narrowed by query parameters: by a reference field
//! (`book_id=1` or `book=%2Fbooks%2F1`) or, where a style allows it, by the other side
//! of a pair (`car_id=1`). `*_id` parameters take an id; the others a hyperlink.

use super::style::Site;
use crate::db::Sql;
use crate::error::{ApiError, ApiResult};
use crate::hal::{reference, Links};
use crate::model::{Entity, Kind, View};
use crate::query::Query;

/// What one narrowing parameter compares.
#[derive(Clone, Copy)]
enum By {
    Field(&'static str),
    Related(View),
}

/// One narrowing parameter: its name, the collection its value names, what it compares.
struct Narrowing {
    param: String,
    target: &'static Entity,
    by: By,
}

fn narrowings(site: Site, entity: &'static Entity) -> Vec<Narrowing> {
    let mut out = Vec::new();
    for field in entity.fields {
        if let Kind::Ref { target, rel } = field.kind {
            for param in [field.column, rel] {
                out.push(Narrowing {
                    param: param.to_owned(),
                    target,
                    by: By::Field(field.column),
                });
            }
        }
    }
    for view in site.model.views_to(entity) {
        if site.styles_of(view.pair).any(|style| style.narrows(view)) {
            for param in [view.from.column, view.from.entity.name] {
                out.push(Narrowing {
                    param: param.to_owned(),
                    target: view.from.entity,
                    by: By::Related(view),
                });
            }
        }
    }
    out
}

/// The query parameters that narrow `entity`'s collection (`book_id`, `book`,
/// `car_id`…), leaving out those naming `except` (the parent a path already fixes).
pub(crate) fn names(site: Site, entity: &'static Entity, except: Option<&Entity>) -> Vec<String> {
    narrowings(site, entity)
        .into_iter()
        .filter(|n| except.is_none_or(|parent| !std::ptr::eq(n.target, parent)))
        .map(|n| n.param)
        .collect()
}

/// Each narrowing parameter of `entity`'s collection and the collection its value names.
pub(crate) fn targets(site: Site, entity: &'static Entity) -> Vec<(String, &'static str)> {
    narrowings(site, entity)
        .into_iter()
        .map(|n| (n.param, n.target.path))
        .collect()
}

/// The SQL conditions the narrowing parameters in `query` add, and whether there was
/// any.
pub(crate) fn sql(
    site: Site,
    entity: &'static Entity,
    links: &Links,
    query: &Query,
) -> ApiResult<(Sql, bool)> {
    let mut sql = Sql::default();
    let mut any = false;
    for narrowing in narrowings(site, entity) {
        let param = narrowing.param;
        let Some(value) = query.get(&param) else {
            continue;
        };
        let id = if param.ends_with("_id") {
            value
                .parse::<i64>()
                .ok()
                // Ids start at 1: `book_id=0` names nothing, so it is a mistake, not an
                // empty list (the document says `minimum: 1`).
                .filter(|id| *id >= 1 && value.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    ApiError::field(param.clone(), "must be an id (a positive integer)")
                })?
        } else {
            reference::parse_reference_str(value, narrowing.target.path, links.base())
                .map_err(|message| ApiError::field(param.clone(), message))?
        };
        any = true;
        sql.push(" AND ");
        match narrowing.by {
            By::Field(column) => {
                sql.push(&format!("{}.{column} = ", entity.table)).bind(id);
            }
            By::Related(view) => {
                sql.append(&view.narrowing(id));
            }
        }
    }
    Ok((sql, any))
}
