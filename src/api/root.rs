//! The root resource, linking every collection and the search templates, and the probes:
//! `/live` (the process answers) and `/ready` (the database answers too; `/health` is its
//! older name).

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use serde_json::{json, Map};

use crate::db::Sql;
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::model::SingletonBehaviour;
use crate::rest::{narrowing, Site};

pub(crate) async fn root(ctx: Ctx, site: Site) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let links = &ctx.links;
    let mut map = Map::new();
    map.insert("self".into(), links.link(""));
    for entity in site.model.collections.iter().copied() {
        map.insert(entity.path.into(), links.link(entity.path));
        // `book` → /books/{id}; a cross-resource is found by search instead.
        if !site.model.is_cross(entity) {
            map.insert(
                entity.name.into(),
                links.templated(&format!("{}/{{id}}", entity.path)),
            );
        }
    }
    for entity in site.model.collections.iter().copied() {
        let params: Vec<String> = narrowing::names(site, entity, None)
            .into_iter()
            .filter(|name| name.ends_with("_id"))
            .collect();
        if !params.is_empty() {
            map.insert(
                format!("{}-search", entity.path),
                links.templated(&format!("{}{{?{}}}", entity.path, params.join(","))),
            );
        }
    }
    if let Some(singleton) = site.model.singleton {
        map.insert(singleton.path.into(), links.link(singleton.path));
        if singleton.behaviour == SingletonBehaviour::Cart {
            map.insert("orders".into(), links.link("orders"));
        }
    }
    map.insert("live".into(), links.link("live"));
    map.insert("ready".into(), links.link("ready"));
    map.insert("health".into(), links.link("health"));
    map.insert("openapi".into(), links.link("openapi.json"));
    Ok(ctx.respond(StatusCode::OK, &json!({ "_links": map })))
}

/// `GET /live`: the process is up and serving; no database work, so a liveness probe
/// never restarts a healthy process because the database is down.
pub(crate) async fn live() -> HttpResponse {
    status_ok()
}

/// `GET /ready` (and `/health`): 200 when the database answers a query, else 503 with
/// `Retry-After`, so a load balancer sends no traffic to an instance that cannot serve.
pub(crate) async fn ready(ctx: Ctx) -> ApiResult<HttpResponse> {
    ctx.db(|conn| Ok(Sql::new("SELECT 1").execute(conn)?))
        .await
        .map_err(|error| match error {
            ApiError::Unavailable(_) => error,
            other => {
                log::warn!("readiness check failed: {other}");
                ApiError::Unavailable("the database is not answering; retry shortly".into())
            }
        })?;
    Ok(status_ok())
}

fn status_ok() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(r#"{"status":"ok"}"#)
}
