//! `GET /metrics`: the process's metrics in the Prometheus text format, beside the API
//! or alone on `--metrics-bind`. Not part of the API's description: it is for the
//! operator's scraper, not for hypermedia clients.

use actix_web::http::header;
use actix_web::{guard, web, HttpResponse};

use crate::db::replicas::{Replicas, Served};
use crate::db::writer::Writer;
use crate::db::Pool;
use crate::error::ApiError;
use crate::metrics::{metrics, PoolState};

/// Adds `/metrics` (GET and HEAD; any other method is 405) reading the gauges of `pool`,
/// of SQLite's writer and of the read replicas, if any.
pub(crate) fn route(
    cfg: &mut web::ServiceConfig,
    pool: Pool,
    writer: Option<Writer>,
    replicas: Option<Replicas>,
) {
    cfg.service(
        web::resource("/metrics")
            .route(
                web::route()
                    .guard(guard::Any(guard::Get()).or(guard::Head()))
                    .to(move || {
                        let (pool, replicas) = (pool.clone(), replicas.clone());
                        let writes_waiting = writer.as_ref().map_or(0, Writer::waiting);
                        async move { scrape(&pool, writes_waiting, replicas.as_ref()) }
                    }),
            )
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::MethodNotAllowed {
                    allow: "GET, HEAD".into(),
                })
            })),
    );
}

fn scrape(pool: &Pool, writes_waiting: usize, replicas: Option<&Replicas>) -> HttpResponse {
    for (index, health) in replicas
        .map(Replicas::health)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        metrics().replica(&Served::Replica(index).label(), health.up, health.lag);
    }
    let state = pool.state();
    let text = metrics().render(PoolState {
        connections: state.connections,
        idle: state.idle_connections,
        max: pool.max_size(),
        writes_waiting,
    });
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text)
}
