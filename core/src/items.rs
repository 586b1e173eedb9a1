//! Item documents on disk and in memory.
//!
//! On disk an item is a compacted snapshot (`save()`) plus the incremental changes
//! saved since; every [`COMPACT_AFTER`] changes the snapshot is rewritten and the
//! increments deleted, in the same transaction. In memory, the documents used last
//! stay loaded, so an edit or an incoming entry costs the change, not a reload of the
//! item's whole history.
//!
//! Every method runs under the profile's write lock, inside its write transaction; a
//! document goes back to the cache only once that transaction has committed.

use std::collections::HashMap;
use std::sync::Mutex;

use automerge::AutoCommit;
use bastide_proto::{ItemId, SpaceId};
use sqlx::SqliteConnection;

use crate::error::Error;

/// Increments kept before the snapshot is rewritten. Loading costs one snapshot plus
/// up to this many small changes; rewriting costs a full `save()`, so it is amortised
/// over this many edits. 32 keeps both well under a millisecond for ordinary items.
const COMPACT_AFTER: i64 = 32;

/// Documents kept in memory. Items are small (kilobytes); 256 of them cover every
/// item a person touches in a session, and the bench's working set.
const CACHE_SIZE: usize = 256;

/// A loaded item.
pub(crate) struct Item {
    /// The space it belongs to.
    pub(crate) space: SpaceId,
    /// Its kind, as stored.
    pub(crate) kind: String,
    /// The document.
    pub(crate) doc: AutoCommit,
    /// Whether it exists on disk yet.
    pub(crate) stored: bool,
}

/// The cache of loaded documents; the least recently kept goes first when it is full.
#[derive(Default)]
pub(crate) struct Items {
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    /// Each document with the tick it was last kept at.
    docs: HashMap<ItemId, (u64, Item)>,
    tick: u64,
}

impl Items {
    /// Takes the item out of the cache, or loads it from disk; `None` if unknown.
    /// Give it back with [`Items::keep`] after the transaction commits.
    pub(crate) async fn take(&self, conn: &mut SqliteConnection, id: ItemId) -> Result<Option<Item>, Error> {
        if let Some((_, item)) = self.lock().docs.remove(&id) {
            return Ok(Some(item));
        }
        load(conn, id).await
    }

    /// Puts a document back after its transaction committed.
    pub(crate) fn keep(&self, id: ItemId, mut item: Item) {
        item.stored = true;
        let mut cache = self.lock();
        cache.tick += 1;
        let tick = cache.tick;
        cache.docs.insert(id, (tick, item));
        if cache.docs.len() > CACHE_SIZE {
            // A scan of CACHE_SIZE entries, only when a new document pushes one out.
            let oldest = cache.docs.iter().min_by_key(|(_, (t, _))| *t).map(|(id, _)| *id);
            if let Some(oldest) = oldest {
                cache.docs.remove(&oldest);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Saves an item: the whole document if it is new, else `changes` (what
/// `save_after` gave since the document was taken), compacting now and then.
pub(crate) async fn save(
    conn: &mut SqliteConnection,
    id: ItemId,
    item: &mut Item,
    changes: &[u8],
) -> Result<(), Error> {
    let now = crate::profile::now_text();
    if !item.stored {
        sqlx::query(
            "INSERT INTO items (id, space, kind, doc, n_changes, updated_at) VALUES (?, ?, ?, ?, 0, ?)",
        )
        .bind(id.0.as_slice())
        .bind(item.space.0.as_slice())
        .bind(&item.kind)
        .bind(item.doc.save())
        .bind(&now)
        .execute(&mut *conn)
        .await?;
        item.stored = true;
        return Ok(());
    }
    if !changes.is_empty() {
        sqlx::query("INSERT INTO item_changes (item, bytes) VALUES (?, ?)")
            .bind(id.0.as_slice())
            .bind(changes)
            .execute(&mut *conn)
            .await?;
    }
    let (n,): (i64,) = sqlx::query_as(
        "UPDATE items SET kind = ?, n_changes = n_changes + ?, updated_at = ? WHERE id = ? RETURNING n_changes",
    )
    .bind(&item.kind)
    .bind(i64::from(!changes.is_empty()))
    .bind(&now)
    .bind(id.0.as_slice())
    .fetch_one(&mut *conn)
    .await?;
    if n >= COMPACT_AFTER {
        sqlx::query("UPDATE items SET doc = ?, n_changes = 0 WHERE id = ?")
            .bind(item.doc.save())
            .bind(id.0.as_slice())
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM item_changes WHERE item = ?")
            .bind(id.0.as_slice())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Loads an item from disk: its snapshot, then its increments in order.
pub(crate) async fn load(conn: &mut SqliteConnection, id: ItemId) -> Result<Option<Item>, Error> {
    let row: Option<(Vec<u8>, String, Vec<u8>)> =
        sqlx::query_as("SELECT space, kind, doc FROM items WHERE id = ?")
            .bind(id.0.as_slice())
            .fetch_optional(&mut *conn)
            .await?;
    let Some((space, kind, snapshot)) = row else {
        return Ok(None);
    };
    let space = SpaceId(
        space
            .try_into()
            .map_err(|_| Error::InvalidInput(format!("item {id} has a corrupt space id")))?,
    );
    let mut doc = AutoCommit::load(&snapshot)?;
    let increments: Vec<(Vec<u8>,)> =
        sqlx::query_as("SELECT bytes FROM item_changes WHERE item = ? ORDER BY ord")
            .bind(id.0.as_slice())
            .fetch_all(&mut *conn)
            .await?;
    for (bytes,) in increments {
        doc.load_incremental(&bytes)?;
    }
    Ok(Some(Item {
        space,
        kind,
        doc,
        stored: true,
    }))
}
