//! The relay's durable state in SQLite: spaces, their members and their logs.
//!
//! Appends go through one writer task that group-commits: it takes every push waiting
//! in its queue, writes them in one transaction with `synchronous=FULL`, and only then
//! acknowledges. Under load, one fsync covers many pushes.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bastide_proto::wire::{LogEntry, PushResult};
use bastide_proto::{DeviceId, Entry, EntryId, SpaceId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::{broadcast, mpsc, oneshot};

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("relay database: {0}")]
    Db(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("relay database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The group commit holding this push failed; nothing of it was stored.
    #[error("relay group commit: {0}")]
    Commit(#[source] std::sync::Arc<sqlx::Error>),
    /// The writer task is gone (the relay is shutting down).
    #[error("relay store is shutting down")]
    Closed,
}

/// How many pushes one group commit takes at most. Bounded so that a flood of pushes
/// still gets acknowledged in slices; 512 pushes of small entries commit in a few ms.
const MAX_GROUP: usize = 512;

/// An entry stored in a space's log, announced to subscribers.
#[derive(Clone, Debug)]
pub(crate) struct Appended {
    /// The space.
    pub(crate) space: SpaceId,
    /// The entry and its sequence number.
    pub(crate) entry: LogEntry,
}

/// One checked entry to append.
#[derive(Debug)]
pub(crate) struct Append {
    /// Its id.
    pub(crate) id: EntryId,
    /// The decoded entry (signature already verified).
    pub(crate) entry: Entry,
    /// Its bytes as pushed.
    pub(crate) bytes: Vec<u8>,
}

struct PushJob {
    entries: Vec<Append>,
    reply: oneshot::Sender<Result<Vec<PushResult>, StoreError>>,
}

/// Handle to the relay store; cheap to clone.
#[derive(Clone)]
pub(crate) struct Store {
    pool: SqlitePool,
    writer: mpsc::Sender<PushJob>,
    appended: broadcast::Sender<Appended>,
}

impl Store {
    /// Opens (creating if needed) the store in `dir`, and starts its writer task.
    pub(crate) async fn open(dir: &Path) -> Result<(Self, tokio::task::JoinHandle<()>), StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(dir.join("relay.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // An acknowledged entry must survive a power cut.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        // Subscribers that fall further behind than this re-read from the database.
        let (appended, _) = broadcast::channel(4096);
        let (writer, jobs) = mpsc::channel(1024);
        let task = tokio::spawn(write_loop(pool.clone(), jobs, appended.clone()));
        Ok((
            Self {
                pool,
                writer,
                appended,
            },
            task,
        ))
    }

    /// Live announcements of appended entries.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Appended> {
        self.appended.subscribe()
    }

    /// Registers `space` with `access` as its access key if it is new, and adds
    /// `device` to its members. Returns the space's access key as stored.
    pub(crate) async fn enter(
        &self,
        space: &SpaceId,
        access: &[u8; 32],
        device: &DeviceId,
    ) -> Result<[u8; 32], StoreError> {
        let now = unix_now();
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT OR IGNORE INTO spaces (id, access_key, created_at) VALUES (?, ?, ?)")
            .bind(space.0.as_slice())
            .bind(access.as_slice())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let (stored,): (Vec<u8>,) = sqlx::query_as("SELECT access_key FROM spaces WHERE id = ?")
            .bind(space.0.as_slice())
            .fetch_one(&mut *tx)
            .await?;
        let stored: [u8; 32] = stored.try_into().unwrap_or([0; 32]);
        if &stored == access {
            sqlx::query("INSERT OR IGNORE INTO members (space, device, joined_at) VALUES (?, ?, ?)")
                .bind(space.0.as_slice())
                .bind(device.0.as_slice())
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(stored)
    }

    /// Whether `device` is a member of `space`.
    pub(crate) async fn is_member(&self, space: &SpaceId, device: &DeviceId) -> Result<bool, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM members WHERE space = ? AND device = ?")
            .bind(space.0.as_slice())
            .bind(device.0.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Up to `limit` entries of `space` after `after`, in order.
    pub(crate) async fn read(
        &self,
        space: &SpaceId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT seq, bytes FROM entries WHERE space = ? AND seq > ? ORDER BY seq LIMIT ?")
                .bind(space.0.as_slice())
                .bind(i64::try_from(after).unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, bytes)| LogEntry {
                seq: u64::try_from(seq).unwrap_or(0),
                bytes,
            })
            .collect())
    }

    /// Appends checked entries, durably, and returns one verdict per entry.
    pub(crate) async fn append(&self, entries: Vec<Append>) -> Result<Vec<PushResult>, StoreError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(PushJob { entries, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Closes the database once every handle is done.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

async fn write_loop(
    pool: SqlitePool,
    mut jobs: mpsc::Receiver<PushJob>,
    appended: broadcast::Sender<Appended>,
) {
    // The last sequence number per space, loaded on first use.
    let mut heads: HashMap<SpaceId, u64> = HashMap::new();
    let mut batch = Vec::with_capacity(MAX_GROUP);
    while jobs.recv_many(&mut batch, MAX_GROUP).await > 0 {
        let saved = heads.clone();
        match commit_group(&pool, &mut heads, &batch).await {
            Ok((results, fresh)) => {
                for (job, result) in batch.drain(..).zip(results) {
                    let _ = job.reply.send(Ok(result));
                }
                for item in fresh {
                    // No subscriber is not an error.
                    let _ = appended.send(item);
                }
            }
            Err(error) => {
                tracing::error!(%error, "group commit failed; pushes refused");
                heads = saved;
                let error = std::sync::Arc::new(error);
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(StoreError::Commit(error.clone())));
                }
            }
        }
    }
}

async fn commit_group(
    pool: &SqlitePool,
    heads: &mut HashMap<SpaceId, u64>,
    batch: &[PushJob],
) -> Result<(Vec<Vec<PushResult>>, Vec<Appended>), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut results = Vec::with_capacity(batch.len());
    let mut fresh = Vec::new();
    for job in batch {
        let mut verdicts = Vec::with_capacity(job.entries.len());
        for append in &job.entries {
            let space = append.entry.header.space;
            let existing: Option<(i64,)> = sqlx::query_as("SELECT seq FROM entries WHERE id = ?")
                .bind(append.id.0.as_slice())
                .fetch_optional(&mut *tx)
                .await?;
            if let Some((seq,)) = existing {
                verdicts.push(PushResult::Stored {
                    id: append.id,
                    seq: u64::try_from(seq).unwrap_or(0),
                });
                continue;
            }
            let head = match heads.get(&space) {
                Some(head) => *head,
                None => {
                    let (max,): (Option<i64>,) =
                        sqlx::query_as("SELECT MAX(seq) FROM entries WHERE space = ?")
                            .bind(space.0.as_slice())
                            .fetch_one(&mut *tx)
                            .await?;
                    max.and_then(|m| u64::try_from(m).ok()).unwrap_or(0)
                }
            };
            let seq = head + 1;
            sqlx::query("INSERT INTO entries (space, seq, id, author, bytes) VALUES (?, ?, ?, ?, ?)")
                .bind(space.0.as_slice())
                .bind(i64::try_from(seq).unwrap_or(i64::MAX))
                .bind(append.id.0.as_slice())
                .bind(append.entry.header.author.0.as_slice())
                .bind(append.bytes.as_slice())
                .execute(&mut *tx)
                .await?;
            heads.insert(space, seq);
            verdicts.push(PushResult::Stored { id: append.id, seq });
            fresh.push(Appended {
                space,
                entry: LogEntry {
                    seq,
                    bytes: append.bytes.clone(),
                },
            });
        }
        results.push(verdicts);
    }
    tx.commit().await?;
    Ok((results, fresh))
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
