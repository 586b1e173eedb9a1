//! Identifiers: spaces, items, devices and entries.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An identifier that could not be parsed from its text form.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid {kind} id {text:?}: expected {len} hexadecimal characters")]
pub struct IdError {
    /// What kind of id was expected.
    pub kind: &'static str,
    /// The text that was given.
    pub text: String,
    /// The expected number of hex characters.
    pub len: usize,
}

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident, $len:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                let err = || IdError { kind: $kind, text: s.to_owned(), len: $len * 2 };
                let bytes = hex::decode(s.trim()).map_err(|_| err())?;
                let bytes: [u8; $len] = bytes.try_into().map_err(|_| err())?;
                Ok(Self(bytes))
            }
        }
    };
}

hex_id!(
    /// A space (one extranet): 16 random bytes.
    SpaceId, 16, "space"
);
hex_id!(
    /// An item (one Automerge document): 16 random bytes.
    ItemId, 16, "item"
);
hex_id!(
    /// A device: its Ed25519 public key.
    DeviceId, 32, "device"
);
hex_id!(
    /// An entry: the BLAKE3 hash of its encoded bytes.
    EntryId, 32, "entry"
);
hex_id!(
    /// A person in a space (with one or more devices): 16 random bytes.
    MemberId, 16, "member"
);
hex_id!(
    /// A membership operation: the BLAKE3 hash of its encoded bytes.
    OpId, 32, "operation"
);

/// Which space key sealed an entry or a key share: a random number chosen by the
/// member who made the key. Keys are ordered by the membership log, not by this id, so
/// two admins rotating the key while both offline never mint the same id twice (short
/// of a 1 in 2^32 chance, which the log rejects).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeyId(pub u32);

impl KeyId {
    /// A new random key id.
    pub fn random() -> Self {
        Self(u32::from_le_bytes(crate::random_bytes()))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl SpaceId {
    /// A new random space id.
    pub fn random() -> Self {
        Self(crate::random_bytes())
    }
}

impl ItemId {
    /// A new random item id.
    pub fn random() -> Self {
        Self(crate::random_bytes())
    }
}

impl MemberId {
    /// A new random member id.
    pub fn random() -> Self {
        Self(crate::random_bytes())
    }
}

impl EntryId {
    /// The id of an entry's encoded bytes.
    pub fn of(bytes: &[u8]) -> Self {
        Self(*blake3::hash(bytes).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = SpaceId::random();
        assert_eq!(id.to_string().parse::<SpaceId>(), Ok(id));
    }

    #[test]
    fn malformed_ids_are_refused() {
        assert!("xyz".parse::<ItemId>().is_err(), "not hex");
        assert!("abcd".parse::<ItemId>().is_err(), "too short");
        let long = "00".repeat(17);
        assert!(long.parse::<ItemId>().is_err(), "too long");
    }
}
