//! The route table, top to bottom: the root, the probes (`/live`, `/ready`, `/health`), the OpenAPI document and the
//! relation pages, then every route the model's resources and relationships yield,
//! then the shop's, then the browsable API's assets.

mod metrics;
mod openapi;
mod rels;
mod root;

use actix_web::web;

use crate::http::{Ctx, Registrar, Routes};
use crate::model::SingletonBehaviour;
use crate::state::AppState;
use crate::{html, rest, shop};

/// `GET /metrics` alone, for the server of `--metrics-bind`.
pub(crate) use metrics::route as metrics_route;

/// Registers every route of the application.
pub(crate) fn configure(cfg: &mut web::ServiceConfig, state: &AppState) {
    let site = rest::site(state.model);
    let mut reg = Registrar::new(cfg, state.routes.clone());
    reg.add(Routes::new("/").get(move |ctx: Ctx| root::root(ctx, site)));
    reg.add(Routes::new("/live").get(root::live));
    reg.add(Routes::new("/ready").get(root::ready));
    reg.add(Routes::new("/health").get(root::ready));
    reg.add(Routes::new("/openapi.json").get(move |ctx: Ctx| openapi::serve(ctx, site)));
    reg.add(Routes::new("/openapi.html").get(move |ctx: Ctx| openapi::serve_page(ctx, site)));
    reg.add(Routes::new("/rels/{name:.+}").get(move |ctx: Ctx| rels::rel_page(ctx, site)));
    rest::configure(&mut reg, site);
    if let Some(cart) = site
        .model
        .singleton
        .filter(|s| s.behaviour == SingletonBehaviour::Cart)
    {
        shop::configure(&mut reg, site, cart);
    }
    if state.metrics_beside_api {
        metrics::route(
            reg.config(),
            state.pool.clone(),
            state.writer.clone(),
            state.replicas.clone(),
        );
    }
    html::configure(reg.config());
}
