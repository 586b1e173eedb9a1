//! The relay's durable state in SQLite: spaces and their logs of entries and
//! membership ops.
//!
//! Appends go through one writer task that group-commits: it takes every push waiting
//! in its queue, writes them in one transaction with `synchronous=FULL`, and only then
//! acknowledges. Under load, one fsync covers many pushes. The writer is also where
//! membership is enforced: it judges each record against the membership of the log
//! exactly as it stands when the record gets its sequence number, which is what every
//! client replays when it checks the same record.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bastide_proto::ballot::BallotRecord;
use bastide_proto::membership::{Membership, Op, Role};
use bastide_proto::wire::{LogEntry, PushResult, Record};
use bastide_proto::{DeviceId, Entry, ItemId, KeyId, SpaceId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::judge::{judge_ballot, judge_entry, judge_op};

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
    Commit(#[source] Arc<sqlx::Error>),
    /// The writer task is gone (the relay is shutting down).
    #[error("relay store is shutting down")]
    Closed,
    /// The data folder could not be made.
    #[error("relay data folder: {0}")]
    DataDir(#[source] std::io::Error),
    /// The chunk store could not be measured.
    #[error("relay chunk store: {0}")]
    Blobs(#[source] std::io::Error),
    /// The ballot secret cannot be read or made.
    #[error("relay ballot secret: {0}")]
    Secret(#[source] std::io::Error),
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

/// One decoded, signature-checked record to append.
#[derive(Debug)]
pub(crate) enum Append {
    /// A sealed entry.
    Entry {
        /// The decoded entry.
        entry: Entry,
        /// As pushed.
        record: Record,
    },
    /// A membership op.
    Op {
        /// The decoded op.
        op: Op,
        /// As pushed.
        record: Record,
    },
    /// A ballot cast by `device`: the writer makes its record (without the device).
    Ballot {
        /// The voting device.
        device: DeviceId,
        /// The space.
        space: SpaceId,
        /// The poll.
        poll: ItemId,
        /// The key the body is sealed under.
        key: KeyId,
        /// The sealed body.
        sealed: Vec<u8>,
    },
}

impl Append {
    pub(crate) fn space(&self) -> SpaceId {
        match self {
            Self::Entry { entry, .. } => entry.header.space,
            Self::Op { op, .. } => op.space(),
            Self::Ballot { space, .. } => *space,
        }
    }
}

/// Who may do what in a space, as its stored membership log says: what connections
/// check before serving a device. The writer task keeps the full replay (to judge new
/// ops against the log's head, applying each to it alone, so that judging costs the
/// same with 20 ops or 20,000) and publishes this after each commit.
#[derive(Debug)]
pub(crate) struct Access {
    /// The role of every device still in the space.
    roles: HashMap<DeviceId, Role>,
    /// How many ops the log had applied: the fresher of two copies has more.
    ops: usize,
}

impl Access {
    fn of(state: &Membership) -> Self {
        Self {
            roles: state
                .active_devices()
                .filter_map(|(id, _)| state.role_of(id).map(|r| (*id, r)))
                .collect(),
            ops: state.applied().len(),
        }
    }

    /// The role of `device`, if it is in the space.
    pub(crate) fn role_of(&self, device: &DeviceId) -> Option<Role> {
        self.roles.get(device).copied()
    }
}

type Memberships = Arc<RwLock<HashMap<SpaceId, Arc<Access>>>>;

/// Bytes each space holds (its log's records and its file chunks), loaded on first
/// use and kept up to date by the writer and the chunk store.
type Usage = Arc<std::sync::Mutex<HashMap<SpaceId, u64>>>;

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
    /// Replayed memberships; only the writer task inserts after loading.
    memberships: Memberships,
    usage: Usage,
}

/// The relay's own secret for naming voters in its `ballots` table: a keyed hash of
/// the member, so the database alone (a backup) does not say who voted.
#[derive(Clone)]
struct BallotSecret([u8; 32]);

impl BallotSecret {
    /// Reads the secret in `dir`, or makes one.
    fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join("ballot.key");
        match std::fs::read(&path) {
            Ok(bytes) => bytes
                .try_into()
                .map(Self)
                .map_err(|_| std::io::Error::other(format!("{} is not 32 bytes", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret: [u8; 32] = bastide_proto::random_bytes();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                std::io::Write::write_all(&mut options.open(&path)?, &secret)?;
                Ok(Self(secret))
            }
            Err(e) => Err(e),
        }
    }

    /// The voter's name in the `ballots` table.
    fn voter(&self, space: SpaceId, poll: ItemId, member: bastide_proto::MemberId) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new_keyed(&self.0);
        hasher.update(space.as_bytes());
        hasher.update(poll.as_bytes());
        hasher.update(member.as_bytes());
        *hasher.finalize().as_bytes()
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir`, and starts its writer task.
    pub(crate) async fn open(dir: &Path) -> Result<(Self, tokio::task::JoinHandle<()>), StoreError> {
        let pool = connect(dir).await?;
        let secret = BallotSecret::load_or_create(dir).map_err(StoreError::Secret)?;
        // Subscribers that fall further behind than this re-read from the database.
        let (appended, _) = broadcast::channel(4096);
        let (writer, jobs) = mpsc::channel(1024);
        let memberships = Memberships::default();
        let usage = Usage::default();
        let task = tokio::spawn(write_loop(
            pool.clone(),
            jobs,
            appended.clone(),
            (memberships.clone(), usage.clone()),
            secret,
        ));
        Ok((
            Self {
                pool,
                writer,
                appended,
                memberships,
                usage,
            },
            task,
        ))
    }

    /// Live announcements of appended entries.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Appended> {
        self.appended.subscribe()
    }

    /// Who may do what in `space`, or `None` if the relay has no such space.
    pub(crate) async fn membership(&self, space: &SpaceId) -> Result<Option<Arc<Access>>, StoreError> {
        if let Some(found) = read_cache(&self.memberships, space) {
            return Ok(Some(found));
        }
        let mut conn = self.pool.acquire().await?;
        let loaded = load_members(&mut conn, space).await?.map(|m| Access::of(&m));
        // The writer may have moved on while this loaded: keep whichever saw more ops.
        let mut cache = self.memberships.write().unwrap_or_else(|e| e.into_inner());
        let kept = match (cache.get(space), loaded) {
            (Some(cached), Some(fresh)) if cached.ops >= fresh.ops => Some(cached.clone()),
            (_, Some(fresh)) => {
                let fresh = Arc::new(fresh);
                cache.insert(*space, fresh.clone());
                Some(fresh)
            }
            (cached, None) => cached.cloned(),
        };
        Ok(kept)
    }

    /// Up to `limit` entries of `space` after `after`, in order.
    pub(crate) async fn read(
        &self,
        space: &SpaceId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let rows: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT seq, kind, bytes FROM entries WHERE space = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(space.0.as_slice())
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, kind, bytes)| LogEntry {
                seq: u64::try_from(seq).unwrap_or(0),
                record: match kind {
                    KIND_OP => Record::Op(bytes),
                    KIND_BALLOT => Record::Ballot(bytes),
                    _ => Record::Entry(bytes),
                },
            })
            .collect())
    }

    /// The ids of `space`'s records at `seqs`, in order; `None` where there is none.
    pub(crate) async fn record_ids(
        &self,
        space: &SpaceId,
        seqs: &[u64],
    ) -> Result<Vec<Option<bastide_proto::EntryId>>, StoreError> {
        let mut ids = Vec::with_capacity(seqs.len());
        let mut conn = self.pool.acquire().await?;
        for seq in seqs {
            let row: Option<(Vec<u8>,)> =
                sqlx::query_as("SELECT id FROM entries WHERE space = ? AND seq = ?")
                    .bind(space.0.as_slice())
                    .bind(i64::try_from(*seq).unwrap_or(i64::MAX))
                    .fetch_optional(&mut *conn)
                    .await?;
            ids.push(
                row.and_then(|(id,)| <[u8; 32]>::try_from(id).ok())
                    .map(bastide_proto::EntryId),
            );
        }
        Ok(ids)
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

    /// The database (admission tokens live there too).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Whether the relay has `space`.
    pub(crate) async fn has_space(&self, space: &SpaceId) -> Result<bool, StoreError> {
        if read_cache(&self.memberships, space).is_some() {
            return Ok(true);
        }
        let found: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM spaces WHERE id = ?")
            .bind(space.0.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    /// Bytes `space` holds: its log's records and its file chunks.
    pub(crate) async fn space_bytes(
        &self,
        space: &SpaceId,
        blobs: &crate::blobs::Blobs,
    ) -> Result<u64, StoreError> {
        if let Some(bytes) = self.usage.lock().unwrap_or_else(|e| e.into_inner()).get(space) {
            return Ok(*bytes);
        }
        let (log,): (i64,) =
            sqlx::query_as("SELECT COALESCE(SUM(length(bytes)), 0) FROM entries WHERE space = ?")
                .bind(space.0.as_slice())
                .fetch_one(&self.pool)
                .await?;
        let files = blobs.bytes(space).await.map_err(StoreError::Blobs)?;
        let loaded = u64::try_from(log).unwrap_or(0) + files;
        // Whoever loaded first (or the writer since) counts.
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        Ok(*usage.entry(*space).or_insert(loaded))
    }

    /// Counts `bytes` more in `space` (a file chunk stored).
    pub(crate) fn add_bytes(&self, space: &SpaceId, bytes: u64) {
        add_usage(&self.usage, space, bytes);
    }

    /// Closes the database once every handle is done.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

/// Opens (creating if needed) the relay database in `dir` and brings its schema up
/// to date.
pub(crate) async fn connect(dir: &Path) -> Result<SqlitePool, StoreError> {
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
    Ok(pool)
}

const KIND_ENTRY: i64 = 0;
const KIND_OP: i64 = 1;
const KIND_BALLOT: i64 = 2;

/// Counts `bytes` more in `space`, if its usage is loaded (otherwise the next load
/// counts them).
fn add_usage(usage: &Usage, space: &SpaceId, bytes: u64) {
    if let Some(total) = usage.lock().unwrap_or_else(|e| e.into_inner()).get_mut(space) {
        *total += bytes;
    }
}

fn read_cache(cache: &Memberships, space: &SpaceId) -> Option<Arc<Access>> {
    cache
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(space)
        .cloned()
}

/// Reads and replays the ops of `space`; `None` when it has none (no such space).
async fn load_members(
    conn: &mut sqlx::SqliteConnection,
    space: &SpaceId,
) -> Result<Option<Membership>, sqlx::Error> {
    let rows: Vec<(Vec<u8>,)> =
        sqlx::query_as("SELECT bytes FROM entries WHERE space = ? AND kind = ? ORDER BY seq")
            .bind(space.0.as_slice())
            .bind(KIND_OP)
            .fetch_all(&mut *conn)
            .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut state = Membership::new(*space);
    for (bytes,) in rows {
        match Op::from_bytes(&bytes) {
            Ok(op) => {
                if let Err(rejection) = state.push(&op) {
                    // Only ops that applied at the head were stored: a damaged database,
                    // or a log from before ops were judged in log order.
                    tracing::error!(%space, op = %op.id(), %rejection, "stored membership op does not apply");
                }
            }
            // Only checked ops are ever stored; this is a damaged database.
            Err(error) => tracing::error!(%space, %error, "stored membership op does not decode"),
        }
    }
    Ok(Some(state))
}

async fn write_loop(
    pool: SqlitePool,
    mut jobs: mpsc::Receiver<PushJob>,
    appended: broadcast::Sender<Appended>,
    (memberships, usage): (Memberships, Usage),
    secret: BallotSecret,
) {
    // The last sequence number per space, loaded on first use.
    let mut heads: HashMap<SpaceId, u64> = HashMap::new();
    // The replayed membership per space, loaded on first use, judged against and
    // advanced one op at a time.
    let mut states: HashMap<SpaceId, Membership> = HashMap::new();
    let mut batch = Vec::with_capacity(MAX_GROUP);
    while jobs.recv_many(&mut batch, MAX_GROUP).await > 0 {
        let saved = heads.clone();
        let mut changed = HashSet::new();
        let mut group = Group {
            heads: &mut heads,
            states: &mut states,
            changed: &mut changed,
            secret: &secret,
        };
        match commit_group(&pool, &mut group, &batch).await {
            Ok((results, fresh)) => {
                {
                    let mut cache = memberships.write().unwrap_or_else(|e| e.into_inner());
                    for space in &changed {
                        if let Some(state) = states.get(space) {
                            cache.insert(*space, Arc::new(Access::of(state)));
                        }
                    }
                }
                for (job, result) in batch.drain(..).zip(results) {
                    let _ = job.reply.send(Ok(result));
                }
                for item in fresh {
                    add_usage(&usage, &item.space, item.entry.record.bytes().len() as u64);
                    // No subscriber is not an error.
                    let _ = appended.send(item);
                }
            }
            Err(error) => {
                tracing::error!(%error, "group commit failed; pushes refused");
                heads = saved;
                // Replays this group advanced are reloaded from what was committed.
                for space in &changed {
                    states.remove(space);
                }
                let error = Arc::new(error);
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(StoreError::Commit(error.clone())));
                }
            }
        }
    }
}

/// What one group commit produced: verdicts per job, and records to announce.
type GroupOutcome = (Vec<Vec<PushResult>>, Vec<Appended>);

/// The writer's state one group commit works on.
struct Group<'a> {
    heads: &'a mut HashMap<SpaceId, u64>,
    states: &'a mut HashMap<SpaceId, Membership>,
    /// Spaces whose membership this group advanced (published once committed).
    changed: &'a mut HashSet<SpaceId>,
    secret: &'a BallotSecret,
}

async fn commit_group(
    pool: &SqlitePool,
    group: &mut Group<'_>,
    batch: &[PushJob],
) -> Result<GroupOutcome, sqlx::Error> {
    let Group {
        heads,
        states,
        changed: touched,
        secret,
    } = group;
    let mut tx = pool.begin().await?;
    let mut results = Vec::with_capacity(batch.len());
    let mut fresh = Vec::new();
    let now = unix_now();
    for job in batch {
        let mut verdicts = Vec::with_capacity(job.entries.len());
        for append in &job.entries {
            let space = append.space();
            if !states.contains_key(&space)
                && let Some(loaded) = load_members(&mut tx, &space).await?
            {
                states.insert(space, loaded);
            }
            let current = states.get(&space);
            let exists = current.is_some();
            let (record, author, kind, apply, ballot) = match append {
                Append::Ballot {
                    device,
                    poll,
                    key,
                    sealed,
                    ..
                } => {
                    let judged =
                        judge_ballot(current, device, *key).map(|member| secret.voter(space, *poll, member));
                    let voter = match judged {
                        Ok(voter) => voter,
                        Err((refusal, reason)) => {
                            let id = bastide_proto::EntryId::of(sealed);
                            verdicts.push(PushResult::Refused { id, refusal, reason });
                            continue;
                        }
                    };
                    let previous: Option<(i64, Vec<u8>)> = sqlx::query_as(
                        "SELECT seq, sealed_hash FROM ballots WHERE space = ? AND poll = ? AND voter = ?",
                    )
                    .bind(space.0.as_slice())
                    .bind(poll.0.as_slice())
                    .bind(voter.as_slice())
                    .fetch_optional(&mut *tx)
                    .await?;
                    let sealed_hash = *blake3::hash(sealed).as_bytes();
                    let replaces = match previous {
                        // The same ballot sent again (a retry): already stored.
                        Some((seq, hash)) if hash == sealed_hash => {
                            let seq = u64::try_from(seq).unwrap_or(0);
                            let id = bastide_proto::EntryId::of(sealed);
                            verdicts.push(PushResult::Stored { id, seq });
                            continue;
                        }
                        Some((seq, _)) => u64::try_from(seq).unwrap_or(0),
                        None => 0,
                    };
                    let record = Record::Ballot(
                        BallotRecord {
                            poll: *poll,
                            key: *key,
                            replaces,
                            sealed: sealed.clone(),
                        }
                        .to_bytes(),
                    );
                    // Ballots are stored without their voter: no author.
                    (
                        record,
                        Vec::new(),
                        KIND_BALLOT,
                        None,
                        Some((*poll, voter, sealed_hash)),
                    )
                }
                Append::Entry { entry, record } => {
                    if let Some(seq) = stored_seq(&mut tx, record).await? {
                        verdicts.push(PushResult::Stored { id: record.id(), seq });
                        continue;
                    }
                    match judge_entry(current, entry) {
                        Ok(()) => (
                            record.clone(),
                            entry.header.author.0.to_vec(),
                            KIND_ENTRY,
                            None,
                            None,
                        ),
                        Err((refusal, reason)) => {
                            let id = record.id();
                            tracing::info!(%space, record = %id, %reason, "record refused");
                            verdicts.push(PushResult::Refused { id, refusal, reason });
                            continue;
                        }
                    }
                }
                Append::Op { op, record } => {
                    if let Some(seq) = stored_seq(&mut tx, record).await? {
                        verdicts.push(PushResult::Stored { id: record.id(), seq });
                        continue;
                    }
                    match judge_op(current, op, now) {
                        Ok(()) => (record.clone(), op.author().0.to_vec(), KIND_OP, Some(op), None),
                        Err((refusal, reason)) => {
                            let id = record.id();
                            tracing::info!(%space, record = %id, %reason, "record refused");
                            verdicts.push(PushResult::Refused { id, refusal, reason });
                            continue;
                        }
                    }
                }
            };
            if !exists {
                sqlx::query("INSERT OR IGNORE INTO spaces (id, created_at) VALUES (?, ?)")
                    .bind(space.0.as_slice())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
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
            let id = record.id();
            sqlx::query(
                "INSERT INTO entries (space, seq, id, author, bytes, kind) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(space.0.as_slice())
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .bind(id.0.as_slice())
            .bind(author.as_slice())
            .bind(record.bytes())
            .bind(kind)
            .execute(&mut *tx)
            .await?;
            if let Some((poll, voter, sealed_hash)) = ballot {
                sqlx::query(
                    "INSERT INTO ballots (space, poll, voter, seq, sealed_hash) VALUES (?, ?, ?, ?, ?)
                     ON CONFLICT(space, poll, voter) DO UPDATE SET seq = excluded.seq,
                       sealed_hash = excluded.sealed_hash",
                )
                .bind(space.0.as_slice())
                .bind(poll.0.as_slice())
                .bind(voter.as_slice())
                .bind(i64::try_from(seq).unwrap_or(i64::MAX))
                .bind(sealed_hash.as_slice())
                .execute(&mut *tx)
                .await?;
            }
            heads.insert(space, seq);
            if let Some(op) = apply {
                let state = states.entry(space).or_insert_with(|| Membership::new(space));
                if let Err(rejection) = state.push(op) {
                    // Judged just above against this very state: cannot happen.
                    tracing::error!(%space, %rejection, "an op judged to apply did not");
                }
                touched.insert(space);
            }
            verdicts.push(PushResult::Stored { id, seq });
            fresh.push(Appended {
                space,
                entry: LogEntry { seq, record },
            });
        }
        results.push(verdicts);
    }
    tx.commit().await?;
    Ok((results, fresh))
}

/// The sequence number of a record stored already (pushed again after a lost
/// acknowledgement).
async fn stored_seq(tx: &mut sqlx::SqliteConnection, record: &Record) -> Result<Option<u64>, sqlx::Error> {
    let existing: Option<(i64,)> = sqlx::query_as("SELECT seq FROM entries WHERE id = ?")
        .bind(record.id().0.as_slice())
        .fetch_optional(&mut *tx)
        .await?;
    Ok(existing.map(|(seq,)| u64::try_from(seq).unwrap_or(0)))
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
