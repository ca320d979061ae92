//! Log lines, as text or as one JSON object a line (`--log-format`), each carrying the
//! request id of the request it belongs to. The id reaches a line through the task
//! serving the request ([`scope`]) or, for database work on a blocking thread, through
//! that thread ([`in_request`]), so a database error logged deep in a conversion still
//! names its request.

use std::cell::RefCell;
use std::future::Future;
use std::io::Write;

use crate::config::LogFormat;

/// The target of the one line a request (`http::observe`): in JSON its message is
/// already the request's fields as a JSON object.
pub const REQUEST_TARGET: &str = "halyard::request";

tokio::task_local! {
    static TASK_REQUEST: String;
}

thread_local! {
    static THREAD_REQUEST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `future` as the request `id`: every line it logs carries the id.
pub async fn scope<F: Future>(id: String, future: F) -> F::Output {
    TASK_REQUEST.scope(id, future).await
}

/// The id of the request being served here, if any.
pub fn request_id() -> Option<String> {
    TASK_REQUEST
        .try_with(Clone::clone)
        .ok()
        .or_else(|| THREAD_REQUEST.with(|id| id.borrow().clone()))
}

/// Runs `work` on this (blocking) thread as the request `id`.
pub fn in_request<T>(id: Option<String>, work: impl FnOnce() -> T) -> T {
    let before = THREAD_REQUEST.with(|slot| slot.replace(id));
    let out = work();
    THREAD_REQUEST.with(|slot| *slot.borrow_mut() = before);
    out
}

/// Starts logging to standard error in `format`, at the level of `RUST_LOG` (`info` by
/// default).
pub fn init(format: LogFormat) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    builder.format(move |out, record| {
        let time = crate::clock::Utc::now().rfc3339();
        let id = request_id();
        match format {
            LogFormat::Json => {
                let message = record.args().to_string();
                if record.target() == REQUEST_TARGET && message.starts_with('{') {
                    // The request's own fields, after the time and level.
                    let fields = &message[1..];
                    writeln!(
                        out,
                        "{{\"time\":\"{time}\",\"level\":\"{}\",{fields}",
                        record.level()
                    )
                } else {
                    let mut line = serde_json::json!({
                        "time": time,
                        "level": record.level().as_str(),
                        "target": record.target(),
                        "message": message,
                    });
                    if let Some(id) = id {
                        line["request_id"] = id.into();
                    }
                    writeln!(out, "{line}")
                }
            }
            LogFormat::Text => match id {
                Some(id) => writeln!(
                    out,
                    "{time} {:<5} {} [{id}] {}",
                    record.level(),
                    record.target(),
                    record.args()
                ),
                None => writeln!(
                    out,
                    "{time} {:<5} {} {}",
                    record.level(),
                    record.target(),
                    record.args()
                ),
            },
        }
    });
    // A second start in one process (tests) keeps the first logger.
    let _ = builder.try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocking_thread_names_its_request_only_while_it_works_for_it() {
        assert_eq!(request_id(), None);
        let seen = in_request(Some("req-1".into()), request_id);
        assert_eq!(seen.as_deref(), Some("req-1"));
        assert_eq!(request_id(), None);
    }
}
