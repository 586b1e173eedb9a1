//! Exchanging with the relay: the outbox and what the relay acknowledged or
//! refused, changes stranded under a key the space never got, and one full sync.

use super::*;

impl Profile {
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
    pub(super) async fn pull_space(
        &self,
        connection: &RelayConnection,
        space: SpaceId,
    ) -> Result<usize, Error> {
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
