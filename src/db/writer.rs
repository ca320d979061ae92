//! SQLite's writes through one connection on one thread, committed in groups.
//!
//! SQLite lets one connection write at a time. With each request writing on its own
//! pooled connection, writers met at SQLite's lock and its busy handler slept and polled
//! for it; every commit by one connection emptied the page cache of all the others; and
//! each write paid its own `BEGIN`, version row and `COMMIT`. Here requests hand their
//! write to the writer instead, which runs them one after another on a connection whose
//! cache only it invalidates, each in a savepoint of a transaction that is committed
//! when no more writes are waiting (or [`BATCH`] have run). A write that fails rolls back
//! to its savepoint alone. Every write is answered once the transaction ended, so nothing
//! is acknowledged before it is in the WAL, as before, and no refusal stands on a write
//! that was then not committed. The representation
//! version moves once a transaction, which is all a revalidation needs: it moves with
//! every change a transaction makes.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::result::{DatabaseErrorKind, Error};

use super::{DbConn, OpenError};

/// Writes one transaction takes at most, so that a steady stream of them still commits.
const BATCH: usize = 64;

/// Writes that may wait for the writer; one more is refused at once with a busy error
/// (a 503 the client may retry) instead of queueing without bound.
const QUEUE: usize = 1024;

/// Answers a write once its transaction ended: with `None` when it committed, else
/// with the error that undid it.
type Deliver = Box<dyn FnOnce(Option<&Error>) + Send>;

/// What running one write left in the transaction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Left {
    /// Its changes, kept in the transaction.
    Kept,
    /// Nothing: it failed and was rolled back to its savepoint.
    Nothing,
    /// A savepoint that could not be set or rolled back: the whole transaction must be.
    Broken,
}

/// One write: run on the writer's connection, or told that it cannot run.
type Job = Box<dyn FnOnce(&mut DbConn, Result<(), &Error>) -> (Left, Deliver) + Send>;

struct Queued {
    job: Job,
    asked: Instant,
}

/// The requests' end of the writer's queue. Dropping the last clone (with the last
/// `AppState`) stops the thread, which closes its connection.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::SyncSender<Queued>,
    /// Writes queued and not yet taken (the `halyard_db_writes_waiting` gauge).
    waiting: Arc<AtomicUsize>,
}

/// A busy error: the transient kind the API answers with 503 and `Retry-After`.
fn busy(why: &str) -> Error {
    Error::DatabaseError(
        DatabaseErrorKind::Unknown,
        Box::new(format!("database is locked ({why})")),
    )
}

/// The same error again, for each write of a transaction that failed as a whole.
fn copy(error: &Error) -> Error {
    let kind = match error {
        Error::DatabaseError(kind, _) => *kind,
        _ => DatabaseErrorKind::Unknown,
    };
    Error::DatabaseError(kind, Box::new(error.to_string()))
}

impl Writer {
    /// Starts the writer on a connection of its own to the SQLite database at `url`; a
    /// write that waited longer than `wait` for its turn is refused (busy), as a request
    /// that waited that long for a pooled connection is.
    pub fn start(url: &str, wait: Duration) -> Result<Writer, OpenError> {
        let url = url.to_owned();
        let conn = super::connect(&url)
            .map_err(|e| OpenError(format!("cannot open the writer's connection: {e}")))?;
        let (jobs, queue) = mpsc::sync_channel(QUEUE);
        let waiting = Arc::new(AtomicUsize::new(0));
        let taken = Arc::clone(&waiting);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || serve(conn, &url, &queue, &taken, wait))
            .map_err(|e| OpenError(format!("cannot start the writer: {e}")))?;
        Ok(Writer { jobs, waiting })
    }

    /// Writes waiting for their turn now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Runs `work` in a write transaction on the writer's connection and gives its
    /// result, or its error, once that transaction ended.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        // The writer's own errors travel as they are and become `E` on the request's
        // task, so that what converting them logs names the request.
        let (answer, answered) = tokio::sync::oneshot::channel::<Result<T, Failed<E>>>();
        let job: Job = Box::new(move |conn, began| {
            if let Err(error) = began {
                return failed(answer, Left::Nothing, Failed::Db(copy(error)));
            }
            if let Err(error) = conn.batch_execute("SAVEPOINT write") {
                return failed(answer, Left::Broken, Failed::Db(error));
            }
            let outcome = catch_unwind(AssertUnwindSafe(|| work(conn)));
            let settled = match &outcome {
                Ok(Ok(_)) => conn.batch_execute("RELEASE write"),
                _ => conn.batch_execute("ROLLBACK TO write; RELEASE write"),
            };
            match (outcome, settled) {
                (_, Err(error)) => failed(answer, Left::Broken, Failed::Db(error)),
                (Ok(Ok(value)), Ok(())) => (
                    Left::Kept,
                    Box::new(move |undone: Option<&Error>| {
                        let _ = answer.send(match undone {
                            None => Ok(value),
                            Some(error) => Err(Failed::Db(copy(error))),
                        });
                    }),
                ),
                (Ok(Err(error)), Ok(())) => failed(answer, Left::Nothing, Failed::Work(error)),
                (Err(_), Ok(())) => failed(
                    answer,
                    Left::Nothing,
                    Failed::Db(Error::QueryBuilderError(
                        "a write panicked; it was rolled back".into(),
                    )),
                ),
            }
        });
        let queued = Queued {
            job,
            asked: Instant::now(),
        };
        // Counted before it is sent, so that the writer's count of its turn never
        // comes first.
        self.waiting.fetch_add(1, Ordering::Relaxed);
        if let Err(refused) = self.jobs.try_send(queued) {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(busy(match refused {
                mpsc::TrySendError::Full(_) => "too many writes are waiting",
                mpsc::TrySendError::Disconnected(_) => "the writer has stopped",
            })
            .into());
        }
        match answered.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(Failed::Work(error))) => Err(error),
            Ok(Err(Failed::Db(error))) => Err(error.into()),
            Err(_) => Err(busy("the writer has stopped").into()),
        }
    }
}

/// A write's failure, answered when its transaction ends whatever became of it.
fn failed<T: Send + 'static, E: Send + 'static>(
    answer: Answer<T, E>,
    left: Left,
    error: Failed<E>,
) -> (Left, Deliver) {
    (left, Box::new(move |_| drop(answer.send(Err(error)))))
}

/// Where a write's result goes, back to the request's task.
type Answer<T, E> = tokio::sync::oneshot::Sender<Result<T, Failed<E>>>;

/// Why a write failed: its own error, or the writer's (the transaction could not begin
/// or commit, the write panicked).
enum Failed<E> {
    Work(E),
    Db(Error),
}

/// A queued write's turn: its job, or `None` when it waited past `wait` for it and was
/// refused (busy, counted as a checkout that timed out).
fn take_turn(
    conn: &mut DbConn,
    queued: Queued,
    waiting: &AtomicUsize,
    wait: Duration,
) -> Option<Job> {
    waiting.fetch_sub(1, Ordering::Relaxed);
    let metrics = crate::metrics::metrics();
    let waited = queued.asked.elapsed();
    metrics.write_taken(waited);
    if waited <= wait {
        return Some(queued.job);
    }
    metrics.checkout_timed_out();
    let (_, deliver) = (queued.job)(conn, Err(&busy("waited too long for its turn")));
    deliver(None);
    None
}

/// The writer thread: a transaction per group of waiting writes, until the queue closes.
fn serve(
    mut conn: DbConn,
    url: &str,
    queue: &mpsc::Receiver<Queued>,
    waiting: &AtomicUsize,
    wait: Duration,
) {
    while let Ok(first) = queue.recv() {
        let Some(first) = take_turn(&mut conn, first, waiting, wait) else {
            continue;
        };
        if let Err(error) = conn.batch_execute("BEGIN IMMEDIATE") {
            let (_, deliver) = first(&mut conn, Err(&error));
            deliver(None);
            continue;
        }
        let mut answers: Vec<Deliver> = Vec::new();
        let (mut kept, mut broken) = (false, false);
        let mut next = Some(first);
        while let Some(job) = next.take() {
            let (left, deliver) = job(&mut conn, Ok(()));
            answers.push(deliver);
            kept |= left == Left::Kept;
            broken |= left == Left::Broken;
            if broken || answers.len() == BATCH {
                break;
            }
            while let Ok(queued) = queue.try_recv() {
                next = take_turn(&mut conn, queued, waiting, wait);
                if next.is_some() {
                    break;
                }
            }
        }
        let undone = if broken {
            Some(busy("a write could not be rolled back alone"))
        } else if kept {
            conn.batch_execute(&format!("{}; COMMIT", super::MOVE_VERSION))
                .err()
        } else {
            None
        };
        if broken || undone.is_some() || !kept {
            if let Err(error) = conn.batch_execute("ROLLBACK") {
                // Still inside the transaction, every later write would fail: start
                // again on a fresh connection (closing this one rolls it back).
                log::warn!("the writer's rollback failed ({error}); reconnecting");
                match super::connect(url) {
                    Ok(fresh) => conn = fresh,
                    Err(error) => log::warn!("the writer cannot reconnect: {error}"),
                }
            }
        }
        for deliver in answers {
            deliver(undone.as_ref());
        }
        super::trim_cache(&mut conn);
    }
}
