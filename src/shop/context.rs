//! What the shop's handlers are given when the routes are registered.

use crate::error::{ApiError, ApiResult};
use crate::model::{Part, PartKind, Singleton};
use crate::rest::Site;

/// What the shop's handlers serve: the site and its cart singleton.
#[derive(Clone, Copy)]
pub(crate) struct Shop {
    pub(crate) site: Site,
    pub(crate) cart: &'static Singleton,
}

impl Shop {
    /// The shop of `site`, selling through `cart`.
    pub(crate) fn new(site: Site, cart: &'static Singleton) -> Self {
        Shop { site, cart }
    }

    /// The cart's part of `kind`.
    pub(crate) fn part(&self, kind: PartKind) -> ApiResult<&'static Part> {
        self.cart
            .parts
            .iter()
            .find(|p| p.kind == kind)
            .ok_or_else(|| ApiError::Internal(format!("the cart has no {kind:?} part")))
    }
}
