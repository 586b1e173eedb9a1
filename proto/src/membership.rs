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

use std::collections::{BTreeMap, BTreeSet};

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

/// A member as the log says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Who they are.
    pub info: MemberInfo,
    /// Their role.
    pub role: Role,
    /// Their devices still in the space.
    pub devices: BTreeSet<DeviceId>,
    /// Removed from the space.
    pub removed: bool,
}

/// A device as the log says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// Whose device.
    pub member: MemberId,
    /// Its X25519 key, for key shares.
    pub x25519: [u8; 32],
    /// Removed (lost, or its member removed).
    pub removed: bool,
    /// The invitation it joined with: shares sealed to that key are its too.
    pub invitation: Option<DeviceId>,
}

/// An invitation as the log says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    /// The device that made it: the invitation dies when that device is removed.
    pub inviter: DeviceId,
    /// The role it grants a new person.
    pub role: Role,
    /// For a device invitation: the member the device will belong to.
    pub member: Option<MemberId>,
    /// Its X25519 key.
    pub x25519: [u8; 32],
    /// Unix time after which the relay refuses it.
    pub expires: i64,
    /// Redeemed already.
    pub used: bool,
    /// Withdrawn.
    pub revoked: bool,
    /// Dead with its inviter's removal (or loss of the admin role): it can no longer
    /// be redeemed, and no key is sealed to it again.
    pub dead: bool,
}

impl Invitation {
    /// Neither used, withdrawn nor dead (it may still have expired: that takes a clock).
    pub fn open(&self) -> bool {
        !self.used && !self.revoked && !self.dead
    }
}

/// The state of a space's membership after replaying its log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    space: SpaceId,
    members: BTreeMap<MemberId, Member>,
    devices: BTreeMap<DeviceId, Device>,
    invitations: BTreeMap<DeviceId, Invitation>,
    keys: Vec<KeyId>,
    shares: BTreeMap<(KeyId, DeviceId), KeyShare>,
    /// Shares in validly signed ops that replay rejected: two admins removing the
    /// same member offline both seal a new key, the later one is rejected, yet
    /// entries were written under its key before anyone knew.
    stale_shares: BTreeMap<(KeyId, DeviceId), KeyShare>,
    /// Keys brought by those rejected ops.
    stale_keys: BTreeSet<KeyId>,
    applied: Vec<OpId>,
    rejected: BTreeMap<OpId, Rejection>,
    /// Every op seen, applied or rejected: what later ops may name as parents.
    known: BTreeSet<OpId>,
    heads: BTreeSet<OpId>,
}

impl Membership {
    /// The membership of `space` before any op.
    pub fn new(space: SpaceId) -> Self {
        Self {
            space,
            members: BTreeMap::new(),
            devices: BTreeMap::new(),
            invitations: BTreeMap::new(),
            keys: Vec::new(),
            shares: BTreeMap::new(),
            stale_shares: BTreeMap::new(),
            stale_keys: BTreeSet::new(),
            applied: Vec::new(),
            rejected: BTreeMap::new(),
            known: BTreeSet::new(),
            heads: BTreeSet::new(),
        }
    }

    /// Replays `ops` of `space` in log order: the state every replica that holds the
    /// same log agrees on.
    pub fn replay(space: SpaceId, ops: &[Op]) -> Self {
        let mut state = Self::new(space);
        for op in ops {
            // The verdict is recorded in the state.
            let _ = state.push(op);
        }
        state
    }

    /// Judges `op` as the next op of the log, without applying it: `Ok` if it would
    /// apply. An op seen already is judged as it was then.
    pub fn judge(&self, op: &Op) -> Result<(), Rejection> {
        let id = op.id();
        if let Some(rejection) = self.rejected.get(&id) {
            return Err(*rejection);
        }
        if self.known.contains(&id) {
            return Ok(());
        }
        if op.space() != self.space {
            return Err(Rejection::OtherSpace);
        }
        if op.verify().is_err() {
            return Err(Rejection::BadSignature);
        }
        // What the op does is judged first: its reason says more than a missing parent.
        self.check(op)?;
        if !op.parents().iter().all(|p| self.known.contains(p)) {
            return Err(Rejection::UnknownParent);
        }
        Ok(())
    }

    /// Appends `op` to the log: applies it, or records why it was rejected. An op
    /// seen already changes nothing and keeps its verdict. Returns the verdict.
    pub fn push(&mut self, op: &Op) -> Result<(), Rejection> {
        let id = op.id();
        if self.known.contains(&id) {
            return self.rejected.get(&id).map_or(Ok(()), |r| Err(*r));
        }
        let verdict = self.judge(op);
        match verdict {
            Ok(()) => {
                self.apply(op);
                self.applied.push(id);
            }
            Err(reason) => {
                if matches!(reason, Rejection::OtherSpace | Rejection::BadSignature) {
                    // Not an op of this log at all: nothing of it is kept.
                    self.rejected.insert(id, reason);
                    return verdict;
                }
                // Keys of a validly signed op that was rejected may have sealed
                // entries before anyone knew (an offline admin's removal that lost
                // to another): they stay readable, never used to seal again.
                if let Some(key) = op.body().new_key()
                    && !self.keys.contains(&key)
                {
                    self.stale_keys.insert(key);
                }
                for share in op.body().shares() {
                    self.stale_shares
                        .entry((share.key, share.recipient))
                        .or_insert_with(|| share.clone());
                }
                self.rejected.insert(id, reason);
            }
        }
        // A rejected op still counts as seen: later ops may name it as a parent.
        self.known.insert(id);
        for parent in op.parents() {
            self.heads.remove(parent);
        }
        self.heads.insert(id);
        verdict
    }

    /// Whether `op`, next in order, is allowed by the state so far.
    fn check(&self, op: &Op) -> Result<(), Rejection> {
        let author = op.author();
        let admin = || match self.active_role(&author) {
            Some(Role::Admin) => Ok(()),
            Some(_) => Err(Rejection::NotAdmin),
            None => Err(Rejection::NotMember),
        };
        // The member the author's device belongs to, if it is active.
        let own_member = self
            .devices
            .get(&author)
            .filter(|d| !d.removed)
            .map(|d| d.member)
            .filter(|m| self.members.get(m).is_some_and(|m| !m.removed));
        let new_device = |device: &DeviceId| {
            if self.devices.contains_key(device) || self.invitations.contains_key(device) {
                Err(Rejection::DeviceExists)
            } else {
                Ok(())
            }
        };
        match op.body() {
            OpBody::Genesis { device, .. } => {
                if !self.applied.is_empty() || !op.parents().is_empty() {
                    return Err(Rejection::LateGenesis);
                }
                if *device != author {
                    return Err(Rejection::ForeignGenesis);
                }
            }
            OpBody::AddMember { member, device, .. } => {
                admin()?;
                if self.members.contains_key(member) {
                    return Err(Rejection::MemberExists);
                }
                new_device(device)?;
            }
            OpBody::AddDevice { member, device, .. } => {
                if own_member != Some(*member) {
                    admin()?;
                }
                match self.members.get(member) {
                    Some(m) if !m.removed => new_device(device)?,
                    _ => return Err(Rejection::NoSuchMember),
                }
            }
            OpBody::RemoveDevice { device, .. } => {
                let target = self.devices.get(device).filter(|d| !d.removed);
                if own_member.is_none() || own_member != target.map(|d| d.member) {
                    admin()?;
                }
                if target.is_none() {
                    return Err(Rejection::NoSuchDevice);
                }
            }
            OpBody::RemoveMember { member, .. } | OpBody::SetRole { member, .. } => {
                admin()?;
                let Some(target) = self.members.get(member).filter(|m| !m.removed) else {
                    return Err(Rejection::NoSuchMember);
                };
                let demoting = match op.body() {
                    OpBody::SetRole { role, .. } => *role != Role::Admin,
                    _ => true,
                };
                if demoting && target.role == Role::Admin && self.admin_count() == 1 {
                    return Err(Rejection::LastAdmin);
                }
            }
            OpBody::Invite {
                invitation, member, ..
            } => {
                match member {
                    Some(m) if own_member == Some(*m) => {}
                    Some(m) => {
                        admin()?;
                        if !self.is_active_member(m) {
                            return Err(Rejection::NoSuchMember);
                        }
                    }
                    None => admin()?,
                }
                if self.invitations.contains_key(invitation) || self.devices.contains_key(invitation) {
                    return Err(Rejection::InvitationKeyTaken);
                }
            }
            OpBody::Revoke { invitation } => {
                let Some(i) = self.invitations.get(invitation) else {
                    return Err(Rejection::NoSuchInvitation);
                };
                if i.member.is_none() || i.member != own_member {
                    admin()?;
                }
                if i.used {
                    return Err(Rejection::InvitationUsed);
                }
                if i.revoked {
                    return Err(Rejection::InvitationRevoked);
                }
                if i.dead {
                    return Err(Rejection::InviterRemoved);
                }
            }
            OpBody::Redeem { member, device, .. } => {
                let invitation = match self.invitations.get(&author) {
                    Some(i) if i.revoked => return Err(Rejection::InvitationRevoked),
                    Some(i) if i.used => return Err(Rejection::InvitationUsed),
                    Some(i) if i.dead => return Err(Rejection::InviterRemoved),
                    Some(i) => i,
                    None => return Err(Rejection::NoSuchInvitation),
                };
                match invitation.member {
                    Some(m) if m != *member => return Err(Rejection::NoSuchMember),
                    Some(m) if !self.is_active_member(&m) => {
                        return Err(Rejection::NoSuchMember);
                    }
                    Some(_) => {}
                    None if self.members.contains_key(member) => return Err(Rejection::MemberExists),
                    None => {}
                }
                new_device(device)?;
            }
            OpBody::Rekey { .. } => admin()?,
            OpBody::Share { shares } => {
                let own = own_member.is_some()
                    && shares
                        .iter()
                        .all(|s| self.devices.get(&s.recipient).map(|d| d.member) == own_member);
                if !own {
                    admin()?;
                }
            }
        }
        self.check_shares(op.body())
    }

    /// Shares must hold keys the space has (or the one the op brings) and go to
    /// devices or invitations of the space, never to the ones the op removes.
    fn check_shares(&self, body: &OpBody) -> Result<(), Rejection> {
        let new_key = body.new_key();
        if let Some(key) = new_key
            && (self.keys.contains(&key) || self.stale_keys.contains(&key))
        {
            return Err(Rejection::KeyExists);
        }
        let newcomer = match body {
            OpBody::Genesis { device, .. }
            | OpBody::AddMember { device, .. }
            | OpBody::AddDevice { device, .. } => Some(*device),
            OpBody::Invite { invitation, .. } => Some(*invitation),
            _ => None,
        };
        let leaving = match body {
            OpBody::RemoveDevice { device, .. } => vec![*device],
            OpBody::RemoveMember { member, .. } => self
                .members
                .get(member)
                .map(|m| m.devices.iter().copied().collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        for share in body.shares() {
            // Keys of rejected ops may be shared too: entries were sealed with them.
            let known = self.keys.contains(&share.key) || self.stale_keys.contains(&share.key);
            if !known && Some(share.key) != new_key {
                return Err(Rejection::UnknownKey);
            }
            // A share to a device that has left meanwhile is allowed: its author,
            // offline, may not have known. `current_key_exposed` reports it.
            let recipient = share.recipient;
            let allowed = Some(recipient) == newcomer
                || (!leaving.contains(&recipient)
                    && (self.devices.contains_key(&recipient) || self.invitations.contains_key(&recipient)));
            if !allowed {
                return Err(Rejection::ShareRecipient);
            }
        }
        Ok(())
    }

    /// Applies a checked op.
    fn apply(&mut self, op: &Op) {
        if let Some(key) = op.body().new_key() {
            self.keys.push(key);
        }
        for share in op.body().shares() {
            self.shares
                .entry((share.key, share.recipient))
                .or_insert_with(|| share.clone());
        }
        match op.body().clone() {
            OpBody::Genesis {
                member,
                info,
                device,
                x25519,
                ..
            } => {
                self.add(member, info, Role::Admin, device, x25519, None);
            }
            OpBody::AddMember {
                member,
                info,
                role,
                device,
                x25519,
                ..
            } => {
                self.add(member, info, role, device, x25519, None);
            }
            OpBody::AddDevice {
                member,
                device,
                x25519,
                ..
            } => {
                self.add_device(member, device, x25519, None);
            }
            OpBody::RemoveDevice { device, .. } => {
                if let Some(d) = self.devices.get_mut(&device) {
                    d.removed = true;
                    if let Some(m) = self.members.get_mut(&d.member) {
                        m.devices.remove(&device);
                    }
                }
                self.kill_invitations(|i| i.inviter == device);
            }
            OpBody::RemoveMember { member, .. } => {
                let mut gone = BTreeSet::new();
                if let Some(m) = self.members.get_mut(&member) {
                    m.removed = true;
                    for device in std::mem::take(&mut m.devices) {
                        if let Some(d) = self.devices.get_mut(&device) {
                            d.removed = true;
                        }
                        gone.insert(device);
                    }
                }
                // Devices removed earlier one by one killed theirs already.
                self.kill_invitations(|i| gone.contains(&i.inviter));
            }
            OpBody::SetRole { member, role } => {
                if let Some(m) = self.members.get_mut(&member) {
                    m.role = role;
                }
                if role != Role::Admin {
                    // Invitations of new people were made on the strength of the
                    // admin role; a device invitation for the member's own next
                    // device stays.
                    let devices: BTreeSet<DeviceId> = self
                        .devices
                        .iter()
                        .filter(|(_, d)| d.member == member)
                        .map(|(id, _)| *id)
                        .collect();
                    let own = Some(member);
                    self.kill_invitations(|i| devices.contains(&i.inviter) && i.member != own);
                }
            }
            OpBody::Invite {
                invitation,
                x25519,
                role,
                member,
                expires,
                ..
            } => {
                self.invitations.insert(
                    invitation,
                    Invitation {
                        inviter: op.author(),
                        role,
                        member,
                        x25519,
                        expires,
                        used: false,
                        revoked: false,
                        dead: false,
                    },
                );
            }
            OpBody::Revoke { invitation } => {
                if let Some(i) = self.invitations.get_mut(&invitation) {
                    i.revoked = true;
                }
            }
            OpBody::Redeem {
                member,
                info,
                device,
                x25519,
            } => {
                let invitation = op.author();
                let Some(i) = self.invitations.get_mut(&invitation) else {
                    return;
                };
                i.used = true;
                match i.member {
                    Some(existing) => self.add_device(existing, device, x25519, Some(invitation)),
                    None => {
                        let role = i.role;
                        self.add(member, info, role, device, x25519, Some(invitation));
                    }
                }
            }
            OpBody::Rekey { .. } | OpBody::Share { .. } => {}
        }
    }

    fn add(
        &mut self,
        member: MemberId,
        info: MemberInfo,
        role: Role,
        device: DeviceId,
        x25519: [u8; 32],
        invitation: Option<DeviceId>,
    ) {
        self.members.insert(
            member,
            Member {
                info,
                role,
                devices: BTreeSet::new(),
                removed: false,
            },
        );
        self.add_device(member, device, x25519, invitation);
    }

    fn add_device(
        &mut self,
        member: MemberId,
        device: DeviceId,
        x25519: [u8; 32],
        invitation: Option<DeviceId>,
    ) {
        self.devices.insert(
            device,
            Device {
                member,
                x25519,
                removed: false,
                invitation,
            },
        );
        if let Some(m) = self.members.get_mut(&member) {
            m.devices.insert(device);
        }
    }

    /// Marks dead every open invitation `made_by` selects.
    fn kill_invitations(&mut self, made_by: impl Fn(&Invitation) -> bool) {
        for invitation in self.invitations.values_mut() {
            if invitation.open() && made_by(invitation) {
                invitation.dead = true;
            }
        }
    }

    fn is_active_member(&self, member: &MemberId) -> bool {
        self.members.get(member).is_some_and(|m| !m.removed)
    }

    fn admin_count(&self) -> usize {
        self.members
            .values()
            .filter(|m| !m.removed && m.role == Role::Admin)
            .count()
    }

    fn active_role(&self, device: &DeviceId) -> Option<Role> {
        let d = self.devices.get(device).filter(|d| !d.removed)?;
        self.members.get(&d.member).filter(|m| !m.removed).map(|m| m.role)
    }

    /// The space.
    pub fn space(&self) -> SpaceId {
        self.space
    }

    /// The role of the member owning `device`, if the device is in the space.
    pub fn role_of(&self, device: &DeviceId) -> Option<Role> {
        self.active_role(device)
    }

    /// The member owning `device` (removed or not).
    pub fn member_of(&self, device: &DeviceId) -> Option<(MemberId, &Member)> {
        let d = self.devices.get(device)?;
        self.members.get(&d.member).map(|m| (d.member, m))
    }

    /// The name of the person owning `device` (removed or not): who signed what.
    pub fn name_of(&self, device: &DeviceId) -> Option<&str> {
        self.member_of(device).map(|(_, m)| m.info.name.as_str())
    }

    /// Members, removed ones included (their earlier work stays attributed).
    pub fn members(&self) -> &BTreeMap<MemberId, Member> {
        &self.members
    }

    /// Devices, removed ones included.
    pub fn devices(&self) -> &BTreeMap<DeviceId, Device> {
        &self.devices
    }

    /// Devices still in the space.
    pub fn active_devices(&self) -> impl Iterator<Item = (&DeviceId, &Device)> {
        self.devices
            .iter()
            .filter(|(id, _)| self.active_role(id).is_some())
    }

    /// Invitations and whether they were used or revoked.
    pub fn invitations(&self) -> &BTreeMap<DeviceId, Invitation> {
        &self.invitations
    }

    /// The space's keys, oldest first; the last one seals what is written now.
    pub fn keys(&self) -> &[KeyId] {
        &self.keys
    }

    /// The key new entries are sealed under.
    pub fn current_key(&self) -> Option<KeyId> {
        self.keys.last().copied()
    }

    /// The key epoch: how many times the key was replaced.
    pub fn epoch(&self) -> usize {
        self.keys.len().saturating_sub(1)
    }

    /// Every share sealed to `recipient` (a device or an invitation key).
    pub fn shares_to(&self, recipient: &DeviceId) -> impl Iterator<Item = &KeyShare> {
        let recipient = *recipient;
        self.shares
            .iter()
            .filter(move |((_, to), _)| *to == recipient)
            .map(|(_, share)| share)
    }

    /// Every share sealed to `recipient`, those in rejected ops included: what a
    /// device may open to read entries. Only [`Membership::keys`] may seal new ones.
    pub fn readable_shares_to(&self, recipient: &DeviceId) -> impl Iterator<Item = &KeyShare> {
        let recipient = *recipient;
        self.shares
            .iter()
            .chain(&self.stale_shares)
            .filter(move |((_, to), _)| *to == recipient)
            .map(|(_, share)| share)
    }

    /// Whether `device` can open `key`: a share to it, or to the invitation it
    /// joined with.
    pub fn has_key(&self, device: &DeviceId, key: KeyId) -> bool {
        let invitation = self.devices.get(device).and_then(|d| d.invitation);
        self.shares.contains_key(&(key, *device))
            || invitation.is_some_and(|i| self.shares.contains_key(&(key, i)))
    }

    /// Active devices lacking some key, with the keys they lack: an admin seals
    /// those to them with [`OpBody::Share`].
    pub fn missing_keys(&self) -> Vec<(DeviceId, Vec<KeyId>)> {
        self.active_devices()
            .filter_map(|(id, _)| {
                let lacking: Vec<KeyId> = self
                    .keys
                    .iter()
                    .copied()
                    .filter(|k| !self.has_key(id, *k))
                    .collect();
                (!lacking.is_empty()).then_some((*id, lacking))
            })
            .collect()
    }

    /// Whether the current key was sealed to a device that has left since, or to an
    /// invitation withdrawn or dead before anyone used it (an offline admin may not
    /// have known): then an admin replaces it with [`OpBody::Rekey`].
    pub fn current_key_exposed(&self) -> bool {
        let Some(current) = self.current_key() else {
            return false;
        };
        let device_reached = self.devices.iter().any(|(id, d)| {
            let reached = self.shares.contains_key(&(current, *id))
                || d.invitation
                    .is_some_and(|i| self.shares.contains_key(&(current, i)));
            d.removed && reached
        });
        let invitation_reached = self
            .invitations
            .iter()
            .any(|(id, i)| !i.used && (i.revoked || i.dead) && self.shares.contains_key(&(current, *id)));
        device_reached || invitation_reached
    }

    /// Applied ops, in replay order.
    pub fn applied(&self) -> &[OpId] {
        &self.applied
    }

    /// Rejected ops and why.
    pub fn rejected(&self) -> &BTreeMap<OpId, Rejection> {
        &self.rejected
    }

    /// The ops no other op follows yet: the parents of the next op.
    pub fn heads(&self) -> Vec<OpId> {
        self.heads.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests;
