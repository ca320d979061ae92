//! One page of a collection: every list (top-level collections, sub-collections,
//! children, a cart's items) is narrowed, filtered, paged and rendered here.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde_json::{Map, Value};

use super::style::Site;
use super::{forms, narrowing, render};
use crate::db::{self, Sql};
use crate::error::ApiResult;
use crate::http::Ctx;
use crate::model::Entity;
use crate::query::page::{PageRequest, PAGE_PARAMS};

/// What a list is of and where it lives.
pub(crate) struct List {
    /// The listed resources.
    pub(crate) entity: &'static Entity,
    /// The list's own path (`books/1/authors`).
    pub(crate) path: String,
    /// Trusted SQL conditions the path implies (may be empty).
    pub(crate) narrowing: Sql,
    /// The resource the path names, which must exist (404 otherwise); parameters naming
    /// it again are unknown here.
    pub(crate) under: Option<(&'static Entity, i64)>,
    /// Where the create template posts, when the list takes POST.
    pub(crate) create_at: Option<String>,
}

/// Lists one page, narrowed by the list's conditions and the request's parameters.
pub(crate) async fn page(ctx: &Ctx, site: Site, list: List) -> ApiResult<HttpResponse> {
    let List {
        entity,
        path,
        narrowing: extra,
        under,
        create_at,
    } = list;
    // Under a parent (`/customers/1/invoices`) the path fixes the parent: a parameter
    // naming it again (`?customer_id=2`) is unknown here, not an empty intersection.
    let names = narrowing::names(site, entity, under.map(|(parent, _)| parent));
    let mut allowed: Vec<&str> = PAGE_PARAMS.to_vec();
    allowed.extend(names.iter().map(String::as_str));
    let query = ctx.query(&allowed)?;
    let (narrowing, _) = narrowing::sql(site, entity, &ctx.links, &query)?;
    let page = PageRequest::parse(&query, &path, &entity.filter_fields(), &ctx.state.tokens)?;
    let links = ctx.links.clone();
    let state = ctx.state.clone();
    let forms = ctx.forms;
    let embedded_forms = ctx.embedded_forms;
    let body = ctx
        .db(move |conn| {
            if let Some((owner, id)) = under {
                if !db::exists(conn, owner.table, id)? {
                    return Err(owner.not_found(id));
                }
            }
            let mut sql = render::select(conn, site, entity);
            sql.append(&extra).append(&narrowing);
            page.push_tail(&mut sql, entity.table);
            let rows = render::rows(conn, site, &links, entity, &sql)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let items = rows
                .into_iter()
                .map(|r| {
                    with_templates(site, &links, entity, Value::Object(r.body), embedded_forms)
                })
                .collect();
            let mut body =
                page.render(&links, entity.rel(), items, &ids, &state.tokens, Map::new());
            if forms {
                body["_templates"] = forms::collection(&links, entity, create_at.as_deref());
            }
            Ok(body)
        })
        .await?;
    Ok(ctx.respond(StatusCode::OK, &body))
}

/// An embedded item, with its own `_templates` for HAL-FORMS clients: clients such as
/// Ketting cache embedded items by their self link and never refetch them, so an item
/// first seen embedded would otherwise never show its forms.
pub(crate) fn with_templates(
    site: Site,
    links: &crate::hal::Links,
    entity: &'static Entity,
    mut item: Value,
    forms: bool,
) -> Value {
    if forms {
        item["_templates"] = forms::item(site, links, entity, &item);
    }
    item
}
