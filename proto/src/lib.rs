//! The Bastide wire format, shared by the desktop client and the relay.
//!
//! Everything here is pure: no sockets, no clock, no files. The model:
//!
//! - a **device** holds an Ed25519 [`DeviceKey`]; its public half is its [`DeviceId`];
//! - a **space** has a symmetric [`SpaceKey`] that only its members know;
//! - every change to an item travels as an [`Entry`]: a signed header (space, item,
//!   kind, key id, author) and a body sealed with XChaCha20-Poly1305 under the space key.
//!   The relay can check who wrote an entry and for which space, never what it says;
//! - messages between client and relay ([`wire`]) travel as length-prefixed
//!   [`frame`]s with a size limit.
//!
//! ```
//! use bastide_proto::{DeviceKey, EntryKind, ItemId, KeyId, SpaceId, SpaceKey, Entry};
//!
//! let alice = DeviceKey::generate();
//! let key = SpaceKey::generate();
//! let space = SpaceId::random();
//! let item = ItemId::random();
//!
//! let entry = Entry::seal(&alice, space, item, EntryKind::Change, KeyId(0), &key, b"hello").unwrap();
//! let bytes = entry.to_bytes();
//!
//! // The relay can verify the author without the key...
//! let received = Entry::from_bytes(&bytes).unwrap();
//! received.verify().unwrap();
//! assert_eq!(received.header.author, alice.device_id());
//! // ...and only a member can read the body.
//! assert_eq!(received.open(&key).unwrap(), b"hello");
//! assert!(received.open(&SpaceKey::generate()).is_err());
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod ballot;
pub mod entry;
pub mod file;
pub mod frame;
pub mod identity;
pub mod ids;
#[cfg(feature = "io")]
pub mod io;
pub mod keyshare;
pub mod membership;
pub mod relay_addr;
pub mod wire;

pub use entry::{Entry, EntryError, EntryHeader, EntryKind, SpaceKey};
pub use frame::{FrameError, FrameReader, MAX_FRAME_LEN};
pub use identity::{DeviceKey, SignatureError};
pub use ids::{DeviceId, EntryId, IdError, ItemId, KeyId, MemberId, OpId, SpaceId};
pub use keyshare::{KeyShare, KeyShareError};
pub use relay_addr::{RelayAddr, RelayAddrError};

/// The ALPN protocol name clients and relays speak.
pub const ALPN: &[u8] = b"bastide/1";

/// Fills `buf` with bytes from the operating system's random source.
///
/// # Panics
/// When the OS has no random source at all, which no supported platform lacks.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("the operating system provides randomness");
    buf
}
