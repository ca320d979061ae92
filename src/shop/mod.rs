//! The behaviours the model switches on that cannot be declared: accounts (a cart and a
//! token for each new user), the cart singleton with its items and parts, card checking
//! and masking, checkout into frozen orders, and the invoice sums rule.

pub(crate) mod accounts;
mod address;
mod card;
mod cart;
mod checkout;
mod context;
pub(crate) mod invoices;
mod orders;
mod owner;
mod parts;

use actix_web::middleware::from_fn;

use context::Shop;

use crate::http::{self, Body, Ctx, Registrar, Routes};
use crate::model::Singleton;
use crate::rest::Site;

/// `/cart`, `/users/{id}/cart`, `/cart/items…`, the parts, `/cart:checkout` and
/// `/orders…`; every answer about them is private to the user.
pub(crate) fn configure(reg: &mut Registrar, site: Site, cart: &'static Singleton) {
    let shop = Shop::new(site, cart);
    let private = |r: actix_web::Resource| r.wrap(from_fn(http::account_only));
    let path = cart.path;
    reg.add_wrapped(
        Routes::new(&format!("/{path}")).get(move |ctx: Ctx| cart::summary(ctx, shop, false)),
        private,
    );
    reg.add_wrapped(
        Routes::new(&format!("/{}/{{id}}/{path}", cart.owner.path))
            .get(move |ctx: Ctx| cart::summary(ctx, shop, true)),
        private,
    );
    let items = cart.items.path;
    reg.add_wrapped(
        Routes::new(&format!("/{items}"))
            .get(move |ctx: Ctx| cart::list_items(ctx, shop))
            .post(move |ctx: Ctx, body: Body| cart::add_item(ctx, shop, body)),
        private,
    );
    reg.add_wrapped(
        Routes::new(&format!("/{items}/{{item}}"))
            .get(move |ctx: Ctx| cart::read_item(ctx, shop))
            .patch(move |ctx: Ctx, body: Body| cart::patch_item(ctx, shop, body))
            .delete(move |ctx: Ctx| cart::delete_item(ctx, shop)),
        private,
    );
    reg.add_wrapped(
        Routes::new(&format!("/{path}:checkout"))
            .post(move |ctx: Ctx, body: Body| checkout::checkout(ctx, shop, body)),
        private,
    );
    for part in cart.parts {
        reg.add_wrapped(
            Routes::new(&format!("/{}", part.entity.path))
                .get(move |ctx: Ctx| parts::read(ctx, shop, part))
                .put(move |ctx: Ctx, body: Body| parts::write(ctx, shop, part, body, true))
                .patch(move |ctx: Ctx, body: Body| parts::write(ctx, shop, part, body, false)),
            private,
        );
    }
    reg.add_wrapped(Routes::new("/orders").get(orders::list), private);
    reg.add_wrapped(Routes::new("/orders/{id}").get(orders::read), private);
}
