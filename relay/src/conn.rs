//! One client connection: authentication, then one request per stream.

use std::sync::Arc;

use bastide_proto::io::{FrameIoError, read_frame, write_frame};
use bastide_proto::membership::Op;
use bastide_proto::wire::{self, ClientMsg, ErrorCode, LogEntry, PushResult, Record, Refusal, RelayMsg};
use bastide_proto::{DeviceId, Entry, FrameReader, SpaceId};
use tokio::sync::broadcast;
use tokio::task::JoinSet;

use crate::store::{Append, Store, StoreError};

/// What every connection shares.
pub(crate) struct Shared {
    pub(crate) store: Store,
    pub(crate) blobs: crate::blobs::Blobs,
    pub(crate) max_frame: usize,
}

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
        }
    }
}

struct Session {
    shared: Arc<Shared>,
    device: DeviceId,
}

pub(crate) async fn serve(connection: quinn::Connection, shared: Arc<Shared>) {
    let session = match authenticate(&connection, shared).await {
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
    let mut reader = FrameReader::new(shared.max_frame);
    let hello: Option<ClientMsg> = read_frame(&mut recv, &mut reader).await?;
    if hello != Some(ClientMsg::Hello) {
        return Err(refused("expected Hello"));
    }
    let nonce = bastide_proto::random_bytes();
    write_frame(&mut send, &RelayMsg::Challenge { nonce }, shared.max_frame).await?;
    let reply: Option<ClientMsg> = read_frame(&mut recv, &mut reader).await?;
    let Some(ClientMsg::Auth { device, signature }) = reply else {
        return Err(refused("expected Auth"));
    };
    if let Err(error) = device.verify(&wire::auth_message(&nonce, &binding), &signature) {
        let msg = RelayMsg::Error {
            code: ErrorCode::Unauthenticated,
            message: error.to_string(),
        };
        let _ = write_frame(&mut send, &msg, shared.max_frame).await;
        let _ = send.finish();
        return Err(refused("bad auth signature"));
    }
    write_frame(&mut send, &RelayMsg::Ok, shared.max_frame).await?;
    let _ = send.finish();
    Ok(Session { shared, device })
}

async fn handle_stream(session: Arc<Session>, mut send: quinn::SendStream, mut recv: quinn::RecvStream) {
    let mut reader = FrameReader::new(session.shared.max_frame);
    let result = match read_frame::<_, ClientMsg>(&mut recv, &mut reader).await {
        Ok(Some(msg)) => handle_request(&session, msg, &mut send).await,
        Ok(None) => return,
        Err(error) => Err(RequestError::from(error)),
    };
    if let Err(error) = result {
        tracing::info!(device = %session.device, %error, "request refused");
        let _ = write_frame(&mut send, &error.to_msg(), session.shared.max_frame).await;
    }
    let _ = send.finish();
}

async fn handle_request(
    session: &Session,
    msg: ClientMsg,
    send: &mut quinn::SendStream,
) -> Result<(), RequestError> {
    let max = session.shared.max_frame;
    match msg {
        ClientMsg::Hello | ClientMsg::Auth { .. } => Err(RequestError::Refused(
            ErrorCode::BadRequest,
            "already authenticated".into(),
        )),
        ClientMsg::Push { records } => {
            let results = push(session, records).await?;
            write_frame(send, &RelayMsg::PushAck { results }, max).await?;
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
            write_frame(send, &RelayMsg::Missing { ids: missing }, max).await?;
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
            session
                .shared
                .blobs
                .put(&space, &id, &bytes)
                .await
                .map_err(|e| RequestError::Refused(ErrorCode::BadRequest, e.to_string()))?;
            write_frame(send, &RelayMsg::Ok, max).await?;
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
                    write_frame(send, &RelayMsg::BallotAck { seq }, max).await?;
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
            write_frame(send, &RelayMsg::Chunk { bytes }, max).await?;
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
    // The store answers one verdict per accepted record, in order: slot them back in.
    let mut stored = session.shared.store.append(accepted).await?.into_iter();
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
    let max = session.shared.max_frame;
    // Listen before reading the backlog so nothing appended in between is missed.
    let mut live = session.shared.store.subscribe();
    let mut last = catch_up(session, &space, after, send).await?;
    write_frame(send, &RelayMsg::CaughtUp { seq: last }, max).await?;
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
        send_entries(send, batch, max).await?;
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
        send_entries(send, page, session.shared.max_frame).await?;
        if !full {
            return Ok(after);
        }
    }
}

/// Sends entries in as few frames as the frame limit allows.
async fn send_entries(
    send: &mut quinn::SendStream,
    entries: Vec<LogEntry>,
    max: usize,
) -> Result<(), RequestError> {
    // Leave room for the message's own encoding around the entries.
    let budget = max / 2;
    let mut frame: Vec<LogEntry> = Vec::new();
    let mut size = 0;
    for entry in entries {
        let len = entry.record.bytes().len();
        if !frame.is_empty() && size + len > budget {
            write_frame(
                send,
                &RelayMsg::Entries {
                    entries: std::mem::take(&mut frame),
                },
                max,
            )
            .await?;
            size = 0;
        }
        size += len + 16;
        frame.push(entry);
    }
    if !frame.is_empty() {
        write_frame(send, &RelayMsg::Entries { entries: frame }, max).await?;
    }
    Ok(())
}
