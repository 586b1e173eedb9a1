//! What the relay allows each party, so that no client (member or stranger) can
//! exhaust it: every value has a default an operator can change in the relay's
//! configuration (see `docs/security.md`, which lists them).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bastide_proto::{DeviceId, MAX_FRAME_LEN};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The relay's limits.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Connections served at once; more are refused at the QUIC handshake.
    pub max_connections: usize,
    /// New connections accepted per second, on average over five seconds (so every
    /// client of a restarted relay can come back at once); more are refused.
    pub handshakes_per_second: u32,
    /// Requests one connection may have open at once (one stream each; a client
    /// keeps one open per space it follows).
    pub streams_per_connection: u32,
    /// Largest frame before a device has authenticated.
    pub preauth_frame: usize,
    /// Largest frame after (a push of many records, a file chunk).
    pub max_frame: usize,
    /// Longest silence inside a request or a reply: a peer that sends or reads
    /// nothing for this long loses the stream (or, while authenticating, the
    /// connection).
    pub io_timeout: Duration,
    /// Request bytes one connection may have in the relay's memory at once.
    pub connection_buffer: usize,
    /// Request bytes all connections together may have in memory at once.
    pub relay_buffer: usize,
    /// Bytes one space may hold: its log's records and its files' chunks.
    pub space_bytes: u64,
    /// Records (entries and ops) one device may push per second, on average.
    pub entries_per_second: u32,
    /// How many records a device may push at once before the rate applies: a day
    /// or two of offline work goes through in one go.
    pub entries_burst: u32,
    /// Whether anyone may create a space, without an operator's admission token.
    /// On by default only for a relay listening on loopback.
    pub open_creation: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 512,
            handshakes_per_second: 100,
            streams_per_connection: 64,
            preauth_frame: 4 * 1024,
            max_frame: MAX_FRAME_LEN,
            io_timeout: Duration::from_secs(30),
            connection_buffer: 2 * MAX_FRAME_LEN,
            relay_buffer: 160 * 1024 * 1024,
            space_bytes: 4 * 1024 * 1024 * 1024,
            entries_per_second: 100,
            entries_burst: 10_000,
            open_creation: false,
        }
    }
}

/// A token bucket: `rate` tokens a second, at most `burst` saved.
#[derive(Debug)]
pub(crate) struct Bucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    at: Instant,
}

impl Bucket {
    pub(crate) fn new(rate: u32, burst: u32) -> Self {
        Self {
            tokens: f64::from(burst),
            rate: f64::from(rate.max(1)),
            burst: f64::from(burst.max(1)),
            at: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.at = now;
    }

    /// Takes `n` tokens if there are; otherwise how long until there would be.
    pub(crate) fn take(&mut self, n: u32, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        let n = f64::from(n);
        if self.tokens >= n {
            self.tokens -= n;
            return Ok(());
        }
        let missing = n - self.tokens;
        Err(Duration::from_secs_f64(missing / self.rate))
    }

    /// Takes `n` tokens now, going into debt: the next takes wait for it to be paid.
    pub(crate) fn force(&mut self, n: u32, now: Instant) {
        self.refill(now);
        self.tokens -= f64::from(n);
    }
}

/// Per-device push rates.
#[derive(Debug, Default)]
pub(crate) struct Rates {
    buckets: Mutex<HashMap<DeviceId, Bucket>>,
}

impl Rates {
    /// How long `device` must wait before pushing `n` records (zero: go). Counts
    /// them as pushed when the wait is at most `patience`.
    pub(crate) fn admit(
        &self,
        device: DeviceId,
        n: u32,
        limits: &Limits,
        patience: Duration,
    ) -> Result<Duration, Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        // Forget devices whose bucket is full again, so the map stays small.
        if buckets.len() > 4096 {
            buckets.retain(|_, b| {
                b.refill(now);
                b.tokens < b.burst
            });
        }
        let bucket = buckets
            .entry(device)
            .or_insert_with(|| Bucket::new(limits.entries_per_second, limits.entries_burst));
        // A push larger than the burst would never pass: let it through on credit.
        let n = n.min(limits.entries_burst.max(1));
        match bucket.take(n, now) {
            Ok(()) => Ok(Duration::ZERO),
            Err(wait) if wait <= patience => {
                bucket.force(n, now);
                Ok(wait)
            }
            Err(wait) => Err(wait),
        }
    }
}

/// Request bytes held in memory: one budget per connection inside one for the relay.
/// A frame's announced length is reserved before its bytes are read, so what slow
/// or stalled peers make the relay hold is bounded whatever they announce.
#[derive(Clone, Debug)]
pub(crate) struct Budget {
    relay: Arc<Semaphore>,
    connection: Arc<Semaphore>,
}

/// Bytes reserved for one request, given back when dropped.
#[derive(Debug)]
pub(crate) struct Reserved {
    _relay: OwnedSemaphorePermit,
    _connection: OwnedSemaphorePermit,
}

/// The unit budgets count in: whole KiB, so a u32 of permits covers any frame.
const UNIT: usize = 1024;

fn units(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(UNIT)).unwrap_or(u32::MAX)
}

impl Budget {
    /// The relay's budget (shared by every connection).
    pub(crate) fn relay(limits: &Limits) -> Arc<Semaphore> {
        Arc::new(Semaphore::new(units(limits.relay_buffer) as usize))
    }

    /// A new connection's budget inside the relay's.
    pub(crate) fn new(relay: Arc<Semaphore>, limits: &Limits) -> Self {
        Self {
            relay,
            connection: Arc::new(Semaphore::new(units(limits.connection_buffer) as usize)),
        }
    }

    /// Reserves `bytes`, waiting at most `patience` for other requests to give
    /// some back; `None` if they did not.
    pub(crate) async fn reserve(&self, bytes: usize, patience: Duration) -> Option<Reserved> {
        let n = units(bytes).max(1);
        let take = async {
            // The connection's own budget first: a connection that holds all of its
            // own waits on itself, not on everyone else.
            let connection = self.connection.clone().acquire_many_owned(n).await.ok()?;
            let relay = self.relay.clone().acquire_many_owned(n).await.ok()?;
            Some(Reserved {
                _relay: relay,
                _connection: connection,
            })
        };
        tokio::time::timeout(patience, take).await.ok().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_gives_its_burst_then_its_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::new(10, 100);
        assert_eq!(bucket.take(100, start), Ok(()));
        let wait = bucket.take(5, start).expect_err("the burst is spent");
        assert!(
            (wait.as_secs_f64() - 0.5).abs() < 1e-6,
            "5 tokens at 10/s: {wait:?}"
        );
        assert_eq!(bucket.take(5, start + Duration::from_millis(500)), Ok(()));
        // Refill stops at the burst.
        assert_eq!(bucket.take(100, start + Duration::from_secs(3600)), Ok(()));
        assert!(bucket.take(1, start + Duration::from_secs(3600)).is_err());
    }

    #[test]
    fn a_device_over_its_rate_waits_a_little_or_is_refused() {
        let limits = Limits {
            entries_per_second: 10,
            entries_burst: 20,
            ..Limits::default()
        };
        let rates = Rates::default();
        let device = DeviceId([1; 32]);
        let patience = Duration::from_secs(1);
        assert_eq!(rates.admit(device, 20, &limits, patience), Ok(Duration::ZERO));
        // 5 more: half a second of credit, within patience.
        let waited = rates.admit(device, 5, &limits, patience).expect("a short wait");
        assert!(waited > Duration::ZERO && waited <= patience);
        // 20 more now would take 2.5 s: refused, and nothing taken.
        assert!(rates.admit(device, 20, &limits, patience).is_err());
        // Another device has its own bucket.
        assert_eq!(
            rates.admit(DeviceId([2; 32]), 20, &limits, patience),
            Ok(Duration::ZERO)
        );
    }

    #[tokio::test]
    async fn a_connection_cannot_hold_more_than_its_budget_nor_all_of_them_more_than_the_relays() {
        let limits = Limits {
            connection_buffer: 10 * UNIT,
            relay_buffer: 15 * UNIT,
            ..Limits::default()
        };
        let relay = Budget::relay(&limits);
        let a = Budget::new(relay.clone(), &limits);
        let b = Budget::new(relay, &limits);
        let short = Duration::from_millis(20);
        let held = a.reserve(10 * UNIT, short).await.expect("within a's budget");
        assert!(a.reserve(1, short).await.is_none(), "a is at its own limit");
        let b_held = b
            .reserve(5 * UNIT, short)
            .await
            .expect("the relay has 5 KiB left");
        assert!(b.reserve(1, short).await.is_none(), "the relay is at its limit");
        drop(held);
        assert!(
            b.reserve(5 * UNIT, short).await.is_some(),
            "a gave its bytes back"
        );
        drop(b_held);
    }
}
