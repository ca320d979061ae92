//! §3, Add/Remove custom methods: the managing (left) side adds and removes related
//! resources with `POST /{left}/{id}/{right}:add|:remove`; the relationship itself is
//! not a resource.

use actix_web::http::Method;
use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

use super::forms::pick;
use super::openapi::{id_param, reference_schema, Op};
use super::style::{PairStyle, Site};
use crate::error::{ApiError, ApiResult};
use crate::hal::forms::{a, sentence, template};
use crate::hal::{reference, Links};
use crate::http::{Body, Ctx, Registrar, Routes};
use crate::model::{Pair, View};

/// The style.
pub(crate) struct AddRemove;

const VERBS: [(&str, bool); 2] = [("add", true), ("remove", false)];

impl PairStyle for AddRemove {
    fn offered(&self, pair: &Pair) -> bool {
        pair.styles.add_remove
    }

    fn routes(&self, reg: &mut Registrar, _site: Site, view: View) {
        if !view.starts_at_manager() {
            return;
        }
        for (verb, add) in VERBS {
            reg.add(
                Routes::new(&format!(
                    "/{}/{{id}}/{}:{verb}",
                    view.from.entity.path, view.to.entity.path
                ))
                .post(move |ctx: Ctx, body: Body| add_remove(ctx, view, body, add)),
            );
        }
    }

    fn forms(
        &self,
        links: &Links,
        view: View,
        id: i64,
        _linked: &[(String, String)],
        out: &mut Map<String, Value>,
    ) {
        if !view.starts_at_manager() {
            return;
        }
        let (from, to) = (view.from.entity, view.to.entity);
        let collection = links.href(&view.collection_path(id));
        for (verb, add) in VERBS {
            out.insert(
                format!("{verb}-{}", to.path),
                template(
                    format!(
                        "{} {} {} this {}",
                        if add { "Add" } else { "Remove" },
                        a(to.name),
                        if add { "to" } else { "from" },
                        from.name
                    ),
                    "POST",
                    &format!("{collection}:{verb}"),
                    Some("application/json"),
                    vec![json!({
                        "name": to.name,
                        "prompt": sentence(to.name),
                        "help": format!(
                            "The {} to {} this {}.",
                            to.name,
                            if add { "add to" } else { "remove from" },
                            from.name
                        ),
                        "type": "number",
                        "required": true,
                        "options": pick(links, to, "id"),
                    })],
                ),
            );
        }
    }

    fn sub_collection_methods(&self, view: View) -> Option<&'static str> {
        view.starts_at_manager()
            .then_some("GET; POST to the path followed by :add or :remove with a reference")
    }

    fn openapi(&self, _site: Site, view: View, paths: &mut Map<String, Value>, _legacy: bool) {
        if !view.starts_at_manager() {
            return;
        }
        let field = view.to.entity.name;
        for (verb, problem) in [("add", "409"), ("remove", "412")] {
            paths.insert(
                format!("/{}/{{id}}/{}:{verb}", view.from.entity.path, view.to.entity.path),
                json!({ "parameters": [id_param("id", 1)],
                        "post": Op::new(format!("{verb} a {field} ({problem} when already {})", if verb == "add" { "a member" } else { "not a member" }), "204", None, &["400", "404", problem, "415", "422"])
                            .json_body(json!({ "type": "object", "required": [field], "additionalProperties": false,
                                "properties": { field: reference_schema(view.to.entity.path) } }),
                                json!({ field: format!("/{}/1", view.to.entity.path) }))
                            .done() }),
            );
        }
    }
}

/// `POST /{left}/{id}/{right}:add|:remove` with `{"<right singular>": ref}`. Add: 204, or
/// 409 when already related. Remove: 204, or 412 when not related (the Add/Remove
/// pattern's choice: the precondition that they are related failed).
async fn add_remove(ctx: Ctx, view: View, body: Body, add: bool) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let from_id = ctx.id("id")?;
    let map = body.json_object(&Method::POST)?;
    let field = view.to.entity.name;
    if let Some(unknown) = map.keys().find(|k| k.as_str() != field) {
        return Err(ApiError::field(
            unknown.clone(),
            format!("unknown property; the body is {{\"{field}\": <reference>}}"),
        ));
    }
    let target = map
        .get(field)
        .ok_or_else(|| ApiError::field(field, "is required"))?;
    let to_id = reference::parse_reference(target, view.to.entity.path, ctx.links.base())
        .map_err(|message| ApiError::field(field, message))?;
    ctx.write(move |conn| {
        match view.ends_exist(conn, from_id, to_id)? {
            (false, _) => return Err(view.from.entity.not_found(from_id)),
            (true, false) => {
                return Err(ApiError::missing(
                    field,
                    format!("there is no {} with id {to_id}", view.to.entity.name),
                ))
            }
            (true, true) => {}
        }
        let (from, to) = (view.from.entity.name, view.to.entity.name);
        if add {
            if !view.link(conn, from_id, to_id)? {
                return Err(ApiError::Conflict(format!(
                    "{to} {to_id} is already in {from} {from_id}"
                )));
            }
        } else if !view.unlink(conn, from_id, to_id)? {
            return Err(ApiError::PreconditionFailed(format!(
                "the precondition that {to} {to_id} is a member of {from} {from_id} failed: \
                 it is not a member"
            )));
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
