//! The generic handlers, configured by the model: collection CRUD, one-to-many children,
//! and the many-to-many pairs with one module per style, each behind [`PairStyle`].

mod add_remove;
mod children;
mod cross;
pub(crate) mod crud;
pub(crate) mod forms;
mod input;
mod link_patch;
pub(crate) mod list;
pub(crate) mod narrowing;
pub(crate) mod openapi;
mod pairs;
mod query_form;
pub(crate) mod render;
mod singleton;
pub(crate) mod style;
mod sub_resources;

pub(crate) use style::{PairStyle, Site};

use crate::http::Registrar;
use crate::model::{Model, SingletonBehaviour};

/// Every style the machinery knows, in the order their templates and `/rels` text are
/// asked for. A new style is a module and a line here.
pub(crate) const STYLES: &[&dyn PairStyle] = &[
    &sub_resources::SubResources,
    &link_patch::LinkPatch,
    &query_form::QueryForm,
    &add_remove::AddRemove,
    &cross::Cross,
];

/// The site of `model`: the model and every style.
pub(crate) fn site(model: &'static Model) -> Site {
    Site {
        model,
        styles: STYLES,
    }
}

/// Registers every generic route of the site: each collection, each pair, each
/// one-to-many relationship, and the singleton unless the shop serves it.
pub(crate) fn configure(reg: &mut Registrar, site: Site) {
    for entity in site.model.collections {
        crud::configure(reg, site, entity);
    }
    for pair in site.model.pairs {
        pairs::configure(reg, site, pair);
    }
    for children in site.model.children {
        children::configure(reg, site, children);
    }
    if let Some(one) = site.model.singleton {
        if one.behaviour == SingletonBehaviour::Plain {
            singleton::configure(reg, site, one);
        }
    }
}
