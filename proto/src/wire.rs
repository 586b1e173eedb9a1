//! Messages between a client and a relay.
//!
//! A client opens one QUIC connection. On its first bidirectional stream it says
//! [`ClientMsg::Hello`], the relay sends a [`RelayMsg::Challenge`]; the client answers
//! [`ClientMsg::Auth`], signing
//! [`auth_message`] which binds the challenge to this TLS session. Every later request
//! opens its own bidirectional stream: one request frame, then one or more replies.
//! A [`ClientMsg::Subscribe`] stream stays open and receives live records.
//!
//! A space's log holds two kinds of [`Record`]: sealed entries (item changes) and
//! membership operations, in one sequence. A client judges an entry by the membership
//! the operations before it in that sequence describe, exactly as the relay did when it
//! accepted the entry.

use serde::{Deserialize, Serialize};

use crate::ids::{DeviceId, EntryId, ItemId, KeyId, SpaceId};
use crate::membership::Rejection;

/// The label for TLS keying material that binds signatures to one connection.
pub const TLS_BINDING_LABEL: &[u8] = b"EXPORTER-bastide/1 channel binding";

/// What a device signs to authenticate: the relay's challenge bound to the TLS session.
pub fn auth_message(challenge: &[u8; 32], tls_binding: &[u8; 32]) -> Vec<u8> {
    [b"bastide/1 auth\0".as_slice(), challenge, tls_binding].concat()
}

/// One record of a space's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    /// An encoded [`crate::Entry`].
    Entry(Vec<u8>),
    /// An encoded [`crate::membership::Op`].
    Op(Vec<u8>),
    /// An encoded [`crate::ballot::BallotRecord`]: a vote the relay appended without
    /// its voter's identity.
    Ballot(Vec<u8>),
}

impl Record {
    /// The encoded bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Self::Entry(b) | Self::Op(b) | Self::Ballot(b) => b,
        }
    }

    /// The record's id: the hash of its bytes (for an op, its [`crate::OpId`]).
    pub fn id(&self) -> EntryId {
        EntryId::of(self.bytes())
    }
}

/// A message from a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientMsg {
    /// Opens the authentication stream; the relay answers with a challenge.
    Hello,
    /// Answer to the challenge.
    Auth {
        /// The device authenticating.
        device: DeviceId,
        /// Its signature of [`auth_message`].
        signature: Vec<u8>,
    },
    /// Appends records to their spaces' logs, in order. A genesis op creates its space.
    Push {
        /// The records.
        records: Vec<Record>,
    },
    /// Sends every record of `space` after sequence `after`, then live ones.
    Subscribe {
        /// The space.
        space: SpaceId,
        /// The last sequence number the client has.
        after: u64,
    },
    /// Which of these file chunks of `space` the relay lacks ([`RelayMsg::Missing`]).
    HasChunks {
        /// The space.
        space: SpaceId,
        /// Chunk ids: BLAKE3 of each encrypted chunk.
        ids: Vec<[u8; 32]>,
    },
    /// Stores an encrypted file chunk; its id must be the BLAKE3 of `bytes`.
    PutChunk {
        /// The space.
        space: SpaceId,
        /// The chunk id.
        id: [u8; 32],
        /// The encrypted chunk.
        bytes: Vec<u8>,
    },
    /// Sends an encrypted file chunk ([`RelayMsg::Chunk`]).
    GetChunk {
        /// The space.
        space: SpaceId,
        /// The chunk id.
        id: [u8; 32],
    },
    /// Casts (or replaces) this member's ballot in a poll of `space`; the relay
    /// appends it to the log without the voter ([`RelayMsg::BallotAck`]).
    CastBallot {
        /// The space.
        space: SpaceId,
        /// The poll.
        poll: ItemId,
        /// The space key the body is sealed under.
        key: KeyId,
        /// The sealed [`crate::ballot::BallotBody`].
        sealed: Vec<u8>,
    },
    /// Presents an operator's admission token: on a relay that is not open to all,
    /// creating a space needs one. Answered [`RelayMsg::Ok`], or an error with
    /// [`ErrorCode::TokenRefused`].
    Admit {
        /// The token, as `bastide-relay token create` printed it.
        token: String,
    },
    /// The ids of the records of `space` at these sequence numbers
    /// ([`RelayMsg::RecordIds`]): a client compares them with what it applied, to
    /// notice a relay restored from an older backup. At most [`MAX_RECORD_IDS`].
    RecordIds {
        /// The space.
        space: SpaceId,
        /// Sequence numbers.
        seqs: Vec<u64>,
    },
}

/// Most sequence numbers one [`ClientMsg::RecordIds`] may ask about.
pub const MAX_RECORD_IDS: usize = 256;

/// Largest record (entry or op) a relay stores. Whatever it stores it must be able to
/// serve: a record travels back in a [`RelayMsg::Entries`] frame with its sequence
/// number and the message's own encoding around it, which this margin leaves room
/// for, so no stored record can break the catch-up of its space.
pub const MAX_RECORD_LEN: usize = crate::MAX_FRAME_LEN - 64;

/// Largest file chunk a relay accepts: files travel in chunks of at most this size,
/// so neither side holds a whole file in memory.
pub const MAX_CHUNK: usize = 4 * 1024 * 1024;

/// Why the relay refused a pushed record, for the client to tell its user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// The bytes are not a record.
    Malformed,
    /// The signature does not verify.
    BadSignature,
    /// An entry pushed by another device than its author.
    NotAuthor,
    /// No such space on this relay (its genesis was never pushed).
    UnknownSpace,
    /// A genesis for a space that exists already.
    SpaceExists,
    /// The author is not (or no longer) a member of the space.
    NotMember,
    /// The author's role does not allow it (a reader writing).
    NotAllowed,
    /// An op naming parents the relay does not have.
    UnknownParent,
    /// The invitation expired (by the relay's clock).
    InvitationExpired,
    /// Replay of the membership log rejects the op.
    Membership(Rejection),
}

/// The relay's verdict on one pushed record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushResult {
    /// Stored (now or before) at this sequence number.
    Stored {
        /// The record.
        id: EntryId,
        /// Its place in the space's log.
        seq: u64,
    },
    /// Refused; retrying will not help.
    Refused {
        /// The record.
        id: EntryId,
        /// Why, for the client to branch on.
        refusal: Refusal,
        /// Why, in English, for logs.
        reason: String,
    },
}

/// One record of a space's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Its sequence number in the space's log, from 1.
    pub seq: u64,
    /// The record.
    pub record: Record,
}

/// Error classes a relay reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    /// The device did not authenticate, or failed to.
    Unauthenticated,
    /// The device may not do that in that space.
    Forbidden,
    /// The request was malformed.
    BadRequest,
    /// The relay failed; try again later.
    Internal,
    /// A limit of the relay's configuration stopped the request; nothing of it was
    /// stored. Retrying later may succeed (a rate), or not until the operator raises
    /// it (a quota).
    OverLimit(Limit),
    /// Creating a space on this relay needs an operator's admission token
    /// ([`ClientMsg::Admit`]).
    TokenRequired,
    /// The admission token is unknown, used up, revoked or expired.
    TokenRefused,
}

/// The relay limits a client can run into, for the app to say which one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Limit {
    /// The space holds as many bytes (entries and files) as the relay allows a space.
    SpaceBytes,
    /// The device sent more entries per second than the relay accepts.
    EntriesPerSecond,
    /// The relay is holding as many request bytes in memory as it allows: busy.
    Buffer,
    /// The relay serves as many connections, or accepts as many new ones per
    /// second, as it allows: busy. (Said by the client, which sees its connection
    /// refused.)
    Connections,
}

/// A message from the relay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RelayMsg {
    /// Sign this, bound to the TLS session.
    Challenge {
        /// Random bytes.
        nonce: [u8; 32],
    },
    /// The request succeeded.
    Ok,
    /// Verdicts for a push, in the order of the records.
    PushAck {
        /// One per pushed record.
        results: Vec<PushResult>,
    },
    /// Records of a subscribed space, in sequence order.
    Entries {
        /// The records.
        entries: Vec<LogEntry>,
    },
    /// Everything up to `seq` has been sent; live entries follow.
    CaughtUp {
        /// The last sequence number of the log at that moment.
        seq: u64,
    },
    /// The chunks asked about that the relay does not have.
    Missing {
        /// Their ids.
        ids: Vec<[u8; 32]>,
    },
    /// A ballot is in the log at `seq`.
    BallotAck {
        /// Its place in the space's log.
        seq: u64,
    },
    /// One encrypted file chunk.
    Chunk {
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// The request failed.
    Error {
        /// The class of error.
        code: ErrorCode,
        /// A technical explanation, in English.
        message: String,
    },
    /// The ids asked for, in the order asked; `None` where the log has no such record.
    RecordIds {
        /// One per sequence number asked.
        ids: Vec<Option<EntryId>>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{FrameReader, MAX_FRAME_LEN, encode};

    #[test]
    fn messages_round_trip_through_frames() {
        let msgs = vec![
            ClientMsg::Subscribe {
                space: SpaceId::random(),
                after: 42,
            },
            ClientMsg::Push {
                records: vec![Record::Entry(vec![1, 2, 3]), Record::Op(vec![])],
            },
        ];
        let mut reader = FrameReader::new(MAX_FRAME_LEN);
        for m in &msgs {
            reader.push(&encode(m, MAX_FRAME_LEN).unwrap());
        }
        for m in msgs {
            assert_eq!(reader.next_message::<ClientMsg>().unwrap(), Some(m));
        }
    }
}
