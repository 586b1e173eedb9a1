//! Messages between a client and a relay.
//!
//! A client opens one QUIC connection. On its first bidirectional stream it says
//! [`ClientMsg::Hello`], the relay sends a [`RelayMsg::Challenge`]; the client answers
//! [`ClientMsg::Auth`], signing
//! [`auth_message`] which binds the challenge to this TLS session. Every later request
//! opens its own bidirectional stream: one request frame, then one or more replies.
//! A [`ClientMsg::Subscribe`] stream stays open and receives live entries.

use serde::{Deserialize, Serialize};

use crate::ids::{DeviceId, EntryId, SpaceId};

/// The label for TLS keying material that binds signatures to one connection.
pub const TLS_BINDING_LABEL: &[u8] = b"EXPORTER-bastide/1 channel binding";

/// What a device signs to authenticate: the relay's challenge bound to the TLS session.
pub fn auth_message(challenge: &[u8; 32], tls_binding: &[u8; 32]) -> Vec<u8> {
    [b"bastide/1 auth\0".as_slice(), challenge, tls_binding].concat()
}

/// What the space access key signs to let `device` into `space` on this connection.
pub fn access_message(space: &SpaceId, device: &DeviceId, tls_binding: &[u8; 32]) -> Vec<u8> {
    [b"bastide/1 access\0".as_slice(), &space.0, &device.0, tls_binding].concat()
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
    /// Registers a new space, or joins one, proving knowledge of its key: `signature` is
    /// the space access key's signature of [`access_message`]. The first device to
    /// present a space creates it with `access` as its access key.
    Enter {
        /// The space.
        space: SpaceId,
        /// The space's public access key.
        access: [u8; 32],
        /// Signature of [`access_message`] by the access key.
        signature: Vec<u8>,
    },
    /// Appends entries (encoded [`crate::Entry`] bytes) to their spaces' logs.
    Push {
        /// The encoded entries.
        entries: Vec<Vec<u8>>,
    },
    /// Sends every entry of `space` after sequence `after`, then live entries.
    Subscribe {
        /// The space.
        space: SpaceId,
        /// The last sequence number the client has.
        after: u64,
    },
}

/// The relay's verdict on one pushed entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushResult {
    /// Stored (now or before) at this sequence number.
    Stored {
        /// The entry.
        id: EntryId,
        /// Its place in the space's log.
        seq: u64,
    },
    /// Refused; retrying will not help.
    Refused {
        /// The entry.
        id: EntryId,
        /// Why.
        reason: String,
    },
}

/// One entry of a space's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Its sequence number in the space's log, from 1.
    pub seq: u64,
    /// The encoded entry.
    pub bytes: Vec<u8>,
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
    /// Verdicts for a push, in the order of the entries.
    PushAck {
        /// One per pushed entry.
        results: Vec<PushResult>,
    },
    /// Entries of a subscribed space, in sequence order.
    Entries {
        /// The entries.
        entries: Vec<LogEntry>,
    },
    /// Everything up to `seq` has been sent; live entries follow.
    CaughtUp {
        /// The last sequence number of the log at that moment.
        seq: u64,
    },
    /// The request failed.
    Error {
        /// The class of error.
        code: ErrorCode,
        /// A technical explanation, in English.
        message: String,
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
                entries: vec![vec![1, 2, 3], vec![]],
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

    #[test]
    fn bindings_differ_per_purpose() {
        let nonce = [7u8; 32];
        let binding = [9u8; 32];
        let device = DeviceId([1; 32]);
        let space = SpaceId([2; 16]);
        assert_ne!(
            auth_message(&nonce, &binding),
            access_message(&space, &device, &binding)
        );
    }
}
