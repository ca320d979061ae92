//! The `halyard` binary: parse the configuration, start logging, serve.

use std::net::TcpListener;

use clap::Parser;
use halyard::app;
use halyard::bookshop::sample;
use halyard::config::{Command, Config, SampleArgs, SchemaCommand};
use halyard::db;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    halyard::logging::init(config.log_format);
    match run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            log::error!("{error}");
            eprintln!("halyard: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(Command::LoadSample(args)) = config.command {
        return load_sample(&config, args);
    }
    if let Some(Command::Schema(SchemaCommand::Check { path })) = &config.command {
        let model = app::model(Some(path))?;
        println!(
            "{}: {} collections, {} pairs, {} one-to-many relationships{}",
            path.display(),
            model.collection_count(),
            model.pair_count(),
            model.children_count(),
            if model.has_singleton() {
                ", a singleton"
            } else {
                ""
            }
        );
        return Ok(());
    }
    if let Some(Command::Schema(SchemaCommand::JsonSchema)) = &config.command {
        print!("{}", halyard::schema::json_schema());
        return Ok(());
    }
    if let Some(Command::Schema(SchemaCommand::Sql { path, postgres })) = &config.command {
        let model = app::model(path.as_deref())?;
        for statement in app::schema_sql(model, *postgres) {
            println!("{statement};");
        }
        return Ok(());
    }
    if matches!(config.command, Some(Command::Migrate)) {
        app::migrate(&config)?;
        log::info!("migrations are up to date");
        return Ok(());
    }
    let state = app::prepare(&config)?;
    let listener = TcpListener::bind(&config.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    if let Some(address) = &config.metrics_bind {
        let metrics = TcpListener::bind(address)
            .map_err(|e| format!("cannot listen on {address} for metrics: {e}"))?;
        log::info!("metrics on http://{}/metrics", metrics.local_addr()?);
        actix_web::rt::spawn(app::start_metrics(metrics, &state)?);
    }
    log::info!("serving on http://{}", listener.local_addr()?);
    app::start(listener, state, config.workers)?.await?;
    log::info!("stopped: every request in flight was answered or the shutdown timeout passed");
    Ok(())
}

/// Migrates the database (without demo data: the sample must go into an empty
/// catalogue) and loads the generated sample into it.
fn load_sample(config: &Config, args: SampleArgs) -> Result<(), Box<dyn std::error::Error>> {
    let size = sample::SampleSize {
        books: args.books,
        authors: args.authors,
        relations: args.relations,
        hot: args.hot_relations,
    };
    let opened = db::open(&config.database_url, 1)?;
    let mut conn = opened.pool.get()?;
    let started = std::time::Instant::now();
    sample::load(&mut conn, size, !args.quiet)?;
    log::info!(
        "loaded {} books, {} authors and {} relations in {:.1} s",
        size.books,
        size.authors,
        size.relations,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Every allocation the server makes goes through jemalloc: see the allocator's
/// entry in `Cargo.toml` and docs/benchmarks.md for the measurements.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
