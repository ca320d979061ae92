//! The `halyard` binary: parse the configuration, start logging, serve.

use std::net::TcpListener;

use clap::Parser;
use halyard::app;
use halyard::config::{Command, Config};

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
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
    let state = app::prepare(&config)?;
    if matches!(config.command, Some(Command::Migrate)) {
        log::info!("migrations are up to date");
        return Ok(());
    }
    let listener = TcpListener::bind(&config.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    log::info!("serving on http://{}", listener.local_addr()?);
    app::start(listener, state, config.workers)?.await?;
    Ok(())
}
