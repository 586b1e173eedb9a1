//! A relay that lost records: restored from an older backup, it serves a shorter log,
//! or other records at numbers this profile already applied. Before following a
//! space, the profile checks that the relay still has the record it applied last; if
//! not, it finds the last record both still share, goes back there, and sends again
//! everything it holds that came after: the membership ops, and every item changed
//! since, whole (Automerge drops what a receiver has already). So a relay restored
//! from yesterday's backup ends with everything any client still has.

use bastide_proto::{EntryId, ItemId, SpaceId};

use super::{OUTBOX_ENTRY, OUTBOX_OP, Profile};
use crate::error::Error;
use crate::items;
use crate::sync::RelayConnection;

/// What [`Profile::check_relay_log`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogCheck {
    /// The relay has what this profile applied.
    Same,
    /// It did not: this profile went back to `common` and queued what came after.
    Recovered {
        /// The last record both still share.
        common: u64,
    },
}

/// What the app and `bastide sync` say when it happens.
pub const RELAY_LOST_SENTENCE: &str = "Le relais a perdu des changements : ils sont renvoyés.";

impl Profile {
    /// The id this profile applied at `seq` of `space`, if it kept it.
    async fn applied_id(&self, space: SpaceId, seq: u64) -> Result<Option<EntryId>, Error> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT id FROM log_ids WHERE space = ? AND seq = ?")
            .bind(space.0.as_slice())
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|(id,)| <[u8; 32]>::try_from(id).ok()).map(EntryId))
    }

    /// Whether the relay holds at `seq` what this profile applied there; `None` when
    /// this profile did not keep that id (a profile older than the check).
    async fn relay_agrees(
        &self,
        connection: &RelayConnection,
        space: SpaceId,
        seq: u64,
    ) -> Result<Option<bool>, Error> {
        let Some(mine) = self.applied_id(space, seq).await? else {
            return Ok(None);
        };
        let theirs = connection.record_ids(space, vec![seq]).await?;
        Ok(Some(theirs.first().copied().flatten() == Some(mine)))
    }

    /// Checks `space`'s log on the relay against what this profile applied, and
    /// recovers from a relay that lost records (see the module's documentation).
    pub(crate) async fn check_relay_log(
        &self,
        connection: &RelayConnection,
        space: SpaceId,
    ) -> Result<LogCheck, Error> {
        let cursor = self.cursor(space).await?;
        if cursor == 0 || self.relay_agrees(connection, space, cursor).await? != Some(false) {
            return Ok(LogCheck::Same);
        }
        // The last record both share: 0 always is; `cursor` is not. A record whose id
        // this profile did not keep counts as not shared (going back further only
        // costs applying again what Automerge already has).
        let (mut same, mut differs) = (0u64, cursor);
        while differs - same > 1 {
            let mid = same + (differs - same) / 2;
            if self.relay_agrees(connection, space, mid).await? == Some(true) {
                same = mid;
            } else {
                differs = mid;
            }
        }
        tracing::warn!(%space, cursor, common = same, "the relay lost records: sending them again");
        self.go_back(space, same).await?;
        Ok(LogCheck::Recovered { common: same })
    }

    /// Goes back to `common` in `space`'s log and queues again what came after.
    async fn go_back(&self, space: SpaceId, common: u64) -> Result<(), Error> {
        let _write = self.write.lock().await;
        let members = self.members_locked(space).await?;
        let writes = members
            .state
            .role_of(&self.device_id())
            .is_some_and(|r| r.writes());
        let key = members.writing_key().map(|(id, key)| (id, key.clone()));
        let after = i64::try_from(common).unwrap_or(i64::MAX);
        let mut tx = self.begin_write().await?;
        let touched: Vec<(Vec<u8>,)> = sqlx::query_as(
            "SELECT DISTINCT item FROM log_ids WHERE space = ? AND seq > ? AND item IS NOT NULL",
        )
        .bind(space.0.as_slice())
        .bind(after)
        .fetch_all(&mut *tx)
        .await?;
        // Membership ops after the common record go back to the outbox, unsequenced:
        // the relay judges them again at its head.
        let ops: Vec<(Vec<u8>, Vec<u8>)> =
            sqlx::query_as("SELECT id, bytes FROM ops WHERE space = ? AND seq > ?")
                .bind(space.0.as_slice())
                .bind(after)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query("UPDATE ops SET seq = NULL WHERE space = ? AND seq > ?")
            .bind(space.0.as_slice())
            .bind(after)
            .execute(&mut *tx)
            .await?;
        // Records of ours the relay acknowledged after it: sent again as they are.
        let mut queued = sqlx::query("UPDATE outbox SET acked_seq = NULL WHERE space = ? AND acked_seq > ?")
            .bind(space.0.as_slice())
            .bind(after)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        for (id, bytes) in ops {
            queued += sqlx::query(
                "INSERT INTO outbox (id, space, bytes, kind) VALUES (?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET acked_seq = NULL",
            )
            .bind(id)
            .bind(space.0.as_slice())
            .bind(bytes)
            .bind(OUTBOX_OP)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        // Every item changed after it, whole, sealed by this device (a reader's would
        // be refused: other members send them).
        if let (true, Some((key_id, key))) = (writes, key) {
            for (item,) in touched {
                let Ok(item) = <[u8; 16]>::try_from(item).map(ItemId) else {
                    continue;
                };
                let Some(mut loaded) = items::load(&mut tx, item).await? else {
                    continue;
                };
                let body = loaded.doc.save_after(&[]);
                let entry = bastide_proto::Entry::seal(
                    &self.device,
                    space,
                    item,
                    bastide_proto::EntryKind::Change,
                    key_id,
                    &key,
                    &body,
                )?;
                let bytes = entry.to_bytes();
                queued +=
                    sqlx::query("INSERT OR IGNORE INTO outbox (id, space, bytes, kind) VALUES (?, ?, ?, ?)")
                        .bind(EntryId::of(&bytes).0.as_slice())
                        .bind(space.0.as_slice())
                        .bind(bytes)
                        .bind(OUTBOX_ENTRY)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
            }
        }
        sqlx::query("DELETE FROM log_ids WHERE space = ? AND seq > ?")
            .bind(space.0.as_slice())
            .bind(after)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE spaces SET cursor = ? WHERE id = ?")
            .bind(after)
            .bind(space.0.as_slice())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.forget_members(space);
        self.outbox.send_modify(|n| *n += queued);
        let _ = self.changes.send(super::Changed {
            space,
            remote: true,
            items: Vec::new(),
            set_aside: Vec::new(),
            relay_lost: true,
        });
        Ok(())
    }
}
