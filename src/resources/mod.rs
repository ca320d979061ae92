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
pub mod orders;
pub mod root;
pub mod users;

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
    methods: Vec<&'static str>,
}

impl Routes {
    /// Starts a path.
    pub fn new(path: &str) -> Self {
        Routes {
            resource: web::resource(path),
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
