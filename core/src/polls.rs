//! Polls (sondages): one Automerge document per poll, written by its author, and
//! ballots, which are not item changes but records the relay appends to the log
//! without their voter (see [`bastide_proto::ballot`]).
//!
//! Each member's ballots for a poll form a chain (each replaces the previous one, as
//! the relay recorded it). A chain counts with its latest ballot cast within the
//! poll's open time, by the voter's clock: a vote cast offline before the close counts
//! when it arrives; one cast after does not.

use std::collections::{BTreeMap, HashMap, HashSet};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use bastide_proto::ballot::BallotBody;
use bastide_proto::membership::Membership;
use bastide_proto::{ItemId, KeyId, SpaceId, SpaceKey};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use time::OffsetDateTime;

use crate::error::Error;
use crate::fields::{from_json, get_bool, get_str, put_str_if_changed, put_text, stamp, utc};

/// The item kind of polls.
pub const KIND: &str = "polls.poll";

/// The kind announced for a poll that received ballots (not an item kind).
pub const BALLOT: &str = "polls.ballot";

/// Kinds of poll.
pub const MODES: [&str; 5] = ["single", "multiple", "ranking", "dates", "text"];

const MAX_QUESTION: usize = 500;
const MAX_DESCRIPTION: usize = 5_000;
const MAX_OPTION: usize = 200;
const MAX_OPTIONS: usize = 50;
/// Longest free-text answer.
pub const MAX_ANSWER: usize = 2_000;

/// What a person enters to create a poll.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PollInput {
    /// The question.
    pub question: String,
    /// More about it.
    pub description: String,
    /// `single`, `multiple`, `ranking`, `dates` (which evening suits: any number of
    /// options) or `text` (a free answer).
    pub mode: String,
    /// The options (none for `text`).
    pub options: Vec<String>,
    /// Votes open at (RFC 3339); empty: now.
    pub opens_at: String,
    /// Votes close at (RFC 3339); empty: when the author closes it.
    pub closes_at: String,
    /// Nobody, the author included, can tell who voted what.
    pub anonymous: bool,
    /// Results show after voting (`vote`) or only once closed (`close`).
    pub results_after: String,
}

/// A poll as the views show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Poll {
    /// Item id.
    pub id: String,
    /// Space id.
    pub space: String,
    /// Its fields.
    #[serde(flatten)]
    pub fields: PollInput,
    /// When its author closed it early (RFC 3339, UTC), or empty.
    pub closed_at: String,
    /// When it was created.
    pub created_at: String,
    /// Who created it.
    pub created_by: String,
    /// In the trash.
    pub deleted: bool,
}

impl Poll {
    /// The time votes stop counting, if any: the earlier of the set close and the
    /// author's early close.
    pub fn close(&self) -> Option<String> {
        let set = Some(&self.fields.closes_at).filter(|c| !c.is_empty()).map(|c| {
            crate::agenda::parse_date(c)
                .map(utc)
                .unwrap_or_else(|_| c.clone())
        });
        let early = Some(self.closed_at.clone()).filter(|c| !c.is_empty());
        match (set, early) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The time votes start counting (empty: from the start).
    fn open(&self) -> String {
        crate::agenda::parse_date(&self.fields.opens_at)
            .map(utc)
            .unwrap_or_default()
    }

    /// Whether a vote cast at `at` (fixed-format UTC) counts.
    fn counts_at(&self, at: &str) -> bool {
        at >= self.open().as_str() && self.close().is_none_or(|close| at < close.as_str())
    }

    /// Whether it takes votes at `now`.
    pub fn is_open(&self, now: OffsetDateTime) -> bool {
        !self.deleted && self.counts_at(&utc(now))
    }
}

impl PollInput {
    /// Checks and normalises the input.
    pub(crate) fn check(mut self, now: OffsetDateTime) -> Result<Self, Error> {
        self.question = self.question.trim().to_owned();
        if self.question.is_empty() {
            return Err(Error::EmptyTitle);
        }
        if self.question.chars().count() > MAX_QUESTION || self.description.chars().count() > MAX_DESCRIPTION
        {
            return Err(Error::InvalidInput(format!(
                "the question is limited to {MAX_QUESTION} characters, the description to {MAX_DESCRIPTION}"
            )));
        }
        if self.mode.trim().is_empty() {
            self.mode = "single".into();
        }
        self.mode = self.mode.trim().to_owned();
        if !MODES.contains(&self.mode.as_str()) {
            return Err(Error::InvalidInput(format!(
                "the kind of poll {:?} is not one of {}",
                self.mode,
                MODES.join(", ")
            )));
        }
        let mut options: Vec<String> = Vec::new();
        for option in &self.options {
            let option = option.trim();
            if option.is_empty() || options.iter().any(|o| o == option) {
                continue;
            }
            if option.chars().count() > MAX_OPTION {
                return Err(Error::InvalidInput(format!(
                    "an option is limited to {MAX_OPTION} characters"
                )));
            }
            options.push(option.to_owned());
        }
        if self.mode == "text" {
            options.clear();
        } else if options.is_empty() {
            return Err(Error::PollNoOption);
        }
        if options.len() > MAX_OPTIONS {
            return Err(Error::InvalidInput(format!(
                "a poll has at most {MAX_OPTIONS} options"
            )));
        }
        self.options = options;
        let opens = Some(self.opens_at.trim())
            .filter(|s| !s.is_empty())
            .map(crate::agenda::parse_date)
            .transpose()?;
        let closes = Some(self.closes_at.trim())
            .filter(|s| !s.is_empty())
            .map(crate::agenda::parse_date)
            .transpose()?;
        if let Some(closes) = closes
            && (closes <= now || opens.is_some_and(|o| closes <= o))
        {
            return Err(Error::EndBeforeStart {
                start: self.opens_at,
                end: self.closes_at,
            });
        }
        self.opens_at = opens.map(utc).unwrap_or_default();
        self.closes_at = closes.map(utc).unwrap_or_default();
        if self.results_after.trim().is_empty() {
            self.results_after = "vote".into();
        }
        if !["vote", "close"].contains(&self.results_after.trim()) {
            return Err(Error::InvalidInput("results show after `vote` or `close`".into()));
        }
        self.results_after = self.results_after.trim().to_owned();
        Ok(self)
    }
}

/// Writes a new poll.
pub(crate) fn write_new(
    doc: &mut AutoCommit,
    input: &PollInput,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    doc.put(ROOT, "type", KIND)?;
    put_text(doc, "question", &input.question)?;
    put_text(doc, "description", &input.description)?;
    doc.put(ROOT, "mode", input.mode.as_str())?;
    let options = crate::fields::to_json(&input.options)?;
    doc.put(ROOT, "options", options)?;
    doc.put(ROOT, "opens_at", input.opens_at.as_str())?;
    doc.put(ROOT, "closes_at", input.closes_at.as_str())?;
    doc.put(ROOT, "anonymous", input.anonymous)?;
    doc.put(ROOT, "results_after", input.results_after.as_str())?;
    doc.put(ROOT, "closed_at", "")?;
    doc.put(ROOT, "created_at", utc(now))?;
    doc.put(ROOT, "created_by", by)?;
    doc.put(ROOT, "deleted", false)?;
    stamp(doc, by, now)
}

/// Closes a poll now (nothing if it is closed already).
pub(crate) fn write_close(doc: &mut AutoCommit, by: &str, now: OffsetDateTime) -> Result<(), Error> {
    if get_str(doc, "closed_at").is_some_and(|c| !c.is_empty()) {
        return Ok(());
    }
    put_str_if_changed(doc, "closed_at", &utc(now))?;
    stamp(doc, by, now)
}

/// Reads a poll document.
pub(crate) fn read(doc: &AutoCommit, space: SpaceId, id: ItemId) -> Poll {
    let s = |k| get_str(doc, k).unwrap_or_default();
    Poll {
        id: id.to_string(),
        space: space.to_string(),
        fields: PollInput {
            question: s("question"),
            description: s("description"),
            mode: s("mode"),
            options: serde_json::from_str(&s("options")).unwrap_or_default(),
            opens_at: s("opens_at"),
            closes_at: s("closes_at"),
            anonymous: get_bool(doc, "anonymous").unwrap_or(true),
            results_after: s("results_after"),
        },
        closed_at: s("closed_at"),
        created_at: s("created_at"),
        created_by: s("created_by"),
        deleted: get_bool(doc, "deleted").unwrap_or(false),
    }
}

/// Writes a poll into the projection.
pub(crate) async fn project(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
    poll: &Poll,
) -> Result<(), Error> {
    let json = crate::fields::to_json(poll)?;
    sqlx::query(
        "INSERT INTO polls (item, space, created_at, deleted, poll) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(item) DO UPDATE SET created_at = excluded.created_at, deleted = excluded.deleted,
           poll = excluded.poll",
    )
    .bind(id.0.as_slice())
    .bind(space.0.as_slice())
    .bind(&poll.created_at)
    .bind(poll.deleted)
    .bind(json)
    .execute(conn)
    .await?;
    Ok(())
}

/// The polls of a space, newest first.
pub(crate) async fn list(conn: &mut SqliteConnection, space: SpaceId) -> Result<Vec<Poll>, Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT poll FROM polls WHERE space = ? AND deleted = 0 ORDER BY created_at DESC, item",
    )
    .bind(space.0.as_slice())
    .fetch_all(conn)
    .await?;
    rows.iter().map(|(json,)| from_json(json)).collect()
}

/// One poll.
pub(crate) async fn get(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
) -> Result<Option<Poll>, Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT poll FROM polls WHERE item = ? AND space = ?")
        .bind(id.0.as_slice())
        .bind(space.0.as_slice())
        .fetch_optional(conn)
        .await?;
    row.map(|(json,)| from_json(&json)).transpose()
}

/// Checks a vote against the poll's kind and options.
pub(crate) fn check_vote(poll: &Poll, choices: &[u16], text: &str) -> Result<(), Error> {
    let n = poll.fields.options.len();
    let bad = |why: &str| Err(Error::InvalidInput(why.to_owned()));
    let distinct = choices.iter().collect::<HashSet<_>>().len() == choices.len();
    if choices.iter().any(|&c| usize::from(c) >= n) || !distinct {
        return bad("a choice is not one of the poll's options, or is given twice");
    }
    match poll.fields.mode.as_str() {
        "single" if choices.len() != 1 => bad("choose exactly one option"),
        "ranking" if choices.len() != n => bad("rank every option"),
        "text" if text.trim().is_empty() => bad("the answer is empty"),
        "text" if text.chars().count() > MAX_ANSWER => bad("the answer is too long"),
        "text" | "single" | "multiple" | "ranking" | "dates" => Ok(()),
        other => Err(Error::InvalidInput(format!(
            "this client does not know polls of kind {other:?}"
        ))),
    }
}

/// One ballot as stored here: sealed, as the relay forwarded it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct StoredBallot {
    pub(crate) seq: i64,
    pub(crate) key: i64,
    pub(crate) replaces: i64,
    pub(crate) sealed: Vec<u8>,
}

/// The ballots of a poll.
pub(crate) async fn ballots(
    conn: &mut SqliteConnection,
    space: SpaceId,
    poll: ItemId,
) -> Result<Vec<StoredBallot>, Error> {
    Ok(sqlx::query_as(
        "SELECT seq, key, replaces, sealed FROM ballots WHERE space = ? AND poll = ? ORDER BY seq",
    )
    .bind(space.0.as_slice())
    .bind(poll.0.as_slice())
    .fetch_all(conn)
    .await?)
}

/// How one option fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionResult {
    /// The option.
    pub option: String,
    /// Ballots that chose it (for a ranking: that put it first).
    pub votes: u32,
    /// For a ranking: Borda points (last place 0, each place above one more).
    pub points: u32,
    /// In a named poll, who chose it.
    pub voters: Vec<String>,
}

/// A poll's results as this computer counts them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollResults {
    /// The poll.
    pub poll: Poll,
    /// Takes votes now.
    pub open: bool,
    /// This profile has voted (its ballot may still be on its way to the relay).
    pub voted: bool,
    /// In a named poll, this profile's current choices.
    pub my_choices: Vec<u16>,
    /// The results may be shown (closed, or voted when the poll says so).
    pub visible: bool,
    /// Members whose vote counts.
    pub ballots: u32,
    /// Ballots cast outside the open time (after the close), not counted.
    pub late: u32,
    /// Ballots that do not open or verify (a forged or damaged one), not counted.
    pub invalid: u32,
    /// Per option, in the poll's order (empty while not visible).
    pub options: Vec<OptionResult>,
    /// Free-text answers, sorted (empty while not visible).
    pub answers: Vec<String>,
}

/// Counts the ballots of `poll`: per voter chain, its latest ballot cast in the open
/// time. `keys` opens them; `membership` checks the voters of a named poll.
///
/// The relay cannot make a vote count twice: a record whose sealed bytes appeared
/// earlier in the log (a ballot copied, or an old one replayed) is not a ballot, and
/// in a named poll each member counts once (their latest), whatever chains the
/// relay's `replaces` numbers draw. Re-targeting a ballot to another poll fails to
/// open (the poll is bound to its sealing).
pub(crate) fn count(
    space: SpaceId,
    poll: &Poll,
    stored: &[StoredBallot],
    keys: &BTreeMap<KeyId, SpaceKey>,
    membership: &Membership,
) -> (Vec<BallotBody>, u32, u32) {
    let mut seen_bytes = HashSet::new();
    let originals: Vec<&StoredBallot> = stored.iter().filter(|b| seen_bytes.insert(&b.sealed)).collect();
    let (counted, late, invalid) = count_chains(space, poll, &originals, keys, membership);
    if poll.fields.anonymous {
        return (counted, late, invalid);
    }
    // One per member: the latest cast.
    let mut latest: HashMap<bastide_proto::MemberId, BallotBody> = HashMap::new();
    for body in counted {
        let Some(member) = body.voter.as_ref().map(|v| v.member) else {
            continue;
        };
        match latest.get(&member) {
            Some(kept) if kept.cast_at >= body.cast_at => {}
            _ => {
                latest.insert(member, body);
            }
        }
    }
    let mut counted: Vec<BallotBody> = latest.into_values().collect();
    counted.sort_by(|a, b| a.cast_at.cmp(&b.cast_at));
    (counted, late, invalid)
}

fn count_chains(
    space: SpaceId,
    poll: &Poll,
    stored: &[&StoredBallot],
    keys: &BTreeMap<KeyId, SpaceKey>,
    membership: &Membership,
) -> (Vec<BallotBody>, u32, u32) {
    let poll_id: ItemId = poll.id.parse().unwrap_or(ItemId([0; 16]));
    let by_seq: HashMap<i64, &StoredBallot> = stored.iter().map(|b| (b.seq, *b)).collect();
    let replaced: HashSet<i64> = stored.iter().map(|b| b.replaces).filter(|&r| r > 0).collect();
    let mut counted = Vec::new();
    let (mut late, mut invalid) = (0, 0);
    let open = |b: &StoredBallot| -> Option<BallotBody> {
        let key_id = KeyId(u32::try_from(b.key).ok()?);
        let body = BallotBody::open(space, poll_id, key_id, keys.get(&key_id)?, &b.sealed).ok()?;
        body.verify(space).ok()?;
        if poll.fields.anonymous {
            // Whatever a ballot might say of its voter is not kept.
            return Some(BallotBody { voter: None, ..body });
        }
        let voter = body.voter.as_ref()?;
        let (member, _) = membership.member_of(&voter.device)?;
        (member == voter.member).then_some(body)
    };
    for head in stored.iter().copied().filter(|b| !replaced.contains(&b.seq)) {
        // Walk back the chain to the latest ballot cast in time.
        let mut at = Some(head);
        let mut seen = HashSet::new();
        let mut found = None;
        let mut was_late = false;
        while let Some(ballot) = at {
            if !seen.insert(ballot.seq) {
                break;
            }
            match open(ballot) {
                Some(body) if poll.counts_at(&body.cast_at) => {
                    found = Some(body);
                    break;
                }
                Some(_) => was_late = true,
                None => invalid += 1,
            }
            at = by_seq.get(&ballot.replaces).copied();
        }
        match found {
            Some(body) if check_vote(poll, &body.choices, &body.text).is_ok() => counted.push(body),
            Some(_) => invalid += 1,
            None if was_late => late += 1,
            None => {}
        }
    }
    (counted, late, invalid)
}

/// Tallies counted ballots per option.
pub(crate) fn tally(
    poll: &Poll,
    counted: &[BallotBody],
    name_of: impl Fn(&BallotBody) -> Option<String>,
) -> (Vec<OptionResult>, Vec<String>) {
    let n = poll.fields.options.len();
    let mut results: Vec<OptionResult> = poll
        .fields
        .options
        .iter()
        .map(|o| OptionResult {
            option: o.clone(),
            votes: 0,
            points: 0,
            voters: Vec::new(),
        })
        .collect();
    let mut answers = Vec::new();
    for body in counted {
        let name = name_of(body);
        if poll.fields.mode == "text" {
            answers.push(body.text.clone());
            continue;
        }
        for (rank, &choice) in body.choices.iter().enumerate() {
            let Some(result) = results.get_mut(usize::from(choice)) else {
                continue;
            };
            if poll.fields.mode == "ranking" {
                result.points += u32::try_from(n - 1 - rank).unwrap_or(0);
                if rank > 0 {
                    continue;
                }
            }
            result.votes += 1;
            if let Some(name) = &name {
                result.voters.push(name.clone());
            }
        }
    }
    for result in &mut results {
        result.voters.sort();
    }
    answers.sort();
    (results, answers)
}

/// Per-option counts as a map, for tests and the command line.
pub fn votes_by_option(results: &PollResults) -> BTreeMap<String, u32> {
    results
        .options
        .iter()
        .map(|o| (o.option.clone(), o.votes))
        .collect()
}
