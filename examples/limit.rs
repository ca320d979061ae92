//! The practical limit for the benchmark (`bench/run`): an actix-web server that answers
//! with bytes it holds in memory, no database and no rendering. Halyard's read
//! scenarios are measured against it: whatever Halyard spends beyond this is its own.
//!
//! `cargo run --release --example limit -- ADDR DIR` serves every file `DIR/NAME` at
//! `/NAME`, as `application/hal+json`, with the body Halyard answered for that scenario.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(dir)) = (args.next(), args.next()) else {
        eprintln!("usage: limit ADDR DIR");
        std::process::exit(2);
    };
    let mut bodies = HashMap::new();
    for entry in std::fs::read_dir(&dir)? {
        let entry = entry?;
        let name = format!("/{}", entry.file_name().to_string_lossy());
        bodies.insert(name, web::Bytes::from(std::fs::read(entry.path())?));
    }
    let bodies = Arc::new(bodies);
    HttpServer::new(move || {
        let bodies = bodies.clone();
        App::new().default_service(web::to(move |req: HttpRequest| {
            // Bytes clones share the buffer: no copy a request, as close to free as a
            // response gets.
            let body = bodies.get(req.path()).cloned();
            async move {
                match body {
                    Some(body) => HttpResponse::Ok()
                        .content_type("application/hal+json")
                        .body(body),
                    None => HttpResponse::NotFound().finish(),
                }
            }
        }))
    })
    .bind(addr)?
    .run()
    .await
}
