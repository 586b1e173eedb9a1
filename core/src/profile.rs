//! The core API: one profile, its spaces, its items, its sync. The Tauri commands, the
//! `bastide` command and the tests all go through here.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use automerge::{ActorId, AutoCommit, ChangeHash};
use bastide_proto::membership::{Op, Rejection};
use bastide_proto::wire::{ErrorCode, LogEntry, PushResult, Record, Refusal, RelayMsg};
use bastide_proto::{
    DeviceId, DeviceKey, Entry, EntryId, EntryKind, ItemId, KeyId, MemberId, RelayAddr, SpaceId, SpaceKey,
};
use serde::Serialize;
use sqlx::{SqliteConnection, SqlitePool};
use time::OffsetDateTime;
use tokio::sync::{Mutex, broadcast, watch};

use crate::agenda::{self, Event, EventInput};
use crate::error::Error;
use crate::items::{self, Item, Items};
use crate::members::{self, KnownOp, SpaceMembers};
use crate::modules;
use crate::sync::{RelayConnection, SyncError};

mod board;
mod bookings;
mod cantine;
mod cards;
mod documents;
mod forum;
mod membership;
mod notifications;
mod photos;
mod planning;
mod polls;
mod quarantine;
mod rollback;

pub use bookings::BookingDecision;
pub use cards::{CardImport, CardImportPreview};
pub use membership::OpOutcome;
pub use notifications::Notification;
pub use photos::Photo;
pub use quarantine::{SetAsideEntry, set_aside_sentence};
pub use rollback::RELAY_LOST_SENTENCE;

/// `outbox.kind` of a sealed entry.
pub(crate) const OUTBOX_ENTRY: i64 = 0;
/// `outbox.kind` of a membership op.
pub(crate) const OUTBOX_OP: i64 = 1;

/// Entries pushed per request: big enough to amortise a round trip on a slow line,
/// small enough that one request stays well under the frame limit.
const PUSH_BATCH: i64 = 256;

/// A space as lists show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceInfo {
    /// Space id (hex).
    pub id: String,
    /// Name.
    pub name: String,
    /// Relay address.
    pub relay: String,
}

/// One change to an item, as its signed entry says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The author's name in the space ("" if the device is unknown here).
    pub author: String,
    /// The device that signed the change (hex).
    pub device: String,
    /// When, as the author's change records it (RFC 3339, UTC).
    pub at: String,
    /// This profile's own change.
    pub mine: bool,
    /// Why every computer refused this change (it broke the item's rule), if it did.
    pub refused: Option<String>,
}

/// Items changed, locally or by others.
#[derive(Clone, Debug)]
pub struct Changed {
    /// The space.
    pub space: SpaceId,
    /// Whether the change came from the relay (another device) or from this profile.
    pub remote: bool,
    /// What changed.
    pub items: Vec<ChangedItem>,
    /// Changes from other members set aside instead of applied (see
    /// [`Profile::set_aside`]): the app says so.
    pub set_aside: Vec<SetAsideNote>,
    /// The relay had lost records of the space, which this profile is sending again
    /// ([`RELAY_LOST_SENTENCE`]).
    pub relay_lost: bool,
}

/// A change from another member that was set aside, as announced.
#[derive(Clone, Debug)]
pub struct SetAsideNote {
    /// The item it was for.
    pub item: ItemId,
    /// Its author's name, as the membership log gives it.
    pub by: String,
    /// Refused because it breaks its item's rule (not unreadable).
    pub rule: bool,
}

/// One body set aside while applying a batch: sequence, item, author, why, bytes.
type SetAside = (u64, ItemId, DeviceId, String, Vec<u8>);

/// One changed item.
#[derive(Clone, Debug)]
pub struct ChangedItem {
    /// The item.
    pub id: ItemId,
    /// Its kind (`agenda.event`, `directory.card`...).
    pub kind: String,
    /// Whether this profile had never seen it before.
    pub created: bool,
    /// Its title after the change.
    pub title: String,
    /// Who made the last change, as they signed it.
    pub by: String,
    /// The device that wrote the last entry.
    pub author: DeviceId,
}

/// What one [`Profile::sync_once`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Records the relay acknowledged.
    pub pushed: usize,
    /// Records the relay refused for good.
    pub refused: usize,
    /// Entries received and applied.
    pub received: usize,
    /// Spaces whose relay had lost records, sent again ([`RELAY_LOST_SENTENCE`]).
    pub relay_lost: usize,
}

/// What became of a pushed batch.
#[derive(Debug, Default)]
pub(crate) struct Acknowledged {
    pub(crate) stored: usize,
    /// Refused records: whether each was a membership op, and why.
    pub(crate) refused: Vec<(bool, Refusal, String)>,
}

/// Replayed memberships by space. Ops are only written under `Profile::write`, and
/// the cache is only filled under it, so a replay in it is never older than the ops.
type MembersCache = HashMap<SpaceId, Arc<SpaceMembers>>;

/// One person's device: its database, key and spaces.
pub struct Profile {
    dir: PathBuf,
    pool: SqlitePool,
    pub(crate) device: DeviceKey,
    display_name: String,
    /// Serialises write transactions: one item read-modify-write at a time.
    write: Mutex<()>,
    /// Item documents loaded last.
    items: Items,
    outbox: watch::Sender<u64>,
    changes: broadcast::Sender<Changed>,
    spaces_changed: watch::Sender<u64>,
    members_changed: broadcast::Sender<SpaceId>,
    members: std::sync::Mutex<MembersCache>,
    /// Why the relay refused ops made here, by op, for whoever waits on them.
    refusals: std::sync::Mutex<HashMap<EntryId, (Refusal, String)>>,
}

struct SpaceRow {
    name: String,
    relay: String,
    cursor: u64,
    member: Option<MemberId>,
}

impl Profile {
    /// Opens the profile in `dir` (creating it if needed) as the device `device`.
    pub async fn open(dir: &Path, device: DeviceKey) -> Result<Self, Error> {
        let pool = crate::store::open(dir).await?;
        let stored: Option<(String,)> =
            sqlx::query_as("SELECT value FROM settings WHERE key = 'display_name'")
                .fetch_optional(&pool)
                .await?;
        let display_name = stored.map(|(n,)| n).unwrap_or_else(|| default_name(&device));
        let (changes, _) = broadcast::channel(256);
        Ok(Self {
            dir: dir.to_path_buf(),
            pool,
            device,
            display_name,
            write: Mutex::new(()),
            items: Items::default(),
            outbox: watch::channel(0).0,
            changes,
            spaces_changed: watch::channel(0).0,
            members_changed: broadcast::channel(64).0,
            members: std::sync::Mutex::new(MembersCache::default()),
            refusals: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// The profile folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// This device's id.
    pub fn device_id(&self) -> DeviceId {
        self.device.device_id()
    }

    /// The name this profile signs its changes with.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// Sets the name this profile signs its changes with (from the next open on).
    pub async fn set_display_name(&self, name: &str) -> Result<(), Error> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::InvalidInput("the name is empty".into()));
        }
        sqlx::query("INSERT INTO settings (key, value) VALUES ('display_name', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Changes to items, as they commit.
    pub fn subscribe(&self) -> broadcast::Receiver<Changed> {
        self.changes.subscribe()
    }

    /// Ticks whenever a space is created or joined.
    pub fn spaces_changed(&self) -> watch::Receiver<u64> {
        self.spaces_changed.subscribe()
    }

    /// The spaces whose membership changes (here or from the relay), as it does.
    pub fn members_changed(&self) -> broadcast::Receiver<SpaceId> {
        self.members_changed.subscribe()
    }

    /// Ticks whenever a local edit adds to the outbox.
    pub fn outbox_changed(&self) -> watch::Receiver<u64> {
        self.outbox.subscribe()
    }

    /// Closes the database.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ----- spaces -----

    /// The spaces of this profile, by name.
    pub async fn spaces(&self) -> Result<Vec<SpaceInfo>, Error> {
        let rows: Vec<(Vec<u8>, String, String)> =
            sqlx::query_as("SELECT id, name, relay FROM spaces ORDER BY name, id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, relay)| SpaceInfo {
                id: hex::encode(id),
                name,
                relay,
            })
            .collect())
    }

    /// The space `given`, or the profile's only space when none is given.
    pub async fn resolve_space(&self, given: Option<&str>) -> Result<SpaceId, Error> {
        if let Some(given) = given {
            let id: SpaceId = given.parse()?;
            self.space(id).await?;
            return Ok(id);
        }
        let spaces = self.spaces().await?;
        match spaces.as_slice() {
            [only] => Ok(only.id.parse()?),
            [] => Err(Error::SpaceNotFound("(this profile has no space yet)".into())),
            many => Err(Error::SpaceAmbiguous(many.len())),
        }
    }

    async fn insert_space(
        conn: &mut SqliteConnection,
        id: SpaceId,
        name: &str,
        relay: &RelayAddr,
        member: MemberId,
    ) -> Result<SpaceInfo, Error> {
        sqlx::query(
            "INSERT INTO spaces (id, name, relay, member, cursor, joined_at) VALUES (?, ?, ?, ?, 0, ?)",
        )
        .bind(id.0.as_slice())
        .bind(name)
        .bind(relay.to_string())
        .bind(member.0.as_slice())
        .bind(now_text())
        .execute(&mut *conn)
        .await?;
        Ok(SpaceInfo {
            id: id.to_string(),
            name: name.to_owned(),
            relay: relay.to_string(),
        })
    }

    async fn space(&self, id: SpaceId) -> Result<SpaceRow, Error> {
        let row: Option<(String, String, i64, Option<Vec<u8>>)> =
            sqlx::query_as("SELECT name, relay, cursor, member FROM spaces WHERE id = ?")
                .bind(id.0.as_slice())
                .fetch_optional(&self.pool)
                .await?;
        let (name, relay, cursor, member) = row.ok_or_else(|| Error::SpaceNotFound(id.to_string()))?;
        Ok(SpaceRow {
            name,
            relay,
            cursor: u64::try_from(cursor).unwrap_or(0),
            member: member.and_then(|m| <[u8; 16]>::try_from(m).ok()).map(MemberId),
        })
    }

    // ----- agenda -----

    /// Adds an event.
    pub async fn add_event(&self, space: SpaceId, input: EventInput) -> Result<Event, Error> {
        let checked = input.check()?;
        let id = self
            .create_item(space, agenda::KIND, |doc, by, now| {
                agenda::write(doc, &checked, by, now)
            })
            .await?;
        self.event(space, id).await
    }

    /// Changes an event (also one in the trash).
    pub async fn update_event(&self, space: SpaceId, id: ItemId, input: EventInput) -> Result<Event, Error> {
        let checked = input.check()?;
        self.edit_event(space, id, |doc, by, now| agenda::write(doc, &checked, by, now))
            .await
    }

    /// Moves an event to the trash.
    pub async fn delete_event(&self, space: SpaceId, id: ItemId) -> Result<Event, Error> {
        self.set_deleted(space, id, true).await
    }

    /// Brings an event back from the trash.
    pub async fn restore_event(&self, space: SpaceId, id: ItemId) -> Result<Event, Error> {
        self.set_deleted(space, id, false).await
    }

    async fn set_deleted(&self, space: SpaceId, id: ItemId, deleted: bool) -> Result<Event, Error> {
        self.edit_event(space, id, |doc, by, now| {
            crate::fields::set_deleted(doc, deleted, by, now)
        })
        .await
    }

    /// Applies `edit` to an existing event and commits it (or nothing, if it changed
    /// nothing). `edit` gets the document, the signing name and the time.
    async fn edit_event(
        &self,
        space: SpaceId,
        id: ItemId,
        edit: impl FnOnce(&mut AutoCommit, &str, OffsetDateTime) -> Result<(), Error>,
    ) -> Result<Event, Error> {
        self.edit_item(space, id, agenda::KIND, edit).await?;
        self.event(space, id).await
    }

    /// The events of a space (not in the trash), by start.
    pub async fn events(&self, space: SpaceId) -> Result<Vec<Event>, Error> {
        self.space(space).await?;
        let mut conn = self.pool.acquire().await?;
        agenda::list(&mut conn, space, false).await
    }

    /// The events in the trash.
    pub async fn trash(&self, space: SpaceId) -> Result<Vec<Event>, Error> {
        self.space(space).await?;
        let mut conn = self.pool.acquire().await?;
        agenda::list(&mut conn, space, true).await
    }

    /// One event.
    pub async fn event(&self, space: SpaceId, id: ItemId) -> Result<Event, Error> {
        let mut conn = self.pool.acquire().await?;
        agenda::get(&mut conn, space, id)
            .await?
            .ok_or_else(|| Error::ItemNotFound(id.to_string()))
    }

    /// Who changed an item and when, newest first, by the devices that signed the
    /// changes and the names the membership log gives them.
    pub async fn history(&self, space: SpaceId, id: ItemId) -> Result<Vec<HistoryEntry>, Error> {
        let known: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM items WHERE id = ? AND space = ?")
            .bind(id.0.as_slice())
            .bind(space.0.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        if known.is_none() {
            return Err(Error::ItemNotFound(id.to_string()));
        }
        let rows: Vec<(Vec<u8>, String, Option<String>)> =
            sqlx::query_as("SELECT author, at, refused FROM item_history WHERE item = ? ORDER BY ord DESC")
                .bind(id.0.as_slice())
                .fetch_all(&self.pool)
                .await?;
        let members = self.members_of(space).await?;
        let me = self.device_id();
        Ok(rows
            .into_iter()
            .filter_map(|(author, at, refused)| {
                let device = DeviceId(author.try_into().ok()?);
                let author = members.state.name_of(&device).unwrap_or_default().to_owned();
                Some(HistoryEntry {
                    author,
                    device: device.to_string(),
                    at,
                    mine: device == me,
                    refused,
                })
            })
            .collect())
    }

    /// Items of every module matching `text` (accents and case folded; each word as
    /// a word or its start), in `space` or in all of this profile's spaces, best first.
    pub async fn search(&self, space: Option<SpaceId>, text: &str) -> Result<Vec<crate::search::Hit>, Error> {
        if let Some(space) = space {
            self.space(space).await?;
        }
        let mut conn = self.pool.acquire().await?;
        crate::search::search(&mut conn, space, text).await
    }

    /// Rebuilds every projection from the item documents.
    pub async fn rebuild_projections(&self) -> Result<usize, Error> {
        let _write = self.write.lock().await;
        let mut tx = self.begin_write().await?;
        modules::clear(&mut tx).await?;
        let ids: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT id FROM items").fetch_all(&mut *tx).await?;
        let mut count = 0;
        for (id,) in ids {
            let id = ItemId(
                id.try_into()
                    .map_err(|_| Error::InvalidInput("corrupt item id".into()))?,
            );
            let Some(item) = items::load(&mut tx, id).await? else {
                continue;
            };
            if modules::project(&mut tx, item.space, id, &item.kind, &item.doc)
                .await?
                .is_some()
            {
                count += 1;
            }
        }
        tx.commit().await?;
        Ok(count)
    }

    // ----- items, outbox, sync -----

    /// Begins a write transaction; the caller holds `self.write`. `BEGIN IMMEDIATE`
    /// takes SQLite's write lock up front, so a transaction that reads then writes
    /// waits for another writer instead of failing with SQLITE_BUSY_SNAPSHOT.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, Error> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    fn actor(&self) -> ActorId {
        ActorId::from(self.device.device_id().0.as_slice())
    }

    /// Creates an item of `kind` in `space`, written by `write`, and commits it.
    pub(crate) async fn create_item(
        &self,
        space: SpaceId,
        kind: &str,
        write: impl FnOnce(&mut AutoCommit, &str, OffsetDateTime) -> Result<(), Error>,
    ) -> Result<ItemId, Error> {
        self.space(space).await?;
        let _write = self.write.lock().await;
        let key = self.key_for(space, kind).await?;
        let id = ItemId::random();
        let mut item = Item {
            space,
            kind: kind.to_owned(),
            doc: AutoCommit::new().with_actor(self.actor()),
            stored: false,
        };
        write(&mut item.doc, &self.display_name, OffsetDateTime::now_utc())?;
        self.commit_local(space, &key, id, item, &[]).await?;
        Ok(id)
    }

    /// Applies `edit` to an existing item of `kind` and commits it (or nothing, if it
    /// changed nothing). `edit` gets the document, the signing name and the time.
    pub(crate) async fn edit_item(
        &self,
        space: SpaceId,
        id: ItemId,
        kind: &str,
        edit: impl FnOnce(&mut AutoCommit, &str, OffsetDateTime) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.space(space).await?;
        let _write = self.write.lock().await;
        let key = self.key_for(space, kind).await?;
        let mut item = self.take_item(space, id, kind).await?;
        let heads = item.doc.get_heads();
        // On error the taken document (maybe half edited) is dropped, not cached: the
        // next use reloads it from disk.
        edit(&mut item.doc, &self.display_name, OffsetDateTime::now_utc())?;
        self.commit_local(space, &key, id, item, &heads).await
    }

    /// Reads an item's document as stored (for views computed from documents).
    pub(crate) async fn read_doc(
        &self,
        space: SpaceId,
        id: ItemId,
        kind: &str,
    ) -> Result<Option<AutoCommit>, Error> {
        let mut conn = self.pool.acquire().await?;
        Ok(items::load(&mut conn, id)
            .await?
            .filter(|item| item.space == space && item.kind == kind)
            .map(|item| item.doc))
    }

    /// Writes into the item `id` of `kind`, creating it if this computer does not have
    /// it yet: for items whose id every computer derives the same way (a cantine month
    /// sheet), which two people may start offline.
    pub(crate) async fn put_item(
        &self,
        space: SpaceId,
        id: ItemId,
        kind: &str,
        write: impl FnOnce(&mut AutoCommit, &str, OffsetDateTime) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.space(space).await?;
        let _write = self.write.lock().await;
        let key = self.writing_key(space).await?;
        let existing = {
            let mut conn = self.pool.acquire().await?;
            self.items.take(&mut conn, id).await?
        };
        let (mut item, heads) = match existing {
            Some(mut item) if item.space == space && item.kind == kind => {
                item.doc.set_actor(self.actor());
                let heads = item.doc.get_heads();
                (item, heads)
            }
            Some(other) => {
                self.items.keep(id, other);
                return Err(Error::ItemNotFound(id.to_string()));
            }
            None => (
                Item {
                    space,
                    kind: kind.to_owned(),
                    doc: AutoCommit::new().with_actor(self.actor()),
                    stored: false,
                },
                Vec::new(),
            ),
        };
        write(&mut item.doc, &self.display_name, OffsetDateTime::now_utc())?;
        self.commit_local(space, &key, id, item, &heads).await
    }

    /// Takes an item of `space` and `kind` out of the cache or off the disk, ready to
    /// be edited by this device. The caller holds the write lock.
    async fn take_item(&self, space: SpaceId, id: ItemId, kind: &str) -> Result<Item, Error> {
        let mut conn = self.pool.acquire().await?;
        match self.items.take(&mut conn, id).await? {
            Some(mut item) if item.space == space && item.kind == kind => {
                item.doc.set_actor(self.actor());
                Ok(item)
            }
            Some(other) => {
                self.items.keep(id, other);
                Err(Error::ItemNotFound(id.to_string()))
            }
            None => Err(Error::ItemNotFound(id.to_string())),
        }
    }

    /// Creates one item of `kind` per input in `space`, all in one transaction: all of
    /// them are stored, or none (an import must not leave half a file behind).
    pub(crate) async fn create_items<T>(
        &self,
        space: SpaceId,
        kind: &str,
        inputs: &[T],
        write: impl Fn(&mut AutoCommit, &T, &str, OffsetDateTime) -> Result<(), Error>,
    ) -> Result<Vec<ItemId>, Error> {
        self.space(space).await?;
        let _write = self.write.lock().await;
        let key = self.writing_key(space).await?;
        let now = OffsetDateTime::now_utc();
        let mut items = Vec::with_capacity(inputs.len());
        for input in inputs {
            let mut item = Item {
                space,
                kind: kind.to_owned(),
                doc: AutoCommit::new().with_actor(self.actor()),
                stored: false,
            };
            write(&mut item.doc, input, &self.display_name, now)?;
            items.push((ItemId::random(), item, Vec::new()));
        }
        let ids = items.iter().map(|(id, _, _)| *id).collect();
        self.commit_many(space, &key, items).await?;
        Ok(ids)
    }

    /// Seals the changes made to the item since `heads` and commits document, outbox
    /// entry and projection in one transaction. The caller holds the write lock.
    async fn commit_local(
        &self,
        space: SpaceId,
        key: &(KeyId, SpaceKey),
        id: ItemId,
        item: Item,
        heads: &[ChangeHash],
    ) -> Result<(), Error> {
        self.commit_many(space, key, vec![(id, item, heads.to_vec())])
            .await
    }

    /// Seals each item's changes since its heads and commits every document, outbox
    /// entry and projection in one transaction; one [`Changed`] tells of them all.
    /// Items that changed nothing send nothing. The caller holds the write lock.
    async fn commit_many(
        &self,
        space: SpaceId,
        (key_id, key): &(KeyId, SpaceKey),
        items: Vec<(ItemId, Item, Vec<ChangeHash>)>,
    ) -> Result<(), Error> {
        let mut sealed = Vec::with_capacity(items.len());
        for (id, mut item, heads) in items {
            if item.doc.get_heads() == heads {
                // Nothing changed: no entry to send.
                self.items.keep(id, item);
                continue;
            }
            let changes = item.doc.save_after(&heads);
            // Comments travel as their own kind: the one a reader may push.
            let kind = if item.kind == crate::comments::KIND {
                EntryKind::Comment
            } else {
                EntryKind::Change
            };
            let entry = Entry::seal(&self.device, space, id, kind, *key_id, key, &changes)?;
            sealed.push((id, item, heads.is_empty(), changes, entry.to_bytes()));
        }
        if sealed.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        let mut titles = Vec::with_capacity(sealed.len());
        for (id, item, _, changes, bytes) in &mut sealed {
            items::save(&mut tx, *id, item, changes).await?;
            sqlx::query("INSERT INTO outbox (id, space, bytes, kind) VALUES (?, ?, ?, ?)")
                .bind(EntryId::of(bytes).0.as_slice())
                .bind(space.0.as_slice())
                .bind(std::mem::take(bytes))
                .bind(OUTBOX_ENTRY)
                .execute(&mut *tx)
                .await?;
            let at = modules::updated_at(&item.doc).unwrap_or_else(now_text);
            record_history(&mut tx, *id, &self.device_id(), None, &at).await?;
            let projected = modules::project(&mut tx, space, *id, &item.kind, &item.doc).await?;
            titles.push(projected.map(|p| p.title).unwrap_or_default());
        }
        tx.commit().await?;
        let count = sealed.len() as u64;
        let mut changed = Vec::with_capacity(sealed.len());
        for ((id, item, created, _, _), title) in sealed.into_iter().zip(titles) {
            changed.push(ChangedItem {
                id,
                kind: item.kind.clone(),
                created,
                title,
                by: self.display_name.clone(),
                author: self.device_id(),
            });
            self.items.keep(id, item);
        }
        self.outbox.send_modify(|n| *n += count);
        let _ = self.changes.send(Changed {
            space,
            remote: false,
            items: changed,
            set_aside: Vec::new(),
            relay_lost: false,
        });
        Ok(())
    }

    /// Entries waiting for the relay's acknowledgement.
    pub async fn pending(&self) -> Result<u64, Error> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM outbox WHERE acked_seq IS NULL) + (SELECT COUNT(*) FROM ballot_outbox)",
        )
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The next outbox records of `space`, oldest first.
    pub(crate) async fn outbox_batch(&self, space: SpaceId) -> Result<Vec<Record>, Error> {
        let rows: Vec<(Vec<u8>, i64)> = sqlx::query_as(
            "SELECT bytes, kind FROM outbox WHERE space = ? AND acked_seq IS NULL ORDER BY ord LIMIT ?",
        )
        .bind(space.0.as_slice())
        .bind(PUSH_BATCH)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(bytes, kind)| {
                if kind == OUTBOX_OP {
                    Record::Op(bytes)
                } else {
                    Record::Entry(bytes)
                }
            })
            .collect())
    }

    /// Marks acknowledged records, and drops permanently refused ones, from the outbox.
    /// A refused op also leaves the local membership log: the relay's log is the one
    /// every member replays.
    pub(crate) async fn acknowledge(
        &self,
        space: SpaceId,
        results: &[PushResult],
    ) -> Result<Acknowledged, Error> {
        let _write = self.write.lock().await;
        let mut tx = self.begin_write().await?;
        let mut outcome = Acknowledged::default();
        let mut ops_changed = false;
        let mut reseal: Vec<Vec<u8>> = Vec::new();
        for result in results {
            match result {
                PushResult::Stored { id, seq } => {
                    outcome.stored += 1;
                    let seq = i64::try_from(*seq).unwrap_or(i64::MAX);
                    sqlx::query("UPDATE outbox SET acked_seq = ? WHERE id = ?")
                        .bind(seq)
                        .bind(id.0.as_slice())
                        .execute(&mut *tx)
                        .await?;
                    let op = sqlx::query("UPDATE ops SET seq = ? WHERE id = ? AND seq IS NULL")
                        .bind(seq)
                        .bind(id.0.as_slice())
                        .execute(&mut *tx)
                        .await?;
                    ops_changed |= op.rows_affected() > 0;
                }
                PushResult::Refused { id, refusal, reason } => {
                    tracing::warn!(record = %id, %reason, "relay refused a record");
                    let op = sqlx::query("DELETE FROM ops WHERE id = ? AND seq IS NULL")
                        .bind(id.0.as_slice())
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                        > 0;
                    ops_changed |= op;
                    if op {
                        self.refusals
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .insert(*id, (*refusal, reason.clone()));
                    }
                    outcome.refused.push((op, *refusal, reason.clone()));
                    if *refusal == Refusal::Membership(Rejection::UnknownKey) {
                        // Sealed under a key from an op of ours the relay refused: set
                        // aside below, to be sealed again under a key the space has.
                        let row: Option<(Vec<u8>,)> =
                            sqlx::query_as("SELECT bytes FROM outbox WHERE id = ? AND kind = ?")
                                .bind(id.0.as_slice())
                                .bind(OUTBOX_ENTRY)
                                .fetch_optional(&mut *tx)
                                .await?;
                        reseal.extend(row.map(|(bytes,)| bytes));
                    }
                    // Otherwise an entry's change stays in the local document; only its
                    // upload is dropped.
                    sqlx::query("DELETE FROM outbox WHERE id = ?")
                        .bind(id.0.as_slice())
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        if !reseal.is_empty() || outcome.refused.iter().any(|(op, _, _)| *op) {
            self.strand(&mut tx, space, reseal).await?;
        }
        tx.commit().await?;
        if ops_changed {
            self.forget_members(space);
        }
        Ok(outcome)
    }

    /// Sets aside changes sealed under a key the space will never have: `refused`
    /// entries, and those still waiting, sealed under a key from an op of ours the
    /// relay refused. They are opened (with the keys the refused ops brought) and kept
    /// in `stranded` until [`Profile::reseal_stranded`] seals them again. The caller
    /// holds `self.write` and has removed the refused ops in `conn`, not yet committed.
    async fn strand(
        &self,
        conn: &mut SqliteConnection,
        space: SpaceId,
        refused: Vec<Vec<u8>>,
    ) -> Result<(), Error> {
        // The committed state still has the refused ops and their keys.
        let before = self.members_locked(space).await?;
        let ops = members::load_ops(conn, space).await?;
        let after = self.build_members(conn, space, ops).await?;
        let mut entries = refused;
        let waiting: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT ord, bytes FROM outbox WHERE space = ? AND kind = ? AND acked_seq IS NULL ORDER BY ord",
        )
        .bind(space.0.as_slice())
        .bind(OUTBOX_ENTRY)
        .fetch_all(&mut *conn)
        .await?;
        for (ord, bytes) in waiting {
            let stranded =
                Entry::from_bytes(&bytes).is_ok_and(|e| !after.state.keys().contains(&e.header.key));
            if stranded {
                sqlx::query("DELETE FROM outbox WHERE ord = ?")
                    .bind(ord)
                    .execute(&mut *conn)
                    .await?;
                entries.push(bytes);
            }
        }
        for bytes in entries {
            let entry = Entry::from_bytes(&bytes)?;
            let Some(Ok(body)) = before.keys.get(&entry.header.key).map(|key| entry.open(key)) else {
                tracing::warn!(%space, "a refused change does not open; it stays local");
                continue;
            };
            sqlx::query("INSERT INTO stranded (space, item, body) VALUES (?, ?, ?)")
                .bind(space.0.as_slice())
                .bind(entry.header.item.0.as_slice())
                .bind(body)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// Seals set-aside changes again under the newest key this device holds, and
    /// queues them. Called once caught up with the log, so that the key is the one the
    /// space moved to, not one a removed member still has. Returns whether it queued.
    pub(crate) async fn reseal_stranded(&self, space: SpaceId) -> Result<bool, Error> {
        let _write = self.write.lock().await;
        let rows: Vec<(i64, Vec<u8>, Vec<u8>)> =
            sqlx::query_as("SELECT ord, item, body FROM stranded WHERE space = ? ORDER BY ord")
                .bind(space.0.as_slice())
                .fetch_all(&self.pool)
                .await?;
        if rows.is_empty() {
            return Ok(false);
        }
        let key = match self.writing_key(space).await {
            Ok(key) => Some(key),
            Err(error @ (Error::NotAllowed(_) | Error::NotMember(_))) => {
                tracing::warn!(%space, %error, "changes made offline cannot be shared; they stay local");
                None
            }
            Err(other) => return Err(other),
        };
        let mut tx = self.begin_write().await?;
        for (ord, item, body) in rows {
            sqlx::query("DELETE FROM stranded WHERE ord = ?")
                .bind(ord)
                .execute(&mut *tx)
                .await?;
            let (Some((key_id, key)), Ok(item)) = (&key, <[u8; 16]>::try_from(item)) else {
                continue;
            };
            let entry = Entry::seal(
                &self.device,
                space,
                ItemId(item),
                EntryKind::Change,
                *key_id,
                key,
                &body,
            )?;
            let bytes = entry.to_bytes();
            sqlx::query("INSERT INTO outbox (id, space, bytes, kind) VALUES (?, ?, ?, ?)")
                .bind(EntryId::of(&bytes).0.as_slice())
                .bind(space.0.as_slice())
                .bind(bytes)
                .bind(OUTBOX_ENTRY)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.outbox.send_modify(|n| *n += 1);
        Ok(key.is_some())
    }

    /// Applies records received from the relay for `space`, and advances its cursor,
    /// in one transaction. Membership ops join the local log. An entry is applied only
    /// if its author could write at that point of the log (as the relay judged it);
    /// entries that do not verify or open are skipped with a warning, and entries under
    /// a key this device does not hold yet wait in `locked_entries`.
    pub(crate) async fn apply_remote(&self, space: SpaceId, entries: &[LogEntry]) -> Result<usize, Error> {
        let Some(last) = entries.last().map(|e| e.seq) else {
            return Ok(0);
        };
        let row = self.space(space).await?;
        let _write = self.write.lock().await;
        let mut members = self.members_locked(space).await?;
        let mut tx = self.begin_write().await?;
        let mut opened: Vec<Opened> = Vec::new();
        // The known ops once an op arrived, until the replay is rebuilt with them.
        let mut ops: Option<Vec<KnownOp>> = None;
        let mut ops_arrived = false;
        // Polls that received ballots (announced without a voter).
        let mut ballots_for: Vec<ItemId> = Vec::new();
        // Every record's id, kept below in a few statements.
        let mut log_ids: Vec<(u64, EntryId, Option<ItemId>)> = Vec::with_capacity(entries.len());
        // Entries signed by a writer but sealed wrong: set aside with the rest below.
        let mut unopened: Vec<SetAside> = Vec::new();
        let me = self.device_id();
        for log_entry in entries {
            let seq = log_entry.seq;
            if seq <= row.cursor {
                continue;
            }
            // Decoded once, for the record of ids and below.
            let decoded = match &log_entry.record {
                Record::Entry(bytes) => Some(Entry::from_bytes(bytes)),
                _ => None,
            };
            let item = decoded
                .as_ref()
                .and_then(|d| d.as_ref().ok())
                .map(|e| e.header.item);
            log_ids.push((seq, log_entry.record.id(), item));
            let bytes = match &log_entry.record {
                Record::Op(bytes) => {
                    match Op::from_bytes(bytes) {
                        Ok(op) if op.space() == space => {
                            members::store_op(&mut tx, space, &op, Some(seq)).await?;
                            sqlx::query("DELETE FROM outbox WHERE id = ?")
                                .bind(op.id().0.as_slice())
                                .execute(&mut *tx)
                                .await?;
                            ops_arrived = true;
                            let known = ops.get_or_insert_with(|| members.ops.clone());
                            match known.iter_mut().find(|k| k.op.id() == op.id()) {
                                Some(mine) => mine.seq = Some(seq),
                                None => known.push(KnownOp { seq: Some(seq), op }),
                            }
                        }
                        Ok(_) => tracing::warn!(seq, "op of another space skipped"),
                        Err(error) => tracing::warn!(seq, %error, "malformed op skipped"),
                    }
                    continue;
                }
                Record::Ballot(bytes) => {
                    if let Some(poll) = polls::store_ballot(&mut tx, space, seq, bytes).await? {
                        ballots_for.push(poll);
                    }
                    continue;
                }
                Record::Entry(bytes) => bytes,
            };
            let Some(decoded) = decoded else { continue };
            let entry = match decoded {
                Ok(entry) if entry.header.space == space && entry.header.author == me => {
                    // One of ours: if it is still in the outbox, it was applied when it
                    // was made. (A fresh profile with a reused key has no such row, and
                    // applies its old changes like anyone else's.)
                    let ours = sqlx::query("DELETE FROM outbox WHERE id = ?")
                        .bind(EntryId::of(bytes).0.as_slice())
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if ours > 0 {
                        continue;
                    }
                    entry
                }
                Ok(entry) if entry.header.space == space => entry,
                Ok(_) => {
                    tracing::warn!(seq, "entry for another space skipped");
                    continue;
                }
                Err(error) => {
                    tracing::warn!(seq, %error, "malformed entry skipped");
                    continue;
                }
            };
            if let Some(known) = ops.take() {
                members = Arc::new(self.build_members(&mut tx, space, known).await?);
            }
            let author = entry.header.author;
            let Some(reader) = reader_or_writer(&members, seq, &author, entry.header.kind) else {
                tracing::warn!(seq, %author, "entry from a device that could not write then skipped");
                continue;
            };
            let Some(key) = members.keys.get(&entry.header.key) else {
                sqlx::query(
                    "INSERT OR IGNORE INTO locked_entries (space, seq, key, bytes) VALUES (?, ?, ?, ?)",
                )
                .bind(space.0.as_slice())
                .bind(i64::try_from(seq).unwrap_or(i64::MAX))
                .bind(entry.header.key.0)
                .bind(bytes.as_slice())
                .execute(&mut *tx)
                .await?;
                continue;
            };
            match entry.open(key) {
                Ok(body) => opened.push((seq, author, entry.header.item, body, reader)),
                Err(error) => {
                    tracing::warn!(seq, %error, "entry that does not open set aside");
                    unopened.push((seq, entry.header.item, author, error.to_string(), bytes.clone()));
                }
            }
        }
        if let Some(known) = ops.take() {
            members = Arc::new(self.build_members(&mut tx, space, known).await?);
        }
        if ops_arrived {
            opened.extend(unlock_entries(&mut tx, space, &members).await?);
        }
        let mut docs: BTreeMap<ItemId, Incoming> = BTreeMap::new();
        let mut set_aside = unopened;
        for (seq, author, item, body, reader) in opened {
            // Before Automerge sees it: what it would inflate or expand without bound.
            if let Err(refused) = crate::guard::check_changes(&body) {
                tracing::warn!(seq, %item, %author, %refused, "change set aside");
                set_aside.push((seq, item, author, refused.to_string(), body));
                continue;
            }
            let incoming = match docs.entry(item) {
                std::collections::btree_map::Entry::Occupied(slot) => slot.into_mut(),
                std::collections::btree_map::Entry::Vacant(slot) => {
                    let Some(loaded) = Incoming::load(&mut tx, &self.items, space, item, author).await?
                    else {
                        tracing::warn!(seq, %item, "entry for an item of another space skipped");
                        continue;
                    };
                    slot.insert(loaded)
                }
            };
            incoming.arrived.push((seq, author, body, reader));
            incoming.author = author;
        }
        let mut applied = 0;
        let mut changed = Vec::new();
        ballots_for.dedup();
        for poll in ballots_for {
            changed.push(ChangedItem {
                id: poll,
                kind: crate::polls::BALLOT.to_owned(),
                created: false,
                title: String::new(),
                by: String::new(),
                author: DeviceId([0; 32]),
            });
        }
        let mut touched = Vec::with_capacity(docs.len());
        for (id, mut incoming) in docs {
            let mut facts = rule_facts(&mut tx, space, id, &incoming.item.doc).await?;
            let (done, failed) = incoming.apply(|kind, before, seq, author, body, reader| {
                if reader {
                    // A reader's entry is a comment of theirs, or nothing.
                    let verdict =
                        crate::rules::judge_comment(kind, before, body, author, &members.state, &facts);
                    if verdict.is_ok() && facts.item_author.is_none() {
                        facts.item_author = Some(author);
                    }
                    return verdict;
                }
                if facts.item_author.is_none() {
                    // An item's first change makes its author; no rule bars creating.
                    facts.item_author = Some(author);
                    return Ok(());
                }
                if !crate::rules::RULED.contains(&kind) {
                    return Ok(());
                }
                crate::rules::judge(
                    kind,
                    before,
                    body,
                    (seq, author),
                    &members.sequenced_before(seq),
                    &facts,
                )
            });
            for (seq, author, at) in done {
                applied += 1;
                record_history(&mut tx, id, &author, Some(seq), &at).await?;
            }
            for (seq, author, why, _) in &failed {
                if let Some(rule) = why.strip_prefix(RULE) {
                    record_refused(&mut tx, id, author, *seq, &now_text(), rule).await?;
                }
            }
            set_aside.extend(
                failed
                    .into_iter()
                    .map(|(seq, author, why, body)| (seq, id, author, why, body)),
            );
            incoming.keep_pending(&mut tx, id).await?;
            let item = &mut incoming.item;
            item.kind = modules::kind_of(&item.doc).unwrap_or_else(|| "unknown".into());
            let changes = item.doc.save_after(&incoming.heads);
            items::save(&mut tx, id, item, &changes).await?;
            if let Some(projected) = modules::project(&mut tx, space, id, &item.kind, &item.doc).await? {
                // The name the membership log gives the signing device, not the one
                // written inside the document.
                let by = members
                    .state
                    .name_of(&incoming.author)
                    .map_or(projected.updated_by, str::to_owned);
                changed.push(ChangedItem {
                    id,
                    kind: item.kind.clone(),
                    created: incoming.created,
                    title: projected.title,
                    by,
                    author: incoming.author,
                });
            }
            touched.push((id, incoming.item));
        }
        for rows in log_ids.chunks(200) {
            let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT OR REPLACE INTO log_ids (space, seq, id, item) ",
            );
            insert.push_values(rows, |mut row, (seq, id, item)| {
                row.push_bind(space.0.as_slice())
                    .push_bind(i64::try_from(*seq).unwrap_or(i64::MAX))
                    .push_bind(id.0.as_slice())
                    .push_bind(item.map(|i| i.0.to_vec()));
            });
            insert.build().execute(&mut *tx).await?;
        }
        for (seq, item, author, reason, body) in &set_aside {
            sqlx::query(
                "INSERT OR IGNORE INTO quarantine (space, seq, item, author, reason, body, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(space.0.as_slice())
            .bind(i64::try_from(*seq).unwrap_or(i64::MAX))
            .bind(item.0.as_slice())
            .bind(author.0.as_slice())
            .bind(reason)
            .bind(body.as_slice())
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE spaces SET cursor = ? WHERE id = ? AND cursor < ?")
            .bind(i64::try_from(last).unwrap_or(i64::MAX))
            .bind(space.0.as_slice())
            .bind(i64::try_from(last).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        // Acknowledged records whose echo was not seen (it cannot be missed, but the
        // outbox must not grow if it ever is): the log is past them.
        sqlx::query("DELETE FROM outbox WHERE space = ? AND acked_seq <= ?")
            .bind(space.0.as_slice())
            .bind(i64::try_from(last).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        let set_aside: Vec<SetAsideNote> = set_aside
            .into_iter()
            .map(|(_, item, author, why, _)| SetAsideNote {
                item,
                by: members.state.name_of(&author).unwrap_or_default().to_owned(),
                rule: why.starts_with(RULE),
            })
            .collect();
        tx.commit().await?;
        for (id, item) in touched {
            self.items.keep(id, item);
        }
        if ops_arrived {
            self.keep_members(space, members);
        }
        if !changed.is_empty() || !set_aside.is_empty() {
            let _ = self.changes.send(Changed {
                space,
                remote: true,
                items: changed,
                set_aside,
                relay_lost: false,
            });
        }
        Ok(applied)
    }

    /// Spaces grouped by relay.
    pub(crate) async fn spaces_by_relay(&self) -> Result<HashMap<String, Vec<SpaceId>>, Error> {
        let rows: Vec<(Vec<u8>, String)> = sqlx::query_as("SELECT id, relay FROM spaces")
            .fetch_all(&self.pool)
            .await?;
        let mut out: HashMap<String, Vec<SpaceId>> = HashMap::new();
        for (id, relay) in rows {
            let Ok(id) = <[u8; 16]>::try_from(id) else {
                continue;
            };
            out.entry(relay).or_default().push(SpaceId(id));
        }
        Ok(out)
    }

    /// The last relay sequence applied for `space`.
    pub async fn cursor(&self, space: SpaceId) -> Result<u64, Error> {
        Ok(self.space(space).await?.cursor)
    }

    /// Pushes the outbox and pulls everything new from the relays, then returns. A
    /// space that fails (this device was removed from it, say) does not keep the
    /// others from syncing; the first failure is returned at the end.
    pub async fn sync_once(&self) -> Result<SyncReport, Error> {
        let mut report = SyncReport::default();
        let mut failure = None;
        for (relay, spaces) in self.spaces_by_relay().await? {
            let addr: RelayAddr = relay.parse()?;
            let connection = RelayConnection::connect(&addr, &self.device).await?;
            for space in spaces {
                match self.sync_space(&connection, space, &mut report).await {
                    Ok(()) => {}
                    Err(error @ Error::NotMember(_)) => {
                        tracing::info!(%space, %error, "space not synced");
                        failure.get_or_insert(error);
                    }
                    Err(error) => {
                        connection.close().await;
                        return Err(error);
                    }
                }
            }
            connection.close().await;
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(report),
        }
    }

    async fn sync_space(
        &self,
        connection: &RelayConnection,
        space: SpaceId,
        report: &mut SyncReport,
    ) -> Result<(), Error> {
        let check = self
            .check_relay_log(connection, space)
            .await
            .map_err(|e| match e {
                Error::Sync(s) => not_member(space, s),
                other => other,
            })?;
        if check != rollback::LogCheck::Same {
            report.relay_lost += 1;
        }
        let pushed = self.push_space(connection, space).await?;
        report.pushed += pushed.stored;
        report.refused += pushed.refused.len();
        report.received += self.pull_space(connection, space).await?;
        let resealed = self.reseal_stranded(space).await?;
        if self.heal(space).await? || resealed {
            let healed = self.push_space(connection, space).await?;
            report.pushed += healed.stored;
            report.refused += healed.refused.len();
        }
        Ok(())
    }

    /// Pushes `space`'s outbox until it is empty.
    pub(crate) async fn push_space(
        &self,
        connection: &RelayConnection,
        space: SpaceId,
    ) -> Result<Acknowledged, Error> {
        // Files first: an entry must not reach others before the chunks it names.
        crate::files::upload(&self.pool, &self.dir, connection, space).await?;
        let mut total = Acknowledged::default();
        loop {
            let batch = self.outbox_batch(space).await?;
            if batch.is_empty() {
                break;
            }
            let results = connection.push(batch).await?;
            let outcome = self.acknowledge(space, &results).await?;
            total.stored += outcome.stored;
            total.refused.extend(outcome.refused);
        }
        total.stored += self.cast_ballots(connection, space).await?;
        Ok(total)
    }

    /// Receives and applies everything the relay has for `space` after our cursor.
    async fn pull_space(&self, connection: &RelayConnection, space: SpaceId) -> Result<usize, Error> {
        let mut subscription = connection.subscribe(space, self.cursor(space).await?).await?;
        let mut received = 0;
        loop {
            match subscription.next().await.map_err(|e| not_member(space, e))? {
                Some(RelayMsg::Entries { entries }) => received += self.apply_remote(space, &entries).await?,
                Some(RelayMsg::CaughtUp { .. }) => return Ok(received),
                other => {
                    return Err(
                        SyncError::Protocol(format!("unexpected {other:?} while catching up")).into(),
                    );
                }
            }
        }
    }
}

/// A subscription the relay refuses as forbidden means this device is not in the space
/// (any more).
pub(crate) fn not_member(space: SpaceId, error: SyncError) -> Error {
    match error {
        SyncError::Refused {
            code: ErrorCode::Forbidden,
            ..
        } => Error::NotMember(space),
        other => other.into(),
    }
}

/// An entry opened: its place in the log, author, item, body, and whether its author
/// was a reader then (who may only comment).
type Opened = (u64, DeviceId, ItemId, Vec<u8>, bool);

/// Whether `author` could push an entry of `kind` at `seq`: `Some(false)` as a
/// writer, `Some(true)` as a reader commenting, `None` not at all.
fn reader_or_writer(members: &SpaceMembers, seq: u64, author: &DeviceId, kind: EntryKind) -> Option<bool> {
    match members.sequenced_before(seq).role_of(author) {
        Some(role) if role.writes() => Some(false),
        Some(_) if kind == EntryKind::Comment => Some(true),
        _ => None,
    }
}

/// Entries waiting for a key that `members` now holds: opened, and off the waiting list.
async fn unlock_entries(
    conn: &mut SqliteConnection,
    space: SpaceId,
    members: &SpaceMembers,
) -> Result<Vec<Opened>, Error> {
    let waiting: Vec<(i64, i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, key, bytes FROM locked_entries WHERE space = ? ORDER BY seq")
            .bind(space.0.as_slice())
            .fetch_all(&mut *conn)
            .await?;
    let mut opened = Vec::new();
    for (seq, key, bytes) in waiting {
        let key = KeyId(u32::try_from(key).unwrap_or_default());
        let Some(space_key) = members.keys.get(&key) else {
            continue;
        };
        sqlx::query("DELETE FROM locked_entries WHERE space = ? AND seq = ?")
            .bind(space.0.as_slice())
            .bind(seq)
            .execute(&mut *conn)
            .await?;
        let seq = u64::try_from(seq).unwrap_or(0);
        match Entry::from_bytes(&bytes).and_then(|e| Ok((e.open(space_key)?, e))) {
            Ok((body, entry)) => {
                let author = entry.header.author;
                match reader_or_writer(members, seq, &author, entry.header.kind) {
                    Some(reader) => opened.push((seq, author, entry.header.item, body, reader)),
                    None => {
                        tracing::warn!(seq, %author, "waiting entry from a device that could not write skipped")
                    }
                }
            }
            Err(error) => tracing::warn!(seq, %error, "waiting entry that does not open skipped"),
        }
    }
    Ok(opened)
}

/// An item receiving remote entries within one transaction.
struct Incoming {
    item: Item,
    /// The document's heads before this transaction: what changed since is saved.
    heads: Vec<ChangeHash>,
    /// Whether this profile had never seen the item.
    created: bool,
    /// The author of the last entry applied.
    author: DeviceId,
    /// Every change body fed to the document in this transaction, pending ones included.
    bodies: Vec<Vec<u8>>,
    /// Bodies received in this batch, with their sequence numbers and authors, not
    /// yet applied.
    arrived: Vec<(u64, DeviceId, Vec<u8>, bool)>,
}

/// A body Automerge refused: sequence, author, why, bytes.
type Refused = (u64, DeviceId, String, Vec<u8>);

impl Incoming {
    /// The item's document with its pending changes fed in; `None` when the item
    /// belongs to another space (an entry trying to reach across spaces).
    async fn load(
        conn: &mut SqliteConnection,
        items: &Items,
        space: SpaceId,
        id: ItemId,
        author: DeviceId,
    ) -> Result<Option<Self>, Error> {
        let (mut item, created) = match items.take(conn, id).await? {
            Some(other) if other.space != space => {
                items.keep(id, other);
                return Ok(None);
            }
            Some(item) => (item, false),
            None => {
                let fresh = Item {
                    space,
                    kind: "unknown".into(),
                    doc: AutoCommit::new(),
                    stored: false,
                };
                (fresh, true)
            }
        };
        let heads = item.doc.get_heads();
        let pending: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT body FROM pending_changes WHERE item = ?")
            .bind(id.0.as_slice())
            .fetch_all(&mut *conn)
            .await?;
        let mut bodies = Vec::with_capacity(pending.len());
        for (body,) in pending {
            item.doc.load_incremental(&body)?;
            bodies.push(body);
        }
        Ok(Some(Self {
            item,
            heads,
            created,
            author,
            bodies,
            arrived: Vec::new(),
        }))
    }

    /// Applies the bodies that arrived, one at a time: Automerge skips what follows an
    /// unreadable chunk in one call (a "partial load"), so concatenating them would let
    /// one bad entry hide the good ones after it. Returns, for each body fed, its
    /// sequence number, author, and the change time the document then records.
    /// Those Automerge refuses, or `judge` (given the item's kind, its document
    /// before, and the body's position, author and bytes), come back apart, with why,
    /// to be set aside.
    fn apply(
        &mut self,
        mut judge: impl FnMut(&str, &AutoCommit, u64, DeviceId, &[u8], bool) -> Result<(), String>,
    ) -> (Vec<(u64, DeviceId, String)>, Vec<Refused>) {
        let mut applied = Vec::new();
        let mut failed = Vec::new();
        for (seq, author, body, reader) in std::mem::take(&mut self.arrived) {
            let kind = modules::kind_of(&self.item.doc).unwrap_or_default();
            if let Err(rule) = judge(&kind, &self.item.doc, seq, author, &body, reader) {
                tracing::warn!(seq, %author, %rule, "change breaking an item's rule refused");
                failed.push((seq, author, format!("{RULE}{rule}"), body));
                continue;
            }
            match self.item.doc.load_incremental(&body) {
                Ok(_) => {
                    let at = modules::updated_at(&self.item.doc).unwrap_or_else(now_text);
                    applied.push((seq, author, at));
                    self.bodies.push(body);
                }
                Err(error) => {
                    tracing::warn!(seq, %error, "entry with unreadable changes set aside");
                    failed.push((seq, author, error.to_string(), body));
                }
            }
        }
        (applied, failed)
    }

    /// Keeps every body for next time while the document still misses dependencies
    /// (Automerge holds such changes in memory only, not in `save()`).
    async fn keep_pending(&mut self, conn: &mut SqliteConnection, id: ItemId) -> Result<(), Error> {
        sqlx::query("DELETE FROM pending_changes WHERE item = ?")
            .bind(id.0.as_slice())
            .execute(&mut *conn)
            .await?;
        if self.item.doc.get_missing_deps(&[]).is_empty() {
            return Ok(());
        }
        for body in &self.bodies {
            sqlx::query("INSERT INTO pending_changes (item, body) VALUES (?, ?)")
                .bind(id.0.as_slice())
                .bind(body.as_slice())
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

/// How a set-aside reason says a rule refused the change.
const RULE: &str = "rule: ";

/// What the per-item rules need to know of item `id` (see [`crate::rules::Facts`]).
async fn rule_facts(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
    doc: &AutoCommit,
) -> Result<crate::rules::Facts, Error> {
    // Only the kinds with rules need them; a new item's (empty) document has none
    // yet, and its first change makes its author.
    let ruled = modules::kind_of(doc)
        .is_some_and(|k| crate::rules::RULED.contains(&k.as_str()) || k == crate::comments::KIND);
    if !ruled {
        return Ok(crate::rules::Facts::default());
    }
    let device = |bytes: Vec<u8>| <[u8; 32]>::try_from(bytes).ok().map(DeviceId);
    let item_author = device(modules::first_author(conn, id).await?);
    let resource = crate::fields::get_str(doc, "resource").and_then(|r| r.parse::<ItemId>().ok());
    let manager = match resource {
        Some(resource) => device(modules::first_author(conn, resource).await?),
        None => None,
    };
    let ballots: Vec<(i64,)> = sqlx::query_as("SELECT seq FROM ballots WHERE space = ? AND poll = ?")
        .bind(space.0.as_slice())
        .bind(id.0.as_slice())
        .fetch_all(&mut *conn)
        .await?;
    Ok(crate::rules::Facts {
        item_author,
        manager,
        ballots: ballots
            .into_iter()
            .filter_map(|(s,)| u64::try_from(s).ok())
            .collect(),
    })
}

/// A change refused by an item's rule, in its history.
async fn record_refused(
    conn: &mut SqliteConnection,
    item: ItemId,
    author: &DeviceId,
    seq: u64,
    at: &str,
    rule: &str,
) -> Result<(), Error> {
    sqlx::query("INSERT INTO item_history (item, author, seq, at, refused) VALUES (?, ?, ?, ?, ?)")
        .bind(item.0.as_slice())
        .bind(author.0.as_slice())
        .bind(i64::try_from(seq).ok())
        .bind(at)
        .bind(rule)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn record_history(
    conn: &mut SqliteConnection,
    item: ItemId,
    author: &DeviceId,
    seq: Option<u64>,
    at: &str,
) -> Result<(), Error> {
    sqlx::query("INSERT INTO item_history (item, author, seq, at) VALUES (?, ?, ?, ?)")
        .bind(item.0.as_slice())
        .bind(author.0.as_slice())
        .bind(seq.and_then(|s| i64::try_from(s).ok()))
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(crate) fn now_text() -> String {
    OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn default_name(device: &DeviceKey) -> String {
    let user = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty() && u != "root");
    let short = device.device_id().to_string()[..8].to_owned();
    match user {
        Some(user) => format!("{user} ({short})"),
        None => format!("Poste {short}"),
    }
}

#[cfg(test)]
mod tests;
