//! The membership log of a space: who belongs, with which role and devices.
//!
//! Every change to membership is an [`Op`] signed by a device. Ops name the ops their
//! author had seen as `parents` (its causal context), but what decides is the order
//! of the relay's log: the relay judges each op against the state at its current head
//! and stores only ops that apply there, and every client replays the log in that same
//! order with the same rule. [`Membership::replay`] therefore takes ops *in log
//! order*:
//!
//! 1. an op seen before counts once;
//! 2. ops whose signature does not verify, that belong to another space, or that name
//!    a parent not seen earlier in the log, are rejected;
//! 3. each op is checked against the state built so far (is its author an admin *at
//!    that point*? is the invitation still open?) and applied, or rejected with a
//!    reason. Rejected ops change nothing.
//!
//! So an op can never change the verdict of an op before it: a removed admin, or a
//! removed device restored from a backup, cannot get back in by signing ops whose
//! parents predate the removal, however often it retries. Removal is final: the
//! removed devices' open invitations die with them, and no key is sealed to them again.
//!
//! The relay reads this log (public keys and roles, nothing secret) to decide who may
//! push and subscribe. Expiry of invitations is the relay's to enforce when a
//! [`OpBody::Redeem`] arrives, since replay must not depend on anybody's clock.
//!
//! ```
//! use bastide_proto::membership::{Membership, MemberInfo, Op, OpBody, Role};
//! use bastide_proto::{DeviceKey, KeyId, KeyShare, MemberId, SpaceId, SpaceKey};
//!
//! let space = SpaceId::random();
//! let (key_id, key) = (KeyId::random(), SpaceKey::generate());
//! let share = |to: &DeviceKey| {
//!     KeyShare::seal(space, key_id, &key, to.device_id(), &to.x25519_public()).unwrap()
//! };
//! let alice = DeviceKey::generate();
//! let genesis = Op::sign(&alice, space, vec![], OpBody::Genesis {
//!     member: MemberId::random(),
//!     info: MemberInfo::named("Alice"),
//!     device: alice.device_id(),
//!     x25519: alice.x25519_public(),
//!     new_key: key_id,
//!     shares: vec![share(&alice)],
//! });
//! let bob = DeviceKey::generate();
//! let add_bob = Op::sign(&alice, space, vec![genesis.id()], OpBody::AddMember {
//!     member: MemberId::random(),
//!     info: MemberInfo::named("Bob"),
//!     role: Role::Editor,
//!     device: bob.device_id(),
//!     x25519: bob.x25519_public(),
//!     shares: vec![share(&bob)],
//! });
//! let state = Membership::replay(space, &[genesis, add_bob]);
//! assert_eq!(state.role_of(&bob.device_id()), Some(Role::Editor));
//! assert_eq!(state.role_of(&alice.device_id()), Some(Role::Admin));
//! let bobs = state.shares_to(&bob.device_id()).next().unwrap();
//! assert_eq!(bobs.open(space, &bob).unwrap(), key);
//! ```

use serde::{Deserialize, Serialize};

use crate::identity::DeviceKey;
use crate::ids::{DeviceId, KeyId, MemberId, OpId, SpaceId};
use crate::keyshare::KeyShare;

/// The longest an invitation may be valid, in days; the relay refuses longer ones.
pub const MAX_INVITATION_DAYS: i64 = 90;

/// Largest encoded op accepted: room for a key sealed to over a thousand devices.
pub const MAX_OP_LEN: usize = 256 * 1024;

/// What a member may do in a space. Written in lowercase in text and JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads, comments, votes.
    Reader,
    /// Creates and edits.
    Editor,
    /// Approves for publication (élus).
    Validator,
    /// Manages members and settings.
    Admin,
}

impl Role {
    /// Every role, least powerful first.
    pub const ALL: [Role; 4] = [Role::Reader, Role::Editor, Role::Validator, Role::Admin];

    /// The role's name in text: `reader`, `editor`, `validator`, `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Editor => "editor",
            Self::Validator => "validator",
            Self::Admin => "admin",
        }
    }

    /// Whether the role writes items (everyone but readers).
    pub fn writes(self) -> bool {
        self != Self::Reader
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is none of `reader`, `editor`, `validator`, `admin`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown role {0:?}: expected admin, validator, editor or reader")]
pub struct UnknownRole(pub String);

impl std::str::FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, UnknownRole> {
        let wanted = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// How a person presents themself in the space.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInfo {
    /// Full name.
    pub name: String,
    /// Commune, EPCI, office...
    pub organisation: String,
    /// Function (secrétaire de mairie, maire, ...).
    pub function: String,
}

impl MemberInfo {
    /// Info with only a name.
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Self::default()
        }
    }
}

/// What an op does.
///
/// Ops that bring a device in carry key shares of the space keys so far, sealed to it;
/// ops that remove a device introduce a new key (`new_key`) sealed to everyone who
/// stays. The relay sees only sealed shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpBody {
    /// Creates the space; its author becomes the first admin. Only valid as the first op.
    Genesis {
        /// The creator.
        member: MemberId,
        /// Who they are.
        info: MemberInfo,
        /// Their device (must be the op's author).
        device: DeviceId,
        /// The device's X25519 key, for key shares.
        x25519: [u8; 32],
        /// The space's first key.
        new_key: KeyId,
        /// That key, sealed to the creator's device.
        shares: Vec<KeyShare>,
    },
    /// An admin adds a person with a role and a first device.
    AddMember {
        /// The new member.
        member: MemberId,
        /// Who they are.
        info: MemberInfo,
        /// Their role.
        role: Role,
        /// Their first device.
        device: DeviceId,
        /// Its X25519 key.
        x25519: [u8; 32],
        /// The space keys, sealed to the device.
        shares: Vec<KeyShare>,
    },
    /// A member adds another device of their own (or an admin does it for them).
    AddDevice {
        /// Whose device.
        member: MemberId,
        /// The device.
        device: DeviceId,
        /// Its X25519 key.
        x25519: [u8; 32],
        /// The space keys, sealed to the device.
        shares: Vec<KeyShare>,
    },
    /// An admin (or the device's own member) removes a device: it receives nothing new.
    RemoveDevice {
        /// The device.
        device: DeviceId,
        /// The key that replaces the current one.
        new_key: KeyId,
        /// That key, sealed to every device that stays and every open invitation.
        shares: Vec<KeyShare>,
    },
    /// An admin removes a member and every device of theirs.
    RemoveMember {
        /// The member.
        member: MemberId,
        /// The key that replaces the current one.
        new_key: KeyId,
        /// That key, sealed to every device that stays and every open invitation.
        shares: Vec<KeyShare>,
    },
    /// An admin changes a member's role.
    SetRole {
        /// The member.
        member: MemberId,
        /// The new role.
        role: Role,
    },
    /// A one-time invitation: whoever holds the secret half of `invitation` may join
    /// once. Made by an admin for a new person with `role`, or by a member for a new
    /// device of their own (`member` set; the role is then the member's). The relay
    /// refuses it after `expires` (Unix time).
    Invite {
        /// The invitation's public key.
        invitation: DeviceId,
        /// Its X25519 key, which `shares` are sealed to.
        x25519: [u8; 32],
        /// The role it grants a new person.
        role: Role,
        /// For a new device of an existing member: that member.
        member: Option<MemberId>,
        /// Unix time after which the relay refuses it.
        expires: i64,
        /// The space keys, sealed to the invitation key, so that the newcomer can
        /// read the space without the inviter being online.
        shares: Vec<KeyShare>,
    },
    /// An admin (or the member a device invitation is for) withdraws an unused
    /// invitation.
    Revoke {
        /// The invitation's public key.
        invitation: DeviceId,
    },
    /// The holder of an invitation joins. Signed by the invitation key (the op's author).
    Redeem {
        /// The new member (for a device invitation: the member it names).
        member: MemberId,
        /// Who they are (ignored for a device invitation).
        info: MemberInfo,
        /// Their device.
        device: DeviceId,
        /// Its X25519 key.
        x25519: [u8; 32],
    },
    /// An admin replaces the current key, because it reached a device that has since
    /// left (two removals made offline at the same time can cause that).
    Rekey {
        /// The new key.
        new_key: KeyId,
        /// Sealed to every device and open invitation.
        shares: Vec<KeyShare>,
    },
    /// Keys sealed to devices that lack them (a device added while another admin,
    /// offline, was replacing the key). By an admin, or by a member for their own
    /// devices.
    Share {
        /// The shares.
        shares: Vec<KeyShare>,
    },
}

impl OpBody {
    /// The key shares the op carries.
    pub fn shares(&self) -> &[KeyShare] {
        match self {
            Self::Genesis { shares, .. }
            | Self::AddMember { shares, .. }
            | Self::AddDevice { shares, .. }
            | Self::RemoveDevice { shares, .. }
            | Self::RemoveMember { shares, .. }
            | Self::Invite { shares, .. }
            | Self::Rekey { shares, .. }
            | Self::Share { shares } => shares,
            Self::SetRole { .. } | Self::Revoke { .. } | Self::Redeem { .. } => &[],
        }
    }

    /// The key the op introduces, if any.
    pub fn new_key(&self) -> Option<KeyId> {
        match self {
            Self::Genesis { new_key, .. }
            | Self::RemoveDevice { new_key, .. }
            | Self::RemoveMember { new_key, .. }
            | Self::Rekey { new_key, .. } => Some(*new_key),
            _ => None,
        }
    }
}

/// Why replay rejected an op. Rejected ops change nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Rejection {
    /// The op names another space.
    #[error("operation of another space")]
    OtherSpace,
    /// Its signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// A genesis that is not the first op.
    #[error("genesis after the start of the log")]
    LateGenesis,
    /// A genesis signed by another device than the one it makes admin.
    #[error("genesis not signed by the creator's device")]
    ForeignGenesis,
    /// The author is not (or no longer) in the space.
    #[error("author is not a member")]
    NotMember,
    /// The author is a member without the right to do this.
    #[error("author is not an admin")]
    NotAdmin,
    /// The member id is taken.
    #[error("member already known")]
    MemberExists,
    /// The device is already in the space (or was).
    #[error("device already known")]
    DeviceExists,
    /// No such member, or removed.
    #[error("no such member")]
    NoSuchMember,
    /// No such device, or removed.
    #[error("no such device")]
    NoSuchDevice,
    /// The last admin would go.
    #[error("a space keeps at least one admin")]
    LastAdmin,
    /// The invitation key is taken.
    #[error("invitation key already used")]
    InvitationKeyTaken,
    /// No invitation with that key.
    #[error("no such invitation")]
    NoSuchInvitation,
    /// The invitation was redeemed already.
    #[error("invitation already used")]
    InvitationUsed,
    /// The invitation was withdrawn.
    #[error("invitation revoked")]
    InvitationRevoked,
    /// The new key id is taken.
    #[error("key id already in use")]
    KeyExists,
    /// A share of a key the space does not have.
    #[error("share of an unknown key")]
    UnknownKey,
    /// A share for a device the op may not give keys to.
    #[error("share for a device outside the space")]
    ShareRecipient,
    /// The op names a parent the log does not hold before it.
    #[error("operation after unknown operations")]
    UnknownParent,
    /// The invitation died when the device that made it was removed (or its member
    /// lost the right to invite).
    #[error("invitation of a removed member")]
    InviterRemoved,
}

/// The signed part of an op.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Unsigned {
    space: SpaceId,
    parents: Vec<OpId>,
    author: DeviceId,
    body: OpBody,
}

/// One signed membership change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    unsigned: Unsigned,
    signature: Vec<u8>,
}

/// An op that could not be decoded, or whose signature is wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpError {
    /// The bytes are not an op.
    #[error("malformed membership operation: {0}")]
    Malformed(String),
    /// Over [`MAX_OP_LEN`].
    #[error("membership operation of {0} bytes is too large")]
    TooLarge(usize),
    /// The signature does not verify.
    #[error("bad membership operation signature: {0}")]
    BadSignature(#[from] crate::identity::SignatureError),
}

const SIGNING_CONTEXT: &[u8] = b"bastide/1 membership\0";

impl Op {
    /// Signs a new op as `author`, after `parents` (the log's heads as the author saw them).
    pub fn sign(author: &DeviceKey, space: SpaceId, mut parents: Vec<OpId>, body: OpBody) -> Self {
        parents.sort();
        parents.dedup();
        let unsigned = Unsigned {
            space,
            parents,
            author: author.device_id(),
            body,
        };
        let signature = author.sign(&signed_bytes(&unsigned)).to_vec();
        Self { unsigned, signature }
    }

    /// The encoded op.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain data into a Vec cannot fail.
        postcard::to_stdvec(self).unwrap_or_default()
    }

    /// Decodes an op; does not check its signature ([`Op::verify`] does).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, OpError> {
        if bytes.len() > MAX_OP_LEN {
            return Err(OpError::TooLarge(bytes.len()));
        }
        postcard::from_bytes(bytes).map_err(|e| OpError::Malformed(e.to_string()))
    }

    /// The op's id: the hash of its encoding.
    pub fn id(&self) -> OpId {
        OpId(*blake3::hash(&self.to_bytes()).as_bytes())
    }

    /// Checks the author's signature.
    pub fn verify(&self) -> Result<(), OpError> {
        Ok(self
            .unsigned
            .author
            .verify(&signed_bytes(&self.unsigned), &self.signature)?)
    }

    /// The space.
    pub fn space(&self) -> SpaceId {
        self.unsigned.space
    }

    /// The device that signed it (for a redeemed invitation, the invitation key).
    pub fn author(&self) -> DeviceId {
        self.unsigned.author
    }

    /// The ops it follows.
    pub fn parents(&self) -> &[OpId] {
        &self.unsigned.parents
    }

    /// What it does.
    pub fn body(&self) -> &OpBody {
        &self.unsigned.body
    }
}

fn signed_bytes(unsigned: &Unsigned) -> Vec<u8> {
    let mut out = SIGNING_CONTEXT.to_vec();
    // Serialising plain data into a Vec cannot fail.
    out.extend(postcard::to_stdvec(unsigned).unwrap_or_default());
    out
}

mod replay;

pub use replay::{Device, Invitation, Member, Membership};

#[cfg(test)]
mod tests;
