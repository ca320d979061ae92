//! One module per resource, and the route table where every `configure` meets.

pub mod authors;
pub mod books;
pub mod books_authors;
pub mod cars;
pub mod cart;
pub mod cart_details;
pub mod crud;
pub mod customers;
pub mod drivers;
pub mod entity;
pub mod groups;
pub mod invoices;
pub mod openapi;
pub mod orders;
pub mod root;
pub mod users;

use std::collections::{BTreeMap, BTreeSet};

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, HttpRequest, HttpResponse, Responder};

use crate::error::ApiError;

/// Every top-level collection, in the order the root lists them.
pub static COLLECTIONS: &[&entity::Entity] = &[
    &books::BOOKS,
    &authors::AUTHORS,
    &books_authors::BOOKS_AUTHORS,
    &users::USERS,
    &groups::GROUPS,
    &customers::CUSTOMERS,
    &invoices::INVOICES,
    &cars::CARS,
    &drivers::DRIVERS,
];

/// The whole route table, top to bottom.
pub fn configure(cfg: &mut web::ServiceConfig) {
    root::configure(cfg);
    books::configure(cfg);
    authors::configure(cfg);
    books_authors::configure(cfg);
    users::configure(cfg);
    groups::configure(cfg);
    customers::configure(cfg);
    invoices::configure(cfg);
    cars::configure(cfg);
    drivers::configure(cfg);
    cart::configure(cfg);
    cart_details::configure(cfg);
    orders::configure(cfg);
    for pair in crate::relations::pairs::ALL {
        crate::relations::routes::configure(cfg, pair);
    }
    for children in crate::relations::pairs::CHILDREN {
        crate::relations::children::configure(cfg, children);
    }
}

/// One path and the methods it supports. `finish` adds `HEAD` for `GET`, an `OPTIONS`
/// answer (also the CORS preflight) and a 405 with `Allow` for every other method, all
/// from the same list, so `Allow` can never disagree with the routes.
pub struct Routes {
    resource: actix_web::Resource,
    path: String,
    methods: Vec<&'static str>,
}

/// Every path registered through [`Routes`] (in OpenAPI form: `{name:.+}` becomes
/// `{name}`) with its methods, HEAD and OPTIONS left out. Filled while the app is
/// configured, so a test can hold `/openapi.json` against the routes that really exist
/// instead of against a second, hand-kept list.
static REGISTERED: std::sync::Mutex<BTreeMap<String, BTreeSet<&'static str>>> =
    std::sync::Mutex::new(BTreeMap::new());

/// The registered paths and their methods (see [`Routes`]); empty until an app has
/// been configured in this process.
pub fn registered_routes() -> BTreeMap<String, BTreeSet<&'static str>> {
    REGISTERED
        .lock()
        .map(|routes| routes.clone())
        .unwrap_or_default()
}

/// `/rels/{name:.+}` → `/rels/{name}`: actix's regex suffix is not part of an OpenAPI path.
fn openapi_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_regex = false;
    for c in path.chars() {
        match c {
            ':' if out.ends_with(|p: char| p.is_alphanumeric() || p == '_')
                && out.rfind('{') > out.rfind('}') =>
            {
                in_regex = true;
            }
            '}' => {
                in_regex = false;
                out.push(c);
            }
            _ if in_regex => {}
            _ => out.push(c),
        }
    }
    out
}

impl Routes {
    /// Starts a path.
    pub fn new(path: &str) -> Self {
        Routes {
            resource: web::resource(path),
            path: openapi_path(path),
            methods: Vec::new(),
        }
    }

    fn route<F, Args>(mut self, method: Method, name: &'static str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.resource = self.resource.route(web::method(method).to(handler));
        self.methods.push(name);
        self
    }

    /// Adds GET (and HEAD).
    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args> + Clone,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::GET, "GET", handler.clone())
            .route(Method::HEAD, "HEAD", handler)
    }

    /// Adds POST.
    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, "POST", handler)
    }

    /// Adds PUT.
    pub fn put<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PUT, "PUT", handler)
    }

    /// Adds PATCH.
    pub fn patch<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PATCH, "PATCH", handler)
    }

    /// Adds DELETE.
    pub fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::DELETE, "DELETE", handler)
    }

    /// The finished resource.
    pub fn finish(mut self) -> actix_web::Resource {
        if let Ok(mut registered) = REGISTERED.lock() {
            registered.entry(self.path.clone()).or_default().extend(
                self.methods
                    .iter()
                    .copied()
                    .filter(|m| !matches!(*m, "HEAD" | "OPTIONS")),
            );
        }
        self.methods.push("OPTIONS");
        let allow = self.methods.join(", ");
        let options_allow = allow.clone();
        self.resource
            .route(
                web::method(Method::OPTIONS)
                    .to(move |req: HttpRequest| options(req, options_allow.clone())),
            )
            .default_service(web::to(move || {
                let allow = allow.clone();
                async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allow }) }
            }))
    }
}

/// `OPTIONS`: 204 with `Allow`; for a CORS preflight also the allowed methods and the
/// request headers asked for, echoed by name (a `*` would not cover `Authorization`).
async fn options(req: HttpRequest, allow: String) -> HttpResponse {
    let mut response = HttpResponse::NoContent();
    response.insert_header((header::ALLOW, allow.clone()));
    if req
        .headers()
        .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        response.insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, allow));
        if let Some(asked) = req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
            response.insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone()));
        }
        response.insert_header((
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        ));
    }
    response.finish()
}
