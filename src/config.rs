//! Typed configuration: every setting is a flag and an environment variable.

use clap::{Parser, Subcommand, ValueEnum};
use ipnet::IpNet;

/// Whether to load the demo data set at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DemoData {
    /// Load it into a database this start has just created (the default).
    Auto,
    /// Load it whenever the database holds no books yet.
    Always,
    /// Never load it.
    Never,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line each (the default).
    Text,
    /// One JSON object a line, for a log pipeline.
    Json,
}

/// Halyard: a HAL hypermedia API server that gets relationships right.
///
/// With no arguments it serves the bookshop API on 127.0.0.1:8080 from the SQLite file
/// `halyard.db` in the working directory, creating it with demo data when missing.
#[derive(Debug, Clone, Parser)]
#[command(name = "halyard", version, about, long_about = None)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "HALYARD_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Database: `sqlite://PATH`, a plain file path, or `postgres://user:pass@host/db`.
    /// Defaults to the SQLite file `halyard.db` in the working directory.
    #[arg(long, env = "DATABASE_URL", default_value = "halyard.db")]
    pub database_url: String,

    /// Public base URL used in every link (e.g. `https://mybooks.example/api/v1`); a path
    /// here is also the prefix the server answers under. When unset, links use the
    /// request's scheme and Host.
    #[arg(long, env = "HALYARD_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Proxies whose `Forwarded` and `X-Forwarded-Host`/`-Proto` headers are believed
    /// (comma-separated addresses or CIDR ranges, e.g. `10.0.0.0/8,127.0.0.1`). From any
    /// other peer those headers are ignored and links come from `--public-url` or `Host`.
    /// Default: none.
    #[arg(long, env = "HALYARD_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
    pub trusted_proxies: Vec<IpNet>,

    /// Demo data: `auto` loads it into a database this start created, `always` whenever
    /// the catalogue is empty, `never` not at all.
    #[arg(long, env = "HALYARD_DEMO_DATA", value_enum, default_value = "auto")]
    pub demo_data: DemoData,

    /// Largest request body accepted, in bytes (larger bodies get 413).
    #[arg(long, env = "HALYARD_MAX_BODY", default_value_t = 256 * 1024)]
    pub max_body: usize,

    /// Database connections in the pool.
    #[arg(long, env = "HALYARD_POOL_SIZE", default_value_t = 8)]
    pub pool_size: u32,

    /// Longest wait for a free database connection, in milliseconds; past it the
    /// request gets 503 with `Retry-After` instead of queueing without bound.
    #[arg(long, env = "HALYARD_POOL_TIMEOUT_MS", default_value_t = 2000)]
    pub pool_timeout_ms: u64,

    /// Longest a PostgreSQL statement may run, lock waits included, in milliseconds
    /// (0: no limit); past it the request gets 503.
    #[arg(long, env = "HALYARD_STATEMENT_TIMEOUT_MS", default_value_t = 10_000)]
    pub statement_timeout_ms: u64,

    /// Time a client has to send a request's headers, and idle keep-alive time, in
    /// milliseconds; a slower client gets 408 or is disconnected, so slow or idle
    /// connections cannot pile up.
    #[arg(long, env = "HALYARD_CLIENT_TIMEOUT_MS", default_value_t = 5000)]
    pub client_timeout_ms: u64,

    /// The model to serve: a TOML schema file (docs/schema.md). Without it, the bookshop
    /// of `schemas/bookshop.toml`, compiled in.
    #[arg(long, env = "HALYARD_SCHEMA")]
    pub schema: Option<std::path::PathBuf>,

    /// PostgreSQL streaming replicas to serve `GET` and `HEAD` from (comma-separated or
    /// repeated); writes always go to `--database-url`. Reads that follow a write, a page
    /// token or an ETag wait for a replica that has replayed it, or go to the primary.
    /// SQLite ignores this.
    #[arg(
        long = "replica-url",
        env = "HALYARD_REPLICA_URLS",
        value_delimiter = ','
    )]
    pub replica_urls: Vec<String>,

    /// Longest a read waits for a replica to replay the position it must see, in
    /// milliseconds, before the primary serves it.
    #[arg(long, env = "HALYARD_REPLICA_WAIT_MS", default_value_t = 500)]
    pub replica_wait_ms: u64,

    /// A replica further behind the primary than this, in milliseconds, or down, serves
    /// no read until it catches up.
    #[arg(long, env = "HALYARD_REPLICA_MAX_LAG_MS", default_value_t = 5000)]
    pub replica_max_lag_ms: u64,

    /// Log lines as `text` or `json` (one object a line, with the request id).
    #[arg(long, env = "HALYARD_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Serve `GET /metrics` (Prometheus text format) on this separate address only,
    /// e.g. `127.0.0.1:9090`, instead of beside the API.
    #[arg(long, env = "HALYARD_METRICS_BIND")]
    pub metrics_bind: Option<String>,

    /// On SIGTERM or SIGINT: stop accepting, let requests in flight finish for up to
    /// this long (rounded up to whole seconds), then exit 0.
    #[arg(long, env = "HALYARD_SHUTDOWN_TIMEOUT_MS", default_value_t = 10_000)]
    pub shutdown_timeout_ms: u64,

    /// Worker threads serving HTTP (default: one per core).
    #[arg(long, env = "HALYARD_WORKERS")]
    pub workers: Option<usize>,

    /// What to do; serving is the default.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Commands other than serving.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Run the migrations and exit.
    Migrate,
    /// Fill a new, empty database with a generated catalogue of the given size (for
    /// benchmarks), through batched multi-row inserts, and exit. See `src/sample.rs` for
    /// the layout; a small default makes a smoke test.
    LoadSample(SampleArgs),
    /// Work with schema files without serving.
    #[command(subcommand)]
    Schema(SchemaCommand),
}

/// `halyard schema ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum SchemaCommand {
    /// Check a schema file and print every problem with its line and column; exits 1
    /// when there is any.
    Check {
        /// The file.
        path: std::path::PathBuf,
    },
    /// Print the JSON Schema of the file format (for editors).
    JsonSchema,
    /// Print the DDL that creates the tables of a schema file on an empty database.
    Sql {
        /// The file (the bookshop when left out; its tables come from its migrations).
        path: Option<std::path::PathBuf>,
        /// The DDL for PostgreSQL (SQLite by default).
        #[arg(long)]
        postgres: bool,
    },
}

/// The size of the catalogue `load-sample` generates.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct SampleArgs {
    /// Books ("Book N").
    #[arg(long, default_value_t = 1000)]
    pub books: u64,
    /// Authors ("Author N").
    #[arg(long, default_value_t = 500)]
    pub authors: u64,
    /// Book–author relations, the hot ones included.
    #[arg(long, default_value_t = 10_000)]
    pub relations: u64,
    /// How many of the relations link author 1 to books 1..=N (listed first), so that
    /// `DELETE /books-authors?author_id=1` removes exactly N.
    #[arg(long, default_value_t = 0)]
    pub hot_relations: u64,
    /// Draw no progress bar.
    #[arg(long)]
    pub quiet: bool,
}

impl Config {
    /// A configuration for tests and embedding: defaults plus a database URL.
    pub fn for_database(database_url: &str) -> Self {
        Config {
            bind: "127.0.0.1:0".into(),
            database_url: database_url.into(),
            public_url: None,
            trusted_proxies: Vec::new(),
            demo_data: DemoData::Never,
            max_body: 256 * 1024,
            pool_size: 8,
            pool_timeout_ms: 2000,
            statement_timeout_ms: 10_000,
            client_timeout_ms: 5000,
            workers: Some(2),
            replica_urls: Vec::new(),
            replica_wait_ms: 500,
            replica_max_lag_ms: 5000,
            log_format: LogFormat::Text,
            metrics_bind: None,
            shutdown_timeout_ms: 10_000,
            schema: None,
            command: None,
        }
    }
}

/// A trusted proxy: one address (`10.0.0.7`, `::1`) or a range (`10.0.0.0/8`).
fn parse_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is neither an IP address nor a CIDR range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_addresses_or_ranges_and_nothing_else() {
        let config =
            Config::try_parse_from(["halyard", "--trusted-proxies", "10.0.0.0/8, 127.0.0.1,::1"])
                .expect("parses");
        let proxies: Vec<String> = config
            .trusted_proxies
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(proxies, ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]);
        let refused = Config::try_parse_from(["halyard", "--trusted-proxies", "evil.example"])
            .expect_err("a host name is not an address");
        assert!(refused.to_string().contains("evil.example"), "{refused}");
    }
}
