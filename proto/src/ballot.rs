//! Poll ballots: votes that travel through the relay, which sees who votes but never
//! what, and forwards each ballot without the voter's identity.
//!
//! A voter seals a [`BallotBody`] under the space key and sends it with
//! [`crate::wire::ClientMsg::CastBallot`]. The relay checks the device belongs to a
//! member of the space (any role: readers vote too), keeps one current ballot per
//! member and poll, and appends a [`BallotRecord`] to the space's log: the poll, the
//! sealed body and the sequence number of the ballot it replaces (that member's
//! previous one), and nothing about the voter. Members count the ballots no later one
//! replaces.
//!
//! In an anonymous poll the body names nobody. In a named poll it carries the voter's
//! member id and device signature, checked by every member against the membership log.
//! Bodies are padded to a multiple of [`PAD`] bytes, so their length does not tell
//! choices apart.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

use crate::entry::SpaceKey;
use crate::identity::DeviceKey;
use crate::ids::{DeviceId, ItemId, KeyId, MemberId, SpaceId};

/// Sealed bodies are padded to a multiple of this many bytes.
pub const PAD: usize = 256;
/// Largest sealed body a relay accepts.
pub const MAX_SEALED: usize = 16 * 1024;

/// A ballot as the space's log holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotRecord {
    /// The poll (an item of the space).
    pub poll: ItemId,
    /// The space key the body is sealed under.
    pub key: KeyId,
    /// The sequence number of the same member's previous ballot for this poll, which
    /// this one replaces; 0 for a first vote.
    pub replaces: u64,
    /// The sealed [`BallotBody`].
    pub sealed: Vec<u8>,
}

impl BallotRecord {
    /// The record's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads a record.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BallotError> {
        postcard::from_bytes(bytes).map_err(|_| BallotError::Malformed)
    }
}

/// What a vote says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotBody {
    /// The poll.
    pub poll: ItemId,
    /// The options chosen, by index (in order of preference for a ranking).
    pub choices: Vec<u16>,
    /// A free-text answer.
    pub text: String,
    /// When the voter cast it (RFC 3339, UTC), by the voter's clock: a ballot cast
    /// before the poll closed counts when it arrives.
    pub cast_at: String,
    /// Who votes, in a named poll; nobody in an anonymous one.
    pub voter: Option<Voter>,
}

/// The voter of a named poll.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voter {
    /// The member.
    pub member: MemberId,
    /// The device that cast the ballot.
    pub device: DeviceId,
    /// The device's signature of [`BallotBody::signed_message`].
    pub signature: Vec<u8>,
}

/// A ballot cannot be read or does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BallotError {
    /// The bytes are not a ballot.
    #[error("malformed ballot")]
    Malformed,
    /// The body does not decrypt under the key.
    #[error("ballot does not decrypt")]
    Sealed,
    /// The body is for another poll than its record says.
    #[error("ballot for another poll")]
    WrongPoll,
    /// The voter's signature does not verify.
    #[error("ballot signature does not verify")]
    BadSignature,
}

impl BallotBody {
    /// What a named voter signs: the space, the poll, the choices, the text and the
    /// time, so a ballot cannot be replayed into another poll or space.
    pub fn signed_message(&self, space: SpaceId) -> Vec<u8> {
        let unsigned = (
            b"bastide/1 ballot\0",
            space,
            self.poll,
            &self.choices,
            &self.text,
            &self.cast_at,
        );
        postcard::to_allocvec(&unsigned).unwrap_or_default()
    }

    /// Signs the body as `member` with `device`.
    pub fn sign(mut self, space: SpaceId, member: MemberId, device: &DeviceKey) -> Self {
        let signature = device.sign(&self.signed_message(space)).to_vec();
        self.voter = Some(Voter {
            member,
            device: device.device_id(),
            signature,
        });
        self
    }

    /// Checks the voter's signature, if the body names one.
    pub fn verify(&self, space: SpaceId) -> Result<(), BallotError> {
        match &self.voter {
            None => Ok(()),
            Some(voter) => voter
                .device
                .verify(&self.signed_message(space), &voter.signature)
                .map_err(|_| BallotError::BadSignature),
        }
    }

    /// Seals the body under the space key, padded to a multiple of [`PAD`].
    pub fn seal(&self, space: SpaceId, key_id: KeyId, key: &SpaceKey) -> Result<Vec<u8>, BallotError> {
        let body = postcard::to_allocvec(self).map_err(|_| BallotError::Malformed)?;
        let len = u32::try_from(body.len()).map_err(|_| BallotError::Malformed)?;
        let mut plain = len.to_le_bytes().to_vec();
        plain.extend_from_slice(&body);
        plain.resize(plain.len().div_ceil(PAD) * PAD, 0);
        let nonce: [u8; 24] = crate::random_bytes();
        let sealed = cipher(key)
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &aad(space, self.poll, key_id),
                },
            )
            .map_err(|_| BallotError::Sealed)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// Opens a sealed body for `poll`.
    pub fn open(
        space: SpaceId,
        poll: ItemId,
        key_id: KeyId,
        key: &SpaceKey,
        sealed: &[u8],
    ) -> Result<Self, BallotError> {
        if sealed.len() < 24 {
            return Err(BallotError::Malformed);
        }
        let (nonce, sealed) = sealed.split_at(24);
        let plain = cipher(key)
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad(space, poll, key_id),
                },
            )
            .map_err(|_| BallotError::Sealed)?;
        let len_bytes: [u8; 4] = plain
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or(BallotError::Malformed)?;
        let len = usize::try_from(u32::from_le_bytes(len_bytes)).map_err(|_| BallotError::Malformed)?;
        let body = plain.get(4..4 + len).ok_or(BallotError::Malformed)?;
        let body: Self = postcard::from_bytes(body).map_err(|_| BallotError::Malformed)?;
        if body.poll != poll {
            return Err(BallotError::WrongPoll);
        }
        Ok(body)
    }
}

fn cipher(key: &SpaceKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new((&key.0).into())
}

fn aad(space: SpaceId, poll: ItemId, key: KeyId) -> Vec<u8> {
    [
        b"bastide/1 ballot\0".as_slice(),
        space.as_bytes(),
        poll.as_bytes(),
        &key.0.to_le_bytes(),
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(poll: ItemId, choices: Vec<u16>, text: &str) -> BallotBody {
        BallotBody {
            poll,
            choices,
            text: text.into(),
            cast_at: "2027-01-12T10:00:00.000000Z".into(),
            voter: None,
        }
    }

    #[test]
    fn a_sealed_ballot_opens_only_with_its_key_space_and_poll() {
        let (space, poll, key) = (SpaceId::random(), ItemId::random(), SpaceKey::generate());
        let ballot = body(poll, vec![2], "");
        let sealed = ballot.seal(space, KeyId(1), &key).unwrap();
        assert_eq!(
            BallotBody::open(space, poll, KeyId(1), &key, &sealed).unwrap(),
            ballot
        );
        assert!(BallotBody::open(space, poll, KeyId(1), &SpaceKey::generate(), &sealed).is_err());
        assert!(BallotBody::open(SpaceId::random(), poll, KeyId(1), &key, &sealed).is_err());
        assert!(BallotBody::open(space, ItemId::random(), KeyId(1), &key, &sealed).is_err());
        assert!(BallotBody::open(space, poll, KeyId(2), &key, &sealed).is_err());
    }

    #[test]
    fn sealed_ballots_of_different_choices_have_the_same_length() {
        let (space, poll, key) = (SpaceId::random(), ItemId::random(), SpaceKey::generate());
        let lengths: Vec<usize> = [vec![], vec![0], vec![3, 1, 0, 2], vec![65535]]
            .into_iter()
            .map(|choices| body(poll, choices, "").seal(space, KeyId(1), &key).unwrap().len())
            .collect();
        assert!(lengths.windows(2).all(|w| w[0] == w[1]), "{lengths:?}");
    }

    #[test]
    fn a_named_ballot_verifies_and_a_changed_one_does_not() {
        let (space, poll) = (SpaceId::random(), ItemId::random());
        let device = DeviceKey::generate();
        let signed = body(poll, vec![1], "").sign(space, MemberId::random(), &device);
        signed.verify(space).unwrap();
        assert_eq!(signed.verify(SpaceId::random()), Err(BallotError::BadSignature));
        let mut changed = signed.clone();
        changed.choices = vec![0];
        assert_eq!(changed.verify(space), Err(BallotError::BadSignature));
    }

    #[test]
    fn records_round_trip() {
        let record = BallotRecord {
            poll: ItemId::random(),
            key: KeyId(7),
            replaces: 12,
            sealed: vec![1, 2, 3],
        };
        assert_eq!(BallotRecord::from_bytes(&record.to_bytes()).unwrap(), record);
        assert_eq!(BallotRecord::from_bytes(&[0xff; 3]), Err(BallotError::Malformed));
    }
}
