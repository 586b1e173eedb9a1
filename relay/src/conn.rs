//! One client connection: authentication, then one request per stream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bastide_proto::frame::{self, FrameError};
use bastide_proto::io::FrameIoError;
use bastide_proto::membership::{Op, OpBody};
use bastide_proto::wire::{
    self, ClientMsg, ErrorCode, Limit, LogEntry, PushResult, Record, Refusal, RelayMsg,
};
use bastide_proto::{DeviceId, Entry, FrameReader, SpaceId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::AsyncReadExt;
use tokio::sync::{Semaphore, broadcast};
use tokio::task::JoinSet;

use crate::limits::{Budget, Limits, Rates, Reserved};
use crate::store::{Append, Store, StoreError};

/// What every connection shares.
pub(crate) struct Shared {
    pub(crate) store: Store,
    pub(crate) blobs: crate::blobs::Blobs,
    pub(crate) limits: Limits,
    /// Request bytes in memory across all connections.
    pub(crate) buffer: Arc<Semaphore>,
    /// Records pushed per device, against `limits.entries_per_second`.
    pub(crate) rates: Rates,
}

/// Frames up to this size are read without reserving from the budgets: every request
/// but pushes of many records and file chunks. What they can hold is bounded by
/// connections × streams × this.
const SMALL_FRAME: usize = 4 * 1024;

/// How long a push may be held back to keep a device under its rate before it is
/// refused instead.
const RATE_PATIENCE: Duration = Duration::from_secs(5);

/// Bytes written to a stream at a time, each within the silence limit.
const WRITE_SLICE: usize = 64 * 1024;

/// Entries sent per frame when replaying a log: large enough to amortise framing, small
/// enough to stay far below the frame limit with ordinary items.
const PAGE: u32 = 500;

/// A request failed; the reason goes back to the client on that stream.
#[derive(Debug, thiserror::Error)]
enum RequestError {
    #[error("{1}")]
    Refused(ErrorCode, String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Frame(#[from] FrameIoError),
    /// The peer sent or read nothing for longer than the relay waits.
    #[error("the peer went silent inside a request")]
    Silent,
}

impl From<FrameError> for RequestError {
    fn from(error: FrameError) -> Self {
        Self::Frame(error.into())
    }
}

impl From<std::io::Error> for RequestError {
    fn from(error: std::io::Error) -> Self {
        Self::Frame(error.into())
    }
}

impl RequestError {
    fn to_msg(&self) -> RelayMsg {
        match self {
            Self::Refused(code, message) => RelayMsg::Error {
                code: *code,
                message: message.clone(),
            },
            Self::Store(e) => RelayMsg::Error {
                code: ErrorCode::Internal,
                message: e.to_string(),
            },
            Self::Frame(e) => RelayMsg::Error {
                code: ErrorCode::BadRequest,
                message: e.to_string(),
            },
            Self::Silent => RelayMsg::Error {
                code: ErrorCode::BadRequest,
                message: self.to_string(),
            },
        }
    }

    fn limit(limit: Limit, message: impl Into<String>) -> Self {
        Self::Refused(ErrorCode::OverLimit(limit), message.into())
    }
}

struct Session {
    shared: Arc<Shared>,
    device: DeviceId,
    budget: Budget,
    /// The hash of the admission token this connection presented, if any.
    admitted: Mutex<Option<[u8; 32]>>,
}

pub(crate) async fn serve(connection: quinn::Connection, shared: Arc<Shared>) {
    let silence = shared.limits.io_timeout;
    let authenticated = tokio::time::timeout(silence, authenticate(&connection, shared)).await;
    let session = match authenticated.unwrap_or(Err(RequestError::Silent)) {
        Ok(session) => Arc::new(session),
        Err(error) => {
            tracing::info!(%error, "authentication failed");
            connection.close(1u32.into(), b"authentication failed");
            return;
        }
    };
    tracing::debug!(device = %session.device, "device authenticated");
    let mut requests = JoinSet::new();
    loop {
        tokio::select! {
            stream = connection.accept_bi() => {
                let Ok((send, recv)) = stream else { break };
                requests.spawn(handle_stream(session.clone(), send, recv));
            }
            Some(_) = requests.join_next(), if !requests.is_empty() => {}
        }
    }
    requests.abort_all();
}

async fn authenticate(connection: &quinn::Connection, shared: Arc<Shared>) -> Result<Session, RequestError> {
    let refused = |m: &str| RequestError::Refused(ErrorCode::Unauthenticated, m.to_owned());
    let mut binding = [0u8; 32];
    connection
        .export_keying_material(&mut binding, wire::TLS_BINDING_LABEL, b"")
        .map_err(|_| refused("no keying material"))?;
    let (mut send, mut recv) = connection
        .accept_bi()
        .await
        .map_err(|_| refused("no auth stream"))?;
    // Before it has proved a key, a peer gets a few KiB, not a push's worth.
    let limits = &shared.limits;
    let mut reader = FrameReader::new(limits.preauth_frame);
    let hello = read_msg(&mut recv, &mut reader, limits.io_timeout, None).await?;
    if !matches!(hello, Some((ClientMsg::Hello, _))) {
        return Err(refused("expected Hello"));
    }
    let nonce = bastide_proto::random_bytes();
    write_msg(&mut send, &RelayMsg::Challenge { nonce }, limits).await?;
    let reply = read_msg(&mut recv, &mut reader, limits.io_timeout, None).await?;
    let Some((ClientMsg::Auth { device, signature }, _)) = reply else {
        return Err(refused("expected Auth"));
    };
    if let Err(error) = device.verify(&wire::auth_message(&nonce, &binding), &signature) {
        let msg = RelayMsg::Error {
            code: ErrorCode::Unauthenticated,
            message: error.to_string(),
        };
        let _ = write_msg(&mut send, &msg, limits).await;
        let _ = send.finish();
        return Err(refused("bad auth signature"));
    }
    write_msg(&mut send, &RelayMsg::Ok, limits).await?;
    let _ = send.finish();
    let budget = Budget::new(shared.buffer.clone(), limits);
    Ok(Session {
        shared,
        device,
        budget,
        admitted: Mutex::new(None),
    })
}

/// Reads one message; each read must bring bytes within `silence`. With a budget, a
/// frame over [`SMALL_FRAME`] first reserves its announced length from the
/// connection's and the relay's budgets, and the reservation comes back with the
/// message, to live as long as its request.
async fn read_msg<M: DeserializeOwned>(
    recv: &mut quinn::RecvStream,
    reader: &mut FrameReader,
    silence: Duration,
    budget: Option<&Budget>,
) -> Result<Option<(M, Option<Reserved>)>, RequestError> {
    let mut reserved = None;
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        if let Some(budget) = budget
            && reserved.is_none()
            && let Some(len) = reader.pending_len()?
            && len > SMALL_FRAME
        {
            let held = budget.reserve(len, silence).await.ok_or_else(|| {
                RequestError::limit(
                    Limit::Buffer,
                    "the relay holds as many requests as it may: try again",
                )
            })?;
            reserved = Some(held);
        }
        if let Some(msg) = reader.next_message()? {
            return Ok(Some((msg, reserved)));
        }
        let n = tokio::time::timeout(silence, AsyncReadExt::read(recv, &mut chunk))
            .await
            .map_err(|_| RequestError::Silent)??;
        if n == 0 {
            return if reader.has_partial() {
                Err(FrameError::Truncated.into())
            } else {
                Ok(None)
            };
        }
        reader.push(&chunk[..n]);
    }
}

/// Writes one message in slices, each within the silence limit: a peer that stops
/// reading loses the stream instead of holding the relay's memory.
async fn write_msg<M: Serialize>(
    send: &mut quinn::SendStream,
    msg: &M,
    limits: &Limits,
) -> Result<(), RequestError> {
    let bytes = frame::encode(msg, limits.max_frame)?;
    for slice in bytes.chunks(WRITE_SLICE) {
        tokio::time::timeout(limits.io_timeout, send.write_all(slice))
            .await
            .map_err(|_| RequestError::Silent)?
            .map_err(std::io::Error::from)?;
    }
    Ok(())
}

async fn handle_stream(session: Arc<Session>, mut send: quinn::SendStream, mut recv: quinn::RecvStream) {
    let limits = &session.shared.limits;
    let mut reader = FrameReader::new(limits.max_frame);
    let read = read_msg(&mut recv, &mut reader, limits.io_timeout, Some(&session.budget)).await;
    let result = match read {
        Ok(Some((msg, _reserved))) => handle_request(&session, msg, &mut send).await,
        Ok(None) => return,
        Err(error) => Err(error),
    };
    if let Err(error) = result {
        tracing::info!(device = %session.device, %error, "request refused");
        let _ = write_msg(&mut send, &error.to_msg(), limits).await;
    }
    let _ = send.finish();
}

async fn handle_request(
    session: &Session,
    msg: ClientMsg,
    send: &mut quinn::SendStream,
) -> Result<(), RequestError> {
    let limits = &session.shared.limits;
    match msg {
        ClientMsg::Hello | ClientMsg::Auth { .. } => Err(RequestError::Refused(
            ErrorCode::BadRequest,
            "already authenticated".into(),
        )),
        ClientMsg::Admit { token } => {
            let valid = match crate::tokens::hash(&token) {
                Some(hash) => crate::tokens::valid(session.shared.store.pool(), &hash)
                    .await?
                    .then_some(hash),
                None => None,
            };
            let Some(hash) = valid else {
                return Err(RequestError::Refused(
                    ErrorCode::TokenRefused,
                    "unknown, used up, revoked or expired admission token".into(),
                ));
            };
            *session.admitted.lock().unwrap_or_else(|e| e.into_inner()) = Some(hash);
            write_msg(send, &RelayMsg::Ok, limits).await?;
            Ok(())
        }
        ClientMsg::RecordIds { space, seqs } => {
            check_member(session, &space).await?;
            if seqs.len() > wire::MAX_RECORD_IDS {
                return Err(RequestError::Refused(
                    ErrorCode::BadRequest,
                    format!("at most {} sequence numbers at once", wire::MAX_RECORD_IDS),
                ));
            }
            let ids = session.shared.store.record_ids(&space, &seqs).await?;
            write_msg(send, &RelayMsg::RecordIds { ids }, limits).await?;
            Ok(())
        }
        ClientMsg::Push { records } => {
            let results = push(session, records).await?;
            write_msg(send, &RelayMsg::PushAck { results }, limits).await?;
            Ok(())
        }
        ClientMsg::Subscribe { space, after } => subscribe(session, space, after, send).await,
        ClientMsg::HasChunks { space, ids } => {
            check_member(session, &space).await?;
            let mut missing = Vec::new();
            for id in ids {
                if !session.shared.blobs.has(&space, &id).await {
                    missing.push(id);
                }
            }
            write_msg(send, &RelayMsg::Missing { ids: missing }, limits).await?;
            Ok(())
        }
        ClientMsg::PutChunk { space, id, bytes } => {
            check_writer(session, &space).await?;
            if bytes.len() > wire::MAX_CHUNK {
                return Err(RequestError::Refused(
                    ErrorCode::BadRequest,
                    "chunk too large".into(),
                ));
            }
            let shared = &session.shared;
            if !shared.blobs.has(&space, &id).await {
                check_quota(session, &space, bytes.len() as u64).await?;
            }
            let new = shared
                .blobs
                .put(&space, &id, &bytes)
                .await
                .map_err(|e| RequestError::Refused(ErrorCode::BadRequest, e.to_string()))?;
            if new {
                shared.store.add_bytes(&space, bytes.len() as u64);
            }
            write_msg(send, &RelayMsg::Ok, limits).await?;
            Ok(())
        }
        ClientMsg::CastBallot {
            space,
            poll,
            key,
            sealed,
        } => {
            if sealed.len() > bastide_proto::ballot::MAX_SEALED {
                return Err(RequestError::Refused(
                    ErrorCode::BadRequest,
                    "ballot too large".into(),
                ));
            }
            let ballot = Append::Ballot {
                device: session.device,
                space,
                poll,
                key,
                sealed,
            };
            let verdict = session.shared.store.append(vec![ballot]).await?.pop();
            match verdict {
                Some(PushResult::Stored { seq, .. }) => {
                    write_msg(send, &RelayMsg::BallotAck { seq }, limits).await?;
                    Ok(())
                }
                Some(PushResult::Refused { reason, .. }) => {
                    Err(RequestError::Refused(ErrorCode::Forbidden, reason))
                }
                None => Err(RequestError::Refused(
                    ErrorCode::Internal,
                    "no verdict for the ballot".into(),
                )),
            }
        }
        ClientMsg::GetChunk { space, id } => {
            check_member(session, &space).await?;
            let found = session
                .shared
                .blobs
                .get(&space, &id)
                .await
                .map_err(|e| RequestError::Refused(ErrorCode::Internal, e.to_string()))?;
            let Some(bytes) = found else {
                return Err(RequestError::Refused(
                    ErrorCode::BadRequest,
                    "no such chunk".into(),
                ));
            };
            write_msg(send, &RelayMsg::Chunk { bytes }, limits).await?;
            Ok(())
        }
    }
}

/// Refuses a device that is not (or no longer) in `space`.
async fn check_member(session: &Session, space: &SpaceId) -> Result<(), RequestError> {
    let members = session.shared.store.membership(space).await?;
    if members.is_some_and(|m| m.role_of(&session.device).is_some()) {
        return Ok(());
    }
    Err(RequestError::Refused(
        ErrorCode::Forbidden,
        format!("device is not a member of space {space}"),
    ))
}

/// Refuses a push that would take `space` over the bytes a space may hold. Pushes
/// running at the same moment may together go over by one request's worth.
async fn check_quota(session: &Session, space: &SpaceId, extra: u64) -> Result<(), RequestError> {
    let shared = &session.shared;
    let used = shared.store.space_bytes(space, &shared.blobs).await?;
    let quota = shared.limits.space_bytes;
    if used.saturating_add(extra) > quota {
        return Err(RequestError::limit(
            Limit::SpaceBytes,
            format!("space {space} holds {used} bytes; a space may hold {quota}"),
        ));
    }
    Ok(())
}

/// On a relay not open to all, a push that creates a space spends a use of the
/// admission token its connection presented. A space that exists already needs none
/// (a retried push of its genesis). Returns each genesis admitted, with its token.
async fn admit_new_spaces(
    session: &Session,
    accepted: &[Append],
) -> Result<Vec<(bastide_proto::EntryId, [u8; 32])>, RequestError> {
    let shared = &session.shared;
    let mut spent = Vec::new();
    if shared.limits.open_creation {
        return Ok(spent);
    }
    for append in accepted {
        let Append::Op { op, record } = append else {
            continue;
        };
        if !matches!(op.body(), OpBody::Genesis { .. }) || shared.store.has_space(&op.space()).await? {
            continue;
        }
        let token = *session.admitted.lock().unwrap_or_else(|e| e.into_inner());
        let Some(token) = token else {
            return Err(RequestError::Refused(
                ErrorCode::TokenRequired,
                "creating a space on this relay needs an admission token from its operator".into(),
            ));
        };
        if !crate::tokens::spend(shared.store.pool(), &token).await? {
            for (_, given) in &spent {
                crate::tokens::refund(shared.store.pool(), given).await?;
            }
            return Err(RequestError::Refused(
                ErrorCode::TokenRefused,
                "the admission token is used up, revoked or expired".into(),
            ));
        }
        spent.push((record.id(), token));
    }
    Ok(spent)
}

/// Refuses a device that may not write in `space` (readers, outsiders).
async fn check_writer(session: &Session, space: &SpaceId) -> Result<(), RequestError> {
    let members = session.shared.store.membership(space).await?;
    match members.and_then(|m| m.role_of(&session.device)) {
        Some(role) if role.writes() => Ok(()),
        Some(_) => Err(RequestError::Refused(
            ErrorCode::Forbidden,
            "readers do not write".into(),
        )),
        None => Err(RequestError::Refused(
            ErrorCode::Forbidden,
            format!("device is not a member of space {space}"),
        )),
    }
}

/// Decodes and checks signatures here, on the connection's task; the store's single
/// writer then judges membership, in log order.
async fn push(session: &Session, records: Vec<Record>) -> Result<Vec<PushResult>, RequestError> {
    let mut verdicts: Vec<Option<PushResult>> = Vec::with_capacity(records.len());
    let mut accepted = Vec::new();
    for record in records {
        let id = record.id();
        let refused = |refusal: Refusal, reason: String| Some(PushResult::Refused { id, refusal, reason });
        let size = record.bytes().len();
        if size > wire::MAX_RECORD_LEN {
            verdicts.push(refused(
                Refusal::Malformed,
                format!(
                    "record of {size} bytes is over the {} bytes a relay stores",
                    wire::MAX_RECORD_LEN
                ),
            ));
            continue;
        }
        let checked = match record {
            Record::Entry(ref bytes) => match Entry::from_bytes(bytes) {
                Err(error) => Err(refused(Refusal::Malformed, error.to_string())),
                Ok(entry) => match entry.verify() {
                    Err(error) => Err(refused(Refusal::BadSignature, error.to_string())),
                    // Only a device's own entries travel on its connection; anything
                    // else is a replayed or forged entry.
                    Ok(()) if entry.header.author != session.device => Err(refused(
                        Refusal::NotAuthor,
                        "entry author is not the pushing device".into(),
                    )),
                    Ok(()) => Ok(Append::Entry { entry, record }),
                },
            },
            // Ballots reach the log only through CastBallot, which strips the voter.
            Record::Ballot(_) => Err(refused(
                Refusal::NotAllowed,
                "ballots are cast with CastBallot, not pushed".into(),
            )),
            Record::Op(ref bytes) => match Op::from_bytes(bytes) {
                Err(error) => Err(refused(Refusal::Malformed, error.to_string())),
                Ok(op) => match op.verify() {
                    Err(error) => Err(refused(Refusal::BadSignature, error.to_string())),
                    Ok(()) => Ok(Append::Op { op, record }),
                },
            },
        };
        match checked {
            Ok(append) => {
                verdicts.push(None);
                accepted.push(append);
            }
            Err(verdict) => verdicts.push(verdict),
        }
    }
    let mut sizes: HashMap<SpaceId, u64> = HashMap::new();
    for append in &accepted {
        if let Append::Entry { record, .. } | Append::Op { record, .. } = append {
            *sizes.entry(append.space()).or_default() += record.bytes().len() as u64;
        }
    }
    for (space, bytes) in &sizes {
        check_quota(session, space, *bytes).await?;
    }
    let count = u32::try_from(accepted.len()).unwrap_or(u32::MAX);
    if count > 0 {
        let limits = &session.shared.limits;
        match session
            .shared
            .rates
            .admit(session.device, count, limits, RATE_PATIENCE)
        {
            Ok(wait) if wait.is_zero() => {}
            // A little over the rate: held back rather than refused.
            Ok(wait) => tokio::time::sleep(wait).await,
            Err(wait) => {
                return Err(RequestError::limit(
                    Limit::EntriesPerSecond,
                    format!(
                        "over {} records per second for this device: retry in {} s",
                        limits.entries_per_second,
                        wait.as_secs().max(1)
                    ),
                ));
            }
        }
    }
    // Last, so that a push refused above spends no token.
    let spent = admit_new_spaces(session, &accepted).await?;
    // The store answers one verdict per accepted record, in order: slot them back in.
    let appended = session.shared.store.append(accepted).await;
    // A token spent on a genesis the store did not keep is given back.
    for (genesis, token) in spent {
        let kept = appended.as_ref().is_ok_and(|results| {
            results
                .iter()
                .any(|r| matches!(r, PushResult::Stored { id, .. } if *id == genesis))
        });
        if !kept {
            crate::tokens::refund(session.shared.store.pool(), &token).await?;
        }
    }
    let mut stored = appended?.into_iter();
    Ok(verdicts
        .into_iter()
        .filter_map(|v| v.or_else(|| stored.next()))
        .collect())
}

async fn subscribe(
    session: &Session,
    space: SpaceId,
    after: u64,
    send: &mut quinn::SendStream,
) -> Result<(), RequestError> {
    check_member(session, &space).await?;
    let limits = &session.shared.limits;
    // Listen before reading the backlog so nothing appended in between is missed.
    let mut live = session.shared.store.subscribe();
    let mut last = catch_up(session, &space, after, send).await?;
    write_msg(send, &RelayMsg::CaughtUp { seq: last }, limits).await?;
    loop {
        let first = match live.recv().await {
            Ok(appended) => appended,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "subscriber lagged; replaying from the database");
                last = catch_up(session, &space, last, send).await?;
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return Ok(()),
        };
        // A device removed while subscribed receives nothing more.
        check_member(session, &space).await?;
        let mut batch: Vec<LogEntry> = Vec::new();
        let mut push_one = |a: crate::store::Appended, batch: &mut Vec<LogEntry>| {
            if a.space == space && a.entry.seq > last {
                last = a.entry.seq;
                batch.push(a.entry);
            }
        };
        push_one(first, &mut batch);
        // Take whatever else is already waiting, to send it in one frame.
        while batch.len() < PAGE as usize {
            match live.try_recv() {
                Ok(a) => push_one(a, &mut batch),
                Err(_) => break,
            }
        }
        send_entries(send, batch, limits).await?;
    }
}

/// Sends everything in the log after `after`; returns the last sequence sent.
async fn catch_up(
    session: &Session,
    space: &SpaceId,
    mut after: u64,
    send: &mut quinn::SendStream,
) -> Result<u64, RequestError> {
    loop {
        let page = session.shared.store.read(space, after, PAGE).await?;
        let Some(last) = page.last() else { return Ok(after) };
        after = last.seq;
        let full = page.len() == PAGE as usize;
        send_entries(send, page, &session.shared.limits).await?;
        if !full {
            return Ok(after);
        }
    }
}

/// Sends entries in as few frames as the frame limit allows.
async fn send_entries(
    send: &mut quinn::SendStream,
    entries: Vec<LogEntry>,
    limits: &Limits,
) -> Result<(), RequestError> {
    // Leave room for the message's own encoding around the entries.
    let budget = limits.max_frame / 2;
    let mut frame: Vec<LogEntry> = Vec::new();
    let mut size = 0;
    for entry in entries {
        let len = entry.record.bytes().len();
        if !frame.is_empty() && size + len > budget {
            write_msg(
                send,
                &RelayMsg::Entries {
                    entries: std::mem::take(&mut frame),
                },
                limits,
            )
            .await?;
            size = 0;
        }
        size += len + 16;
        frame.push(entry);
    }
    if !frame.is_empty() {
        write_msg(send, &RelayMsg::Entries { entries: frame }, limits).await?;
    }
    Ok(())
}
