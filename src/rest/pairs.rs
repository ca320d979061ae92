//! What every many-to-many pair has, whatever styles expose it: on both sides the
//! sub-collection `GET /{from}/{id}/{to}`, paginated and filterable like any
//! collection. Its styles add the rest.

use actix_web::HttpResponse;

use super::list::{self, List};
use super::style::Site;
use crate::db::Sql;
use crate::error::ApiResult;
use crate::http::{Ctx, Registrar, Routes};
use crate::model::{Pair, View};

/// Registers the pair's sub-collections and everything its styles add, on both sides.
pub(crate) fn configure(reg: &mut Registrar, site: Site, pair: &'static Pair) {
    for view in pair.views() {
        let mut routes = Routes::new(&format!(
            "/{}/{{id}}/{}",
            view.from.entity.path, view.to.entity.path
        ))
        .get(move |ctx: Ctx| sub_collection(ctx, site, view));
        for style in site.styles_of(pair) {
            routes = style.sub_collection(site, view, routes);
        }
        for style in site.styles_of(pair) {
            style.routes(reg, site, view);
        }
        reg.add(routes);
    }
}

/// `GET /{from}/{id}/{to}`: the related resources; 404 when `from` does not exist. Only
/// a sub-collection that takes POST offers a create template.
async fn sub_collection(ctx: Ctx, site: Site, view: View) -> ApiResult<HttpResponse> {
    let from_id = ctx.id("id")?;
    let mut narrowing = Sql::new(" AND ");
    narrowing.append(&view.narrowing(from_id));
    let takes_post = site
        .styles_of(view.pair)
        .any(|style| style.sub_collection_takes_post());
    list::page(
        &ctx,
        site,
        List {
            entity: view.to.entity,
            path: view.collection_path(from_id),
            narrowing,
            under: Some((view.from.entity, from_id)),
            create_at: takes_post.then(|| view.collection_path(from_id)),
        },
    )
    .await
}
