//! Entries: one change to one item, signed by its author and sealed for the space.
//!
//! Byte layout (version 1), all integers little-endian:
//!
//! ```text
//! header:  version u8 | space [16] | item [16] | kind u8 | key id u32 | author [32]
//! body:    nonce [24] | ciphertext length u32 | ciphertext (XChaCha20-Poly1305, header as AAD)
//! trailer: signature [64] (Ed25519 by `author` over header and body)
//! ```
//!
//! The relay reads the header and checks the signature; only holders of the space key
//! can open the body. The entry id is the BLAKE3 hash of these bytes, so pushing the
//! same entry twice is recognisable and harmless.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::identity::{DeviceKey, SignatureError};
use crate::ids::{DeviceId, EntryId, ItemId, KeyId, SpaceId};

const VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 16 + 16 + 1 + 4 + 32;
const NONCE_LEN: usize = 24;
const SIGNATURE_LEN: usize = 64;
/// Bytes an entry adds around its ciphertext.
pub const ENTRY_OVERHEAD: usize = HEADER_LEN + NONCE_LEN + 4 + SIGNATURE_LEN;

/// A space's symmetric key (one of the series the membership log introduces).
#[derive(Clone, PartialEq, Eq)]
pub struct SpaceKey(pub [u8; 32]);

impl SpaceKey {
    /// A new random key.
    pub fn generate() -> Self {
        Self(crate::random_bytes())
    }
}

impl std::fmt::Debug for SpaceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SpaceKey(..)")
    }
}

/// What an entry carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum EntryKind {
    /// Automerge changes to apply to the item.
    Change = 1,
    /// Automerge changes to a comment: the one kind of entry a reader may push, which
    /// clients accept only as a comment by that reader.
    Comment = 2,
}

impl TryFrom<u8> for EntryKind {
    type Error = EntryError;
    fn try_from(value: u8) -> Result<Self, EntryError> {
        match value {
            1 => Ok(Self::Change),
            2 => Ok(Self::Comment),
            other => Err(EntryError::UnknownKind(other)),
        }
    }
}

/// Why an entry was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EntryError {
    /// The bytes end before the entry does, or go on after it.
    #[error("malformed entry: {0}")]
    Malformed(&'static str),
    /// A format version this build does not know.
    #[error("unsupported entry version {0}")]
    UnsupportedVersion(u8),
    /// An entry kind this build does not know.
    #[error("unknown entry kind {0}")]
    UnknownKind(u8),
    /// The author's signature does not verify.
    #[error("bad entry signature: {0}")]
    BadSignature(#[from] SignatureError),
    /// The body does not open with the given key: wrong key or tampered ciphertext.
    #[error("entry body does not decrypt (wrong key or tampered)")]
    Decrypt,
    /// Encryption failed (never expected with a valid key).
    #[error("entry body could not be encrypted")]
    Encrypt,
}

/// The signed, cleartext part of an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryHeader {
    /// The space the entry belongs to.
    pub space: SpaceId,
    /// The item it changes.
    pub item: ItemId,
    /// What it carries.
    pub kind: EntryKind,
    /// The space key its body is sealed under.
    pub key: KeyId,
    /// The device that wrote and signed it.
    pub author: DeviceId,
}

impl EntryHeader {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(VERSION);
        out.extend_from_slice(&self.space.0);
        out.extend_from_slice(&self.item.0);
        out.push(self.kind as u8);
        out.extend_from_slice(&self.key.0.to_le_bytes());
        out.extend_from_slice(&self.author.0);
    }
}

/// One sealed, signed change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Who, where, what kind: readable by the relay.
    pub header: EntryHeader,
    /// The XChaCha20 nonce, random per entry.
    pub nonce: [u8; NONCE_LEN],
    /// The sealed body.
    pub ciphertext: Vec<u8>,
    /// The author's Ed25519 signature over everything before it.
    pub signature: [u8; SIGNATURE_LEN],
}

impl Entry {
    /// Seals `plaintext` under `key` and signs the result as `author`.
    pub fn seal(
        author: &DeviceKey,
        space: SpaceId,
        item: ItemId,
        kind: EntryKind,
        key_id: KeyId,
        key: &SpaceKey,
        plaintext: &[u8],
    ) -> Result<Self, EntryError> {
        let header = EntryHeader {
            space,
            item,
            kind,
            key: key_id,
            author: author.device_id(),
        };
        let mut aad = Vec::with_capacity(HEADER_LEN);
        header.encode(&mut aad);
        let nonce: [u8; NONCE_LEN] = crate::random_bytes();
        let cipher = XChaCha20Poly1305::new((&key.0).into());
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| EntryError::Encrypt)?;
        let mut entry = Self {
            header,
            nonce,
            ciphertext,
            signature: [0; SIGNATURE_LEN],
        };
        entry.signature = author.sign(&entry.signed_bytes());
        Ok(entry)
    }

    /// The bytes the signature covers.
    fn signed_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ENTRY_OVERHEAD + self.ciphertext.len());
        self.header.encode(&mut out);
        out.extend_from_slice(&self.nonce);
        // A ciphertext over 4 GiB cannot be framed anyway; saturate rather than wrap.
        let len = u32::try_from(self.ciphertext.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// The encoded entry.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.signed_bytes();
        out.extend_from_slice(&self.signature);
        out
    }

    /// The entry's id: the hash of its encoded bytes.
    pub fn id(&self) -> EntryId {
        EntryId::of(&self.to_bytes())
    }

    /// Decodes an entry. Does not check the signature: call [`Entry::verify`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EntryError> {
        let mut r = Reader(bytes);
        let version = r.u8()?;
        if version != VERSION {
            return Err(EntryError::UnsupportedVersion(version));
        }
        let space = SpaceId(r.array()?);
        let item = ItemId(r.array()?);
        let kind = EntryKind::try_from(r.u8()?)?;
        let key = KeyId(u32::from_le_bytes(r.array()?));
        let author = DeviceId(r.array()?);
        let nonce = r.array()?;
        let len = u32::from_le_bytes(r.array()?) as usize;
        let ciphertext = r.take(len)?.to_vec();
        let signature = r.array()?;
        if !r.0.is_empty() {
            return Err(EntryError::Malformed("trailing bytes"));
        }
        Ok(Self {
            header: EntryHeader {
                space,
                item,
                kind,
                key,
                author,
            },
            nonce,
            ciphertext,
            signature,
        })
    }

    /// Checks the author's signature.
    pub fn verify(&self) -> Result<(), EntryError> {
        self.header
            .author
            .verify(&self.signed_bytes(), &self.signature)
            .map_err(EntryError::from)
    }

    /// Checks the signature, then opens the body with `key`.
    pub fn open(&self, key: &SpaceKey) -> Result<Vec<u8>, EntryError> {
        self.verify()?;
        let mut aad = Vec::with_capacity(HEADER_LEN);
        self.header.encode(&mut aad);
        let cipher = XChaCha20Poly1305::new((&key.0).into());
        cipher
            .decrypt(
                XNonce::from_slice(&self.nonce),
                Payload {
                    msg: &self.ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| EntryError::Decrypt)
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EntryError> {
        if self.0.len() < n {
            return Err(EntryError::Malformed("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, EntryError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], EntryError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(key: &SpaceKey) -> (DeviceKey, Entry) {
        let author = DeviceKey::generate();
        let entry = Entry::seal(
            &author,
            SpaceId::random(),
            ItemId::random(),
            EntryKind::Change,
            KeyId(0),
            key,
            b"Conseil communautaire",
        )
        .unwrap();
        (author, entry)
    }

    #[test]
    fn seal_then_open_round_trips_through_bytes() {
        let key = SpaceKey::generate();
        let (author, entry) = sample(&key);
        let decoded = Entry::from_bytes(&entry.to_bytes()).unwrap();
        assert_eq!(decoded, entry);
        assert_eq!(decoded.header.author, author.device_id());
        assert_eq!(decoded.open(&key).unwrap(), b"Conseil communautaire");
        assert_eq!(entry.to_bytes().len(), ENTRY_OVERHEAD + entry.ciphertext.len());
    }

    #[test]
    fn the_body_is_not_in_the_clear() {
        let key = SpaceKey::generate();
        let (_, entry) = sample(&key);
        let bytes = entry.to_bytes();
        assert!(
            !bytes.windows(7).any(|w| w == b"Conseil"),
            "the relay must never see the plaintext"
        );
    }

    #[test]
    fn a_wrong_key_cannot_open() {
        let key = SpaceKey::generate();
        let (_, entry) = sample(&key);
        assert_eq!(entry.open(&SpaceKey::generate()), Err(EntryError::Decrypt));
    }

    #[test]
    fn tampered_ciphertext_is_refused() {
        let key = SpaceKey::generate();
        let (author, mut entry) = sample(&key);
        entry.ciphertext[0] ^= 1;
        // As sent by a relay that flipped a bit: the signature no longer verifies.
        assert!(matches!(entry.verify(), Err(EntryError::BadSignature(_))));
        // Even re-signed by the author (say, a buggy client), the AEAD refuses it.
        entry.signature = author.sign(&entry.signed_bytes());
        assert_eq!(entry.open(&key), Err(EntryError::Decrypt));
    }

    #[test]
    fn a_forged_signature_is_refused() {
        let key = SpaceKey::generate();
        let (_, mut entry) = sample(&key);
        let mallory = DeviceKey::generate();
        // Mallory signs an entry claiming to be the author.
        entry.signature = mallory.sign(&entry.signed_bytes());
        assert_eq!(
            entry.verify(),
            Err(EntryError::BadSignature(SignatureError::Mismatch))
        );
        assert!(entry.open(&key).is_err());
    }

    #[test]
    fn a_changed_header_is_refused() {
        let key = SpaceKey::generate();
        let (_, mut entry) = sample(&key);
        entry.header.item = ItemId::random();
        assert!(
            entry.verify().is_err(),
            "moving an entry to another item must fail"
        );
    }

    #[test]
    fn truncated_and_padded_bytes_are_malformed() {
        let key = SpaceKey::generate();
        let (_, entry) = sample(&key);
        let bytes = entry.to_bytes();
        assert_eq!(
            Entry::from_bytes(&bytes[..bytes.len() - 1]),
            Err(EntryError::Malformed("truncated"))
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            Entry::from_bytes(&longer),
            Err(EntryError::Malformed("trailing bytes"))
        );
        let mut other_version = bytes;
        other_version[0] = 9;
        assert_eq!(
            Entry::from_bytes(&other_version),
            Err(EntryError::UnsupportedVersion(9))
        );
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = Entry::from_bytes(&bytes);
        }
    }
}
