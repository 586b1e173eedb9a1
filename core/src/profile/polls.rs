//! Polls: created and closed through the item write path; votes sealed here and sent
//! to the relay as ballots, queued while offline.

use bastide_proto::ballot::{BallotBody, BallotRecord};
use bastide_proto::wire::ErrorCode;
use bastide_proto::{ItemId, KeyId, SpaceId};
use time::OffsetDateTime;

use super::Profile;
use crate::error::Error;
use crate::polls::{self, Poll, PollInput, PollResults};
use crate::sync::{RelayConnection, SyncError};

impl Profile {
    /// Creates a poll. Editors and above.
    pub async fn create_poll(&self, space: SpaceId, input: PollInput) -> Result<Poll, Error> {
        let checked = input.check(OffsetDateTime::now_utc())?;
        let id = self
            .create_item(space, polls::KIND, |doc, by, now| {
                polls::write_new(doc, &checked, by, now)
            })
            .await?;
        self.poll(space, id).await
    }

    /// Closes a poll now. Its author or an admin.
    pub async fn close_poll(&self, space: SpaceId, id: ItemId) -> Result<Poll, Error> {
        self.poll(space, id).await?;
        self.must_be_author_or_admin(space, id).await?;
        self.edit_item(space, id, polls::KIND, polls::write_close).await?;
        self.poll(space, id).await
    }

    /// The polls of a space, newest first.
    pub async fn polls(&self, space: SpaceId) -> Result<Vec<Poll>, Error> {
        self.space(space).await?;
        let mut conn = self.pool.acquire().await?;
        polls::list(&mut conn, space).await
    }

    /// One poll.
    pub async fn poll(&self, space: SpaceId, id: ItemId) -> Result<Poll, Error> {
        let mut conn = self.pool.acquire().await?;
        polls::get(&mut conn, space, id)
            .await?
            .ok_or_else(|| Error::ItemNotFound(id.to_string()))
    }

    /// Votes (or changes this member's vote) in a poll: `choices` are option indexes
    /// (in order of preference for a ranking), `text` the answer of a free-text poll.
    /// Any member may vote, readers included. The ballot waits here until the relay
    /// takes it; in an anonymous poll it names nobody.
    pub async fn vote(
        &self,
        space: SpaceId,
        id: ItemId,
        choices: Vec<u16>,
        text: &str,
    ) -> Result<PollResults, Error> {
        let poll = self.poll(space, id).await?;
        let now = OffsetDateTime::now_utc();
        if !poll.is_open(now) {
            return Err(Error::PollClosed);
        }
        polls::check_vote(&poll, &choices, text)?;
        {
            let _write = self.write.lock().await;
            let members = self.members_locked(space).await?;
            let me = self.device_id();
            let Some((member, _)) = members
                .state
                .member_of(&me)
                .filter(|_| members.state.role_of(&me).is_some())
            else {
                return Err(Error::NotMember(space));
            };
            let (key_id, key) = members.writing_key().ok_or_else(|| {
                Error::NotAllowed("no key of this space has reached this device yet".into())
            })?;
            let mut body = BallotBody {
                poll: id,
                choices,
                text: text.trim().to_owned(),
                cast_at: crate::fields::utc(now),
                voter: None,
            };
            if !poll.fields.anonymous {
                body = body.sign(space, member, &self.device);
            }
            let sealed = body
                .seal(space, key_id, key)
                .map_err(|e| Error::InvalidInput(e.to_string()))?;
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO ballot_outbox (space, poll, key, sealed) VALUES (?, ?, ?, ?)
                 ON CONFLICT(space, poll) DO UPDATE SET key = excluded.key, sealed = excluded.sealed",
            )
            .bind(space.0.as_slice())
            .bind(id.0.as_slice())
            .bind(i64::from(key_id.0))
            .bind(sealed)
            .execute(&mut *tx)
            .await?;
            sqlx::query("INSERT OR IGNORE INTO poll_voted (poll) VALUES (?)")
                .bind(id.0.as_slice())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        self.outbox.send_modify(|n| *n += 1);
        self.poll_results(space, id).await
    }

    /// A poll's results as this computer counts them from the ballots it has.
    pub async fn poll_results(&self, space: SpaceId, id: ItemId) -> Result<PollResults, Error> {
        let poll = self.poll(space, id).await?;
        let stored = {
            let mut conn = self.pool.acquire().await?;
            polls::ballots(&mut conn, space, id).await?
        };
        let voted: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM poll_voted WHERE poll = ?")
            .bind(id.0.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        let members = self.members_of(space).await?;
        let (counted, late, invalid) = polls::count(space, &poll, &stored, &members.keys, &members.state);
        let me = self.device_id();
        let my_member = members.state.member_of(&me).map(|(m, _)| m);
        let mut my_choices = Vec::new();
        if !poll.fields.anonymous
            && my_member.is_some()
            && let Some(mine) = counted
                .iter()
                .find(|b| b.voter.as_ref().map(|v| v.member) == my_member)
        {
            my_choices = mine.choices.clone();
        }
        let now = OffsetDateTime::now_utc();
        let open = poll.is_open(now);
        let voted = voted.is_some();
        let visible = !open || (poll.fields.results_after == "vote" && voted);
        let (options, answers) = if visible {
            polls::tally(&poll, &counted, |body| {
                let voter = body.voter.as_ref()?;
                members.state.name_of(&voter.device).map(str::to_owned)
            })
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(PollResults {
            poll,
            open,
            voted,
            my_choices,
            visible,
            ballots: u32::try_from(counted.len()).unwrap_or(u32::MAX),
            late,
            invalid,
            options,
            answers,
        })
    }

    /// Every ballot of a poll this device can open, as received (for audits: what a
    /// member's computer holds about the votes).
    pub async fn open_ballots(&self, space: SpaceId, id: ItemId) -> Result<Vec<BallotBody>, Error> {
        let stored = {
            let mut conn = self.pool.acquire().await?;
            polls::ballots(&mut conn, space, id).await?
        };
        let members = self.members_of(space).await?;
        Ok(stored
            .iter()
            .filter_map(|b| {
                let key_id = KeyId(u32::try_from(b.key).ok()?);
                BallotBody::open(space, id, key_id, members.keys.get(&key_id)?, &b.sealed).ok()
            })
            .collect())
    }

    /// Sends the ballots waiting here. A ballot the relay refuses for good (this
    /// device left the space) is dropped, with a warning.
    pub(crate) async fn cast_ballots(
        &self,
        connection: &RelayConnection,
        space: SpaceId,
    ) -> Result<usize, Error> {
        let waiting: Vec<(Vec<u8>, i64, Vec<u8>)> =
            sqlx::query_as("SELECT poll, key, sealed FROM ballot_outbox WHERE space = ?")
                .bind(space.0.as_slice())
                .fetch_all(&self.pool)
                .await?;
        let mut sent = 0;
        for (poll, key, sealed) in waiting {
            let (Ok(poll_id), Ok(key_id)) = (<[u8; 16]>::try_from(poll.as_slice()), u32::try_from(key))
            else {
                continue;
            };
            let cast = connection
                .cast_ballot(space, ItemId(poll_id), KeyId(key_id), sealed.clone())
                .await;
            match cast {
                Ok(_) => sent += 1,
                Err(SyncError::Refused { code, message }) if code != ErrorCode::Internal => {
                    tracing::warn!(%space, %message, "ballot refused by the relay; dropped");
                }
                Err(other) => return Err(other.into()),
            }
            // Only this ballot: a newer vote made meanwhile stays queued.
            sqlx::query("DELETE FROM ballot_outbox WHERE space = ? AND poll = ? AND sealed = ?")
                .bind(space.0.as_slice())
                .bind(poll.as_slice())
                .bind(sealed.as_slice())
                .execute(&self.pool)
                .await?;
        }
        Ok(sent)
    }
}

/// Stores a ballot record from the log (sealed, as forwarded).
pub(crate) async fn store_ballot(
    conn: &mut sqlx::SqliteConnection,
    space: SpaceId,
    seq: u64,
    bytes: &[u8],
) -> Result<Option<ItemId>, Error> {
    let record = match BallotRecord::from_bytes(bytes) {
        Ok(record) => record,
        Err(error) => {
            tracing::warn!(seq, %error, "malformed ballot skipped");
            return Ok(None);
        }
    };
    sqlx::query(
        "INSERT OR IGNORE INTO ballots (space, seq, poll, key, replaces, sealed) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(space.0.as_slice())
    .bind(i64::try_from(seq).unwrap_or(i64::MAX))
    .bind(record.poll.0.as_slice())
    .bind(i64::from(record.key.0))
    .bind(i64::try_from(record.replaces).unwrap_or(0))
    .bind(record.sealed)
    .execute(&mut *conn)
    .await?;
    Ok(Some(record.poll))
}
