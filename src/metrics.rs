//! The process's Prometheus metrics, served as text by `GET /metrics` (docs/operations.md
//! says what each means). One registry a process, as in every Prometheus client: the
//! request counters are recorded by `http::observe`, database errors where a database
//! error becomes an [`ApiError`](crate::error::ApiError), pool checkouts by the pool
//! itself ([`PoolEvents`]), page-token rejections where a token is checked. Every label
//! is bounded: a route template (never a raw path), a known method, a status code.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// How a database failure is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    /// Worth a retry: a lost connection, a busy lock, a serialization failure, a
    /// statement timeout (the client got 503).
    Transient,
    /// A constraint refused the write: unique or foreign key (409 or 422).
    Constraint,
    /// Anything else (500).
    Other,
}

impl DbErrorKind {
    fn label(self) -> &'static str {
        match self {
            DbErrorKind::Transient => "transient",
            DbErrorKind::Constraint => "constraint",
            DbErrorKind::Other => "other",
        }
    }
}

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    in_flight: IntGauge,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
    pool_wait: Histogram,
    pool_timeouts: IntCounter,
    writes_waiting: IntGauge,
    db_errors: IntCounterVec,
    token_rejections: IntCounter,
    statements_prepared: IntCounter,
    reads: IntCounterVec,
    replica_lag: prometheus::GaugeVec,
    replica_up: IntGaugeVec,
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

/// The methods counted by name; any other is `OTHER`, so a client cannot add series.
const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "LINK", "UNLINK",
];

impl Metrics {
    fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "halyard_http_requests_total",
                "Requests answered, by method, route template and status.",
            ),
            &["method", "route", "status"],
        )
        .expect("a valid metric");
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "halyard_http_request_duration_seconds",
                "Time from the request's arrival to its response, by method and route template.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
            ]),
            &["method", "route"],
        )
        .expect("a valid metric");
        let in_flight = IntGauge::new(
            "halyard_http_requests_in_flight",
            "Requests being served now.",
        )
        .expect("a valid metric");
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "halyard_db_pool_connections",
                "Database connections of the pool, in use or idle (read at scrape time).",
            ),
            &["state"],
        )
        .expect("a valid metric");
        let pool_max = IntGauge::new(
            "halyard_db_pool_max_connections",
            "The pool's size (--pool-size).",
        )
        .expect("a valid metric");
        let pool_wait = Histogram::with_opts(
            HistogramOpts::new(
                "halyard_db_pool_checkout_wait_seconds",
                "Time a request waited for a database connection (on SQLite, a write for its turn at the writer), for each checkout that got one.",
            )
            .buckets(vec![
                0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 5.0,
            ]),
        )
        .expect("a valid metric");
        let pool_timeouts = IntCounter::new(
            "halyard_db_pool_checkout_timeouts_total",
            "Checkouts that found no free connection within --pool-timeout-ms, and SQLite writes that waited that long for the writer (each a 503).",
        )
        .expect("a valid metric");
        let writes_waiting = IntGauge::new(
            "halyard_db_writes_waiting",
            "SQLite writes waiting for their turn at the writer (db::writer); 0 on PostgreSQL.",
        )
        .expect("a valid metric");
        let db_errors = IntCounterVec::new(
            Opts::new(
                "halyard_db_errors_total",
                "Database errors by kind: transient (503), constraint (409/422), other (500).",
            ),
            &["kind"],
        )
        .expect("a valid metric");
        let token_rejections = IntCounter::new(
            "halyard_page_token_rejections_total",
            "Page tokens refused as forged, altered or from another listing (400).",
        )
        .expect("a valid metric");
        let statements_prepared = IntCounter::new(
            "halyard_db_statements_prepared_total",
            "Statements prepared and kept in a connection's statement cache (each text once a connection).",
        )
        .expect("a valid metric");
        let reads = IntCounterVec::new(
            Opts::new(
                "halyard_db_reads_total",
                "Reads with --replica-url, by the server that served them: a replica (by index) or the primary.",
            ),
            &["server"],
        )
        .expect("a valid metric");
        let replica_lag = prometheus::GaugeVec::new(
            Opts::new(
                "halyard_db_replica_lag_seconds",
                "How far each replica is behind the primary, in time (read at scrape time).",
            ),
            &["replica"],
        )
        .expect("a valid metric");
        let replica_up = IntGaugeVec::new(
            Opts::new(
                "halyard_db_replica_up",
                "1 while a replica answers, 0 while it is skipped as down.",
            ),
            &["replica"],
        )
        .expect("a valid metric");
        for metric in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(duration.clone()),
            Box::new(in_flight.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_max.clone()),
            Box::new(pool_wait.clone()),
            Box::new(pool_timeouts.clone()),
            Box::new(writes_waiting.clone()),
            Box::new(db_errors.clone()),
            Box::new(token_rejections.clone()),
            Box::new(statements_prepared.clone()),
            Box::new(reads.clone()),
            Box::new(replica_lag.clone()),
            Box::new(replica_up.clone()),
        ] {
            registry.register(metric).expect("each metric once");
        }
        // Present from the start at zero, so a rate never starts from "no data".
        for kind in [
            DbErrorKind::Transient,
            DbErrorKind::Constraint,
            DbErrorKind::Other,
        ] {
            db_errors.with_label_values(&[kind.label()]);
        }
        Metrics {
            registry,
            requests,
            duration,
            in_flight,
            pool_connections,
            pool_max,
            pool_wait,
            pool_timeouts,
            writes_waiting,
            db_errors,
            token_rejections,
            statements_prepared,
            reads,
            replica_lag,
            replica_up,
        }
    }

    /// Counts a statement prepared into a connection's cache.
    pub fn statement_prepared(&self) {
        self.statements_prepared.inc();
    }

    /// Counts a read by the server that served it (`primary`, `replica-0`, ...).
    pub fn read_served(&self, server: &str) {
        self.reads.with_label_values(&[server]).inc();
    }

    /// Sets the gauges of the replica `name`: whether it answers, and its lag.
    pub fn replica(&self, name: &str, up: bool, lag: Duration) {
        self.replica_up
            .with_label_values(&[name])
            .set(i64::from(up));
        let lag = if up { lag.as_secs_f64() } else { f64::NAN };
        self.replica_lag.with_label_values(&[name]).set(lag);
    }

    /// Counts one answered request.
    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let method = METHODS
            .iter()
            .find(|known| **known == method)
            .copied()
            .unwrap_or("OTHER");
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.duration
            .with_label_values(&[method, route])
            .observe(took.as_secs_f64());
    }

    /// Counts a request in flight until the returned guard is dropped.
    pub fn in_flight(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    /// Counts one database error.
    pub fn db_error(&self, kind: DbErrorKind) {
        self.db_errors.with_label_values(&[kind.label()]).inc();
    }

    /// Counts a request that waited past `--pool-timeout-ms` before it could even ask
    /// the pool (queued for a blocking thread), like a checkout that timed out.
    pub fn checkout_timed_out(&self) {
        self.pool_timeouts.inc();
    }

    /// Records a queued write's turn at the SQLite writer after `waited`, as a checkout
    /// of the writer's connection.
    pub fn write_taken(&self, waited: Duration) {
        self.pool_wait.observe(waited.as_secs_f64());
    }

    /// Records a checkout that found a connection idle and never waited
    /// (`Pool::try_get`, which r2d2 reports no event for).
    pub fn checked_out_at_once(&self) {
        self.pool_wait.observe(0.0);
    }

    /// Counts one refused page token.
    pub fn token_rejected(&self) {
        self.token_rejections.inc();
    }

    /// The text exposition format, with the pool gauges read from `pool` now.
    pub fn render(&self, pool: PoolState) -> String {
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(i64::from(pool.connections.saturating_sub(pool.idle)));
        self.pool_connections
            .with_label_values(&["idle"])
            .set(i64::from(pool.idle));
        self.pool_max.set(i64::from(pool.max));
        self.writes_waiting
            .set(i64::try_from(pool.writes_waiting).unwrap_or(i64::MAX));
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("metrics encode as text");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

/// The pool's connections at one moment.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    /// Open connections.
    pub connections: u32,
    /// Of them, those idle.
    pub idle: u32,
    /// The pool's size.
    pub max: u32,
    /// SQLite writes waiting for the writer (0 on PostgreSQL).
    pub writes_waiting: usize,
}

/// A request in flight (see [`Metrics::in_flight`]).
pub struct InFlight(IntGauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The pool's own events: how long each checkout waited, and each that timed out.
#[derive(Debug)]
pub struct PoolEvents;

impl r2d2::HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: r2d2::event::CheckoutEvent) {
        metrics().pool_wait.observe(event.duration().as_secs_f64());
    }

    fn handle_timeout(&self, _event: r2d2::event::TimeoutEvent) {
        metrics().pool_timeouts.inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_method_is_one_series_whatever_its_name() {
        let metrics = metrics();
        metrics.request("BREW", "/unit-test/{id}", 405, Duration::from_millis(1));
        metrics.request("FROB", "/unit-test/{id}", 405, Duration::from_millis(1));
        let text = metrics.render(PoolState {
            connections: 3,
            idle: 1,
            max: 8,
            writes_waiting: 0,
        });
        assert!(
            text.contains(
                r#"halyard_http_requests_total{method="OTHER",route="/unit-test/{id}",status="405"} 2"#
            ),
            "{text}"
        );
        assert!(!text.contains("BREW") && !text.contains("FROB"));
        assert!(text.contains(r#"halyard_db_pool_connections{state="in_use"} 2"#));
        assert!(text.contains(r#"halyard_db_errors_total{kind="transient"}"#));
    }
}
