//! The one interface every many-to-many style implements. The generic handlers ask each
//! style of a [`Site`] what it adds (routes, links, forms, the narrowing of a
//! collection, a PATCH's link arrays, OpenAPI paths, `/rels` text), so a style is one
//! module and the machinery never names one.

use serde_json::{Map, Value};

use crate::error::ApiResult;
use crate::hal::Links;
use crate::http::{Registrar, Routes};
use crate::model::{Entity, Model, Pair, View};

/// `/rels` entries: relation name → (meanings, methods its target takes).
pub(crate) type Rels = std::collections::BTreeMap<String, (Vec<String>, String)>;

/// Adds a meaning to a relation; the first methods given for it stay.
pub(crate) fn add_rel(rels: &mut Rels, rel: String, meaning: String, methods: &str) {
    let entry = rels
        .entry(rel)
        .or_insert_with(|| (Vec::new(), methods.to_owned()));
    if !entry.0.contains(&meaning) {
        entry.0.push(meaning);
    }
}

/// What the handlers serve: the model, and the styles that can expose its pairs.
#[derive(Clone, Copy)]
pub(crate) struct Site {
    /// The served model.
    pub(crate) model: &'static Model,
    /// Every style the machinery knows; each decides from a pair's
    /// [`Styles`](crate::model::Styles) whether it exposes it.
    pub(crate) styles: &'static [&'static dyn PairStyle],
}

impl Site {
    /// The styles that expose `pair`.
    pub(crate) fn styles_of(
        &self,
        pair: &'static Pair,
    ) -> impl Iterator<Item = &'static dyn PairStyle> {
        self.styles
            .iter()
            .copied()
            .filter(move |style| style.offered(pair))
    }
}

/// One established way to expose a many-to-many pair. Every method but `offered` has a
/// default that adds nothing; each is called for both views of an offered pair.
pub(crate) trait PairStyle: Sync {
    /// True when `pair` is exposed this way.
    fn offered(&self, pair: &Pair) -> bool;

    /// Adds methods to the sub-collection `/{from}/{id}/{to}`.
    fn sub_collection(&self, _site: Site, _view: View, routes: Routes) -> Routes {
        routes
    }

    /// True when it adds POST (create and link) to the sub-collection.
    fn sub_collection_takes_post(&self) -> bool {
        false
    }

    /// Registers paths of its own.
    fn routes(&self, _reg: &mut Registrar, _site: Site, _view: View) {}

    /// Adds methods to the collection of `entity` (a cross-resource's bulk DELETE).
    fn collection(
        &self,
        _site: Site,
        _pair: &'static Pair,
        _entity: &'static Entity,
        routes: Routes,
    ) -> Routes {
        routes
    }

    /// Adds links to the item `id` of `view.from`.
    fn links(&self, _links: &Links, _view: View, _id: i64, _map: &mut Map<String, Value>) {}

    /// Adds HAL-FORMS templates to the item `id` of `view.from`; `linked` are its item
    /// links to `view.to` as `(href, title)`.
    fn forms(
        &self,
        _links: &Links,
        _view: View,
        _id: i64,
        _linked: &[(String, String)],
        _out: &mut Map<String, Value>,
    ) {
    }

    /// True when `view.to`'s collection may be narrowed to the resources related to one
    /// of `view.from` (`/drivers?car_id=1`).
    fn narrows(&self, _view: View) -> bool {
        false
    }

    /// The property of a PATCH of `view.from`'s item that this style reads, if any.
    fn patch_key(&self, _view: View) -> Option<&'static str> {
        None
    }

    /// The related ids a PATCH body sets for `view`, if it names them.
    fn patch(
        &self,
        _view: View,
        _links: &Links,
        _body: &Map<String, Value>,
    ) -> ApiResult<Option<Vec<i64>>> {
        Ok(None)
    }

    /// What the sub-collection's target takes, for `/rels`, when this style decides it.
    fn sub_collection_methods(&self, _view: View) -> Option<&'static str> {
        None
    }

    /// Adds its OpenAPI paths (`paths` is the document's `paths` object).
    fn openapi(&self, _site: Site, _view: View, _paths: &mut Map<String, Value>, _legacy: bool) {}

    /// Adds its relations to `/rels`.
    fn rels(&self, _view: View, _rels: &mut Rels) {}
}
