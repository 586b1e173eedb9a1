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

mod apply;
mod board;
mod bookings;
mod cantine;
mod cards;
mod documents;
mod exchange;
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
pub(crate) use exchange::not_member;
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
            apply::record_history(&mut tx, *id, &self.device_id(), None, &at).await?;
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
