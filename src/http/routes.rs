//! The route builder: a path and the methods it takes, so that `HEAD`, `OPTIONS` (also
//! the CORS preflight) and the 405 with `Allow` all come from one list, and every path
//! is recorded in the application's [`RouteTable`].

use actix_web::dev::HttpServiceFactory;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, HttpRequest, HttpResponse, Responder};

use crate::error::ApiError;
use crate::state::RouteTable;

/// Where routes are registered: the app's service configuration and the table that
/// records them.
pub(crate) struct Registrar<'a> {
    cfg: &'a mut web::ServiceConfig,
    table: RouteTable,
}

impl<'a> Registrar<'a> {
    /// Registers into `cfg`, recording each path in `table`.
    pub(crate) fn new(cfg: &'a mut web::ServiceConfig, table: RouteTable) -> Self {
        Registrar { cfg, table }
    }

    /// Adds a path.
    pub(crate) fn add(&mut self, routes: Routes) {
        let resource = routes.finish(&self.table);
        self.cfg.service(resource);
    }

    /// Adds a path with middleware of its own (`wrap`).
    pub(crate) fn add_wrapped<S: HttpServiceFactory + 'static>(
        &mut self,
        routes: Routes,
        wrap: impl FnOnce(actix_web::Resource) -> S,
    ) {
        let resource = wrap(routes.finish(&self.table));
        self.cfg.service(resource);
    }

    /// The service configuration itself, for routes outside the API (assets).
    pub(crate) fn config(&mut self) -> &mut web::ServiceConfig {
        self.cfg
    }
}

/// One path and the methods it supports. `finish` adds `HEAD` for `GET`, an `OPTIONS`
/// answer (also the CORS preflight) and a 405 with `Allow` for every other method, all
/// from the same list, so `Allow` can never disagree with the routes.
pub(crate) struct Routes {
    resource: actix_web::Resource,
    path: String,
    methods: Vec<&'static str>,
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
    pub(crate) fn new(path: &str) -> Self {
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
    pub(crate) fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args> + Clone,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::GET, "GET", handler.clone())
            .route(Method::HEAD, "HEAD", handler)
    }

    /// Adds POST.
    pub(crate) fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, "POST", handler)
    }

    /// Adds PUT.
    pub(crate) fn put<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PUT, "PUT", handler)
    }

    /// Adds PATCH.
    pub(crate) fn patch<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PATCH, "PATCH", handler)
    }

    /// Adds DELETE.
    pub(crate) fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::DELETE, "DELETE", handler)
    }

    /// The finished resource, recorded in `table`.
    fn finish(mut self, table: &RouteTable) -> actix_web::Resource {
        if let Ok(mut registered) = table.lock() {
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
