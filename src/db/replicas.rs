//! Reads from PostgreSQL streaming replicas that never go back in time.
//!
//! A position is a WAL location (an LSN, as a number). A read that must see the state
//! at some position (the client's last write, the page its token was made on, the
//! representation its ETag names) is served by a replica only once that replica has
//! replayed it, waiting at most `wait`, and otherwise by the primary. A read with no
//! such position may be served by any replica that is up and no more than `max_lag`
//! behind. A monitor thread reads each replica's replay position and the primary's
//! position a few times a second; a replica it cannot reach is skipped until it answers
//! again. What a read was served at is recorded for the duration of the work
//! ([`position`]), so page tokens and ETags made by that read carry it.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::{load_texts, Manager, OpenError, Pool, PooledConn, Sql, Target};

/// How often the monitor looks.
const MONITOR_EVERY: Duration = Duration::from_millis(100);
/// How far back the primary's positions are remembered, to tell a replica's lag in time.
const HISTORY: Duration = Duration::from_secs(30);
/// A replica that does not hand out a connection this fast is treated as down.
const REPLICA_CHECKOUT: Duration = Duration::from_millis(250);

thread_local! {
    static READ_AT: Cell<Option<u64>> = const { Cell::new(None) };
}

/// The position the current database work reads at, when replicas are in use.
pub fn position() -> Option<u64> {
    READ_AT.with(Cell::get)
}

/// Runs `work` as reading at `at`.
pub fn reading_at<T>(at: Option<u64>, work: impl FnOnce() -> T) -> T {
    let before = READ_AT.with(|slot| slot.replace(at));
    let out = work();
    READ_AT.with(|slot| slot.set(before));
    out
}

/// Which server a read went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// A replica, by its index in `--replica-url`.
    Replica(usize),
    /// The primary: no replica had replayed far enough in time, or none was usable.
    Primary,
}

impl Served {
    /// `primary`, or `replica-N` for the N-th `--replica-url` (from 0).
    pub fn label(self) -> String {
        match self {
            Served::Replica(index) => format!("replica-{index}"),
            Served::Primary => "primary".to_owned(),
        }
    }
}

/// The replicas of one primary.
#[derive(Clone)]
pub struct Replicas {
    inner: Arc<Inner>,
}

struct Inner {
    primary: Pool,
    replicas: Vec<Replica>,
    wait: Duration,
    max_lag: Duration,
    next: AtomicUsize,
}

struct Replica {
    pool: Pool,
    health: Mutex<Health>,
}

/// What the monitor last saw of a replica.
#[derive(Debug, Clone, Copy)]
pub struct Health {
    /// It answered the last look.
    pub up: bool,
    /// The position it has replayed.
    pub replayed: u64,
    /// How far behind the primary it is, in time.
    pub lag: Duration,
}

impl Replicas {
    /// Pools for `urls`, each a replica of `primary`; a replica that is down now is
    /// skipped until it answers.
    pub fn open(
        primary: &Pool,
        urls: &[String],
        wait: Duration,
        max_lag: Duration,
    ) -> Result<Replicas, OpenError> {
        let mut replicas = Vec::new();
        for url in urls {
            let Target::Postgres(url) = Target::parse(url) else {
                return Err(OpenError(format!(
                    "a replica must be a postgres:// URL, not {url:?}"
                )));
            };
            let pool = r2d2::Pool::builder()
                .max_size(primary.max_size())
                .min_idle(Some(0))
                .connection_timeout(REPLICA_CHECKOUT)
                .build_unchecked(Manager {
                    target: Target::Postgres(url),
                    statement_timeout_ms: 0,
                });
            replicas.push(Replica {
                pool,
                health: Mutex::new(Health {
                    up: false,
                    replayed: 0,
                    lag: Duration::MAX,
                }),
            });
        }
        let inner = Arc::new(Inner {
            primary: primary.clone(),
            replicas,
            wait,
            max_lag,
            next: AtomicUsize::new(0),
        });
        let watched = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("replica-monitor".into())
            .spawn(move || monitor(watched))
            .map_err(|e| OpenError(format!("cannot start the replica monitor: {e}")))?;
        Ok(Replicas { inner })
    }

    /// What the monitor last saw of each replica.
    pub fn health(&self) -> Vec<Health> {
        self.inner
            .replicas
            .iter()
            .map(|r| *r.health.lock().expect("health"))
            .collect()
    }

    /// A connection for a read that must see `required` (if any), and the position it
    /// reads at: a replica's when one has replayed `required` (waiting at most `wait`
    /// for one to), else the primary's.
    pub fn read(&self, required: Option<u64>) -> Result<(PooledConn, u64, Served), r2d2::Error> {
        let inner = &self.inner;
        let deadline = Instant::now() + inner.wait;
        loop {
            if let Some(found) = self.try_replicas(required) {
                return Ok(found);
            }
            let worth_waiting = required.is_some()
                && Instant::now() < deadline
                && inner.replicas.iter().any(|r| {
                    let health = *r.health.lock().expect("health");
                    health.up && health.lag <= inner.max_lag
                });
            if !worth_waiting {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut conn = inner.primary.get()?;
        let at = primary_position(&mut conn).unwrap_or(0);
        Ok((conn, at, Served::Primary))
    }

    /// One pass over the usable replicas, starting at the next in turn.
    fn try_replicas(&self, required: Option<u64>) -> Option<(PooledConn, u64, Served)> {
        let inner = &self.inner;
        let count = inner.replicas.len();
        let start = inner.next.fetch_add(1, Ordering::Relaxed);
        for offset in 0..count {
            let index = (start + offset) % count;
            let replica = &inner.replicas[index];
            let health = *replica.health.lock().expect("health");
            if !health.up || health.lag > inner.max_lag {
                continue;
            }
            // The monitor's view of `replayed` may be a tick old: the replica itself is
            // asked below, so a replica that just caught up is used at once.
            let Ok(mut conn) = replica.pool.get() else {
                replica.health.lock().expect("health").up = false;
                continue;
            };
            match replayed(&mut conn) {
                Some(at) if required.is_none_or(|needed| at >= needed) => {
                    return Some((conn, at, Served::Replica(index)));
                }
                Some(_) => {}
                None => replica.health.lock().expect("health").up = false,
            }
        }
        None
    }
}

/// Looks at the primary and every replica until the replicas are dropped.
fn monitor(watched: Weak<Inner>) {
    let mut history: VecDeque<(Instant, u64)> = VecDeque::new();
    while let Some(inner) = watched.upgrade() {
        let now = Instant::now();
        if let Some(at) = inner
            .primary
            .get()
            .ok()
            .and_then(|mut conn| primary_position(&mut conn))
        {
            history.push_back((now, at));
        }
        while history.front().is_some_and(|(t, _)| now - *t > HISTORY) {
            history.pop_front();
        }
        for replica in &inner.replicas {
            let seen = replica
                .pool
                .get()
                .ok()
                .and_then(|mut conn| replayed(&mut conn));
            let mut health = replica.health.lock().expect("health");
            *health = match seen {
                None => Health {
                    up: false,
                    replayed: health.replayed,
                    lag: Duration::MAX,
                },
                Some(at) => Health {
                    up: true,
                    replayed: at,
                    lag: lag(&history, at, now),
                },
            };
        }
        drop(inner);
        std::thread::sleep(MONITOR_EVERY);
    }
}

/// How long ago the primary first stood past `replayed`: zero when the replica has
/// everything the primary had at the last look.
fn lag(history: &VecDeque<(Instant, u64)>, replayed: u64, now: Instant) -> Duration {
    match history.iter().find(|(_, at)| *at > replayed) {
        None => Duration::ZERO,
        Some((since, _)) if history.front().is_some_and(|(t, _)| t == since) => {
            // Behind for at least as long as we remember.
            (now - *since).max(HISTORY)
        }
        Some((since, _)) => now - *since,
    }
}

/// The primary's current WAL position.
pub fn primary_position(conn: &mut PooledConn) -> Option<u64> {
    lsn(conn, "SELECT pg_current_wal_lsn()::text AS value")
}

/// The position a standby has replayed; `None` when it is not a standby or did not
/// answer.
fn replayed(conn: &mut PooledConn) -> Option<u64> {
    lsn(conn, "SELECT pg_last_wal_replay_lsn()::text AS value")
}

fn lsn(conn: &mut PooledConn, query: &str) -> Option<u64> {
    load_texts(conn, &Sql::new(query))
        .ok()?
        .first()
        .and_then(|text| parse_lsn(text))
}

/// `16/B374D848` as a number.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    Some((u64::from_str_radix(high, 16).ok()? << 32) | u64::from_str_radix(low, 16).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_as_numbers_in_wal_order() {
        assert_eq!(parse_lsn("0/16B3748"), Some(0x16B_3748));
        assert_eq!(parse_lsn("16/B374D848"), Some((0x16 << 32) | 0xB374_D848));
        assert!(parse_lsn("1/0").unwrap() > parse_lsn("0/FFFFFFFF").unwrap());
        assert_eq!(parse_lsn("garbage"), None);
    }

    #[test]
    fn lag_is_how_long_the_primary_has_been_past_the_replica() {
        let now = Instant::now();
        let history: VecDeque<(Instant, u64)> = [
            (now - Duration::from_millis(300), 10),
            (now - Duration::from_millis(200), 20),
            (now - Duration::from_millis(100), 30),
        ]
        .into();
        assert_eq!(lag(&history, 30, now), Duration::ZERO);
        assert_eq!(lag(&history, 25, now), Duration::from_millis(100));
        assert_eq!(lag(&history, 10, now), Duration::from_millis(200));
        assert!(lag(&history, 5, now) >= HISTORY);
    }
}
