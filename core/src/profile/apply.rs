//! Applying what the relay sends: membership ops join the local log, entries are
//! judged (their author's role at their place in the log, the guard, the per-item
//! rules), opened and fed to their items' documents, and what cannot be applied is set
//! aside; the cursor moves on in the same transaction.

use super::*;

/// One body set aside while applying a batch: sequence, item, author, why, bytes.
type SetAside = (u64, ItemId, DeviceId, String, Vec<u8>);

impl Profile {
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
pub(super) const RULE: &str = "rule: ";

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

pub(super) async fn record_history(
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
