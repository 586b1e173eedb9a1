//! The membership log of a space: who belongs, with which role and devices.
//!
//! Every change to membership is an [`Op`] signed by a device. Ops name the ops their
//! author had seen as `parents`, so a log is a graph, not a line: two admins can
//! change roles while both offline. [`Membership::replay`] turns any set of ops into
//! the same state on every computer and on the relay, whatever order they arrived in:
//!
//! 1. ops whose signature does not verify, or that belong to another space, are
//!    rejected outright;
//! 2. the others are ordered topologically (parents first), ties broken by op id;
//! 3. each op is checked against the state built so far (is its author an admin
//!    *at that point*? is the invitation still unused?) and applied, or rejected with
//!    a reason. Rejected ops change nothing.
//!
//! The relay reads this log (public keys and roles, nothing secret) to decide who may
//! push and subscribe. Expiry of invitations is the relay's to enforce when a
//! [`OpBody::Redeem`] arrives, since replay must not depend on anybody's clock.
//!
//! ```
//! use bastide_proto::membership::{Membership, MemberInfo, Op, OpBody, Role};
//! use bastide_proto::{DeviceKey, MemberId, SpaceId};
//!
//! let space = SpaceId::random();
//! let alice = DeviceKey::generate();
//! let alice_id = MemberId::random();
//! let genesis = Op::sign(&alice, space, vec![], OpBody::Genesis {
//!     member: alice_id,
//!     info: MemberInfo::named("Alice"),
//!     device: alice.device_id(),
//!     x25519: [1; 32],
//! });
//! let bob = DeviceKey::generate();
//! let add_bob = Op::sign(&alice, space, vec![genesis.id()], OpBody::AddMember {
//!     member: MemberId::random(),
//!     info: MemberInfo::named("Bob"),
//!     role: Role::Editor,
//!     device: bob.device_id(),
//!     x25519: [2; 32],
//! });
//! let state = Membership::replay(space, &[add_bob, genesis]);
//! assert_eq!(state.role_of(&bob.device_id()), Some(Role::Editor));
//! assert_eq!(state.role_of(&alice.device_id()), Some(Role::Admin));
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::identity::DeviceKey;
use crate::ids::{DeviceId, MemberId, OpId, SpaceId};

/// Largest encoded op accepted: names and organisations are short.
pub const MAX_OP_LEN: usize = 4096;

/// What a member may do in a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    },
    /// A member adds another device of their own (or an admin does it for them).
    AddDevice {
        /// Whose device.
        member: MemberId,
        /// The device.
        device: DeviceId,
        /// Its X25519 key.
        x25519: [u8; 32],
    },
    /// An admin (or the device's own member) removes a device: it receives nothing new.
    RemoveDevice {
        /// The device.
        device: DeviceId,
    },
    /// An admin removes a member and every device of theirs.
    RemoveMember {
        /// The member.
        member: MemberId,
    },
    /// An admin changes a member's role.
    SetRole {
        /// The member.
        member: MemberId,
        /// The new role.
        role: Role,
    },
    /// An admin creates a one-time invitation: whoever holds the secret half of `key`
    /// may join once with `role`. The relay refuses it after `expires` (Unix time).
    Invite {
        /// The invitation's public key.
        key: DeviceId,
        /// The role it grants.
        role: Role,
        /// Unix time after which the relay refuses it.
        expires: i64,
    },
    /// An admin withdraws an unused invitation.
    Revoke {
        /// The invitation's public key.
        key: DeviceId,
    },
    /// The holder of an invitation joins. Signed by the invitation key (the op's author).
    Redeem {
        /// The new member.
        member: MemberId,
        /// Who they are.
        info: MemberInfo,
        /// Their first device.
        device: DeviceId,
        /// Its X25519 key.
        x25519: [u8; 32],
    },
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
}

/// An invitation as the log says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    /// The role it grants.
    pub role: Role,
    /// Unix time after which the relay refuses it.
    pub expires: i64,
    /// Redeemed already.
    pub used: bool,
    /// Withdrawn by an admin.
    pub revoked: bool,
}

/// The state of a space's membership after replaying its log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    space: SpaceId,
    members: BTreeMap<MemberId, Member>,
    devices: BTreeMap<DeviceId, Device>,
    invitations: BTreeMap<DeviceId, Invitation>,
    epoch: u32,
    applied: Vec<OpId>,
    rejected: BTreeMap<OpId, String>,
    heads: BTreeSet<OpId>,
}

impl Membership {
    /// Replays `ops` of `space`, in any order, into the state every replica agrees on.
    /// Ops whose parents are missing wait (they are neither applied nor rejected).
    pub fn replay(space: SpaceId, ops: &[Op]) -> Self {
        let mut state = Self {
            space,
            members: BTreeMap::new(),
            devices: BTreeMap::new(),
            invitations: BTreeMap::new(),
            epoch: 0,
            applied: Vec::new(),
            rejected: BTreeMap::new(),
            heads: BTreeSet::new(),
        };
        // Verified ops by id; the same op twice counts once.
        let mut pending: BTreeMap<OpId, &Op> = BTreeMap::new();
        for op in ops {
            let id = op.id();
            if op.space() != space {
                state.rejected.insert(id, "operation of another space".into());
            } else if let Err(error) = op.verify() {
                state.rejected.insert(id, error.to_string());
            } else {
                pending.insert(id, op);
            }
        }
        // Kahn's algorithm; the ready set is ordered by id, so ties break the same way
        // everywhere.
        let mut done: BTreeSet<OpId> = BTreeSet::new();
        let mut ready: BTreeSet<OpId> = BTreeSet::new();
        let is_ready = |op: &Op, done: &BTreeSet<OpId>| op.parents().iter().all(|p| done.contains(p));
        for (id, op) in &pending {
            if is_ready(op, &done) {
                ready.insert(*id);
            }
        }
        while let Some(id) = ready.pop_first() {
            let Some(op) = pending.remove(&id) else { continue };
            match state.check(op) {
                Ok(()) => {
                    state.apply(op);
                    state.applied.push(id);
                }
                Err(reason) => {
                    state.rejected.insert(id, reason);
                }
            }
            // A rejected op still counts as seen: later ops may name it as a parent.
            done.insert(id);
            for parent in op.parents() {
                state.heads.remove(parent);
            }
            state.heads.insert(id);
            for (other_id, other) in &pending {
                if !ready.contains(other_id) && other.parents().contains(&id) && is_ready(other, &done) {
                    ready.insert(*other_id);
                }
            }
        }
        state
    }

    /// Whether `op`, next in order, is allowed by the state so far.
    fn check(&self, op: &Op) -> Result<(), String> {
        let author = op.author();
        let admin = || match self.active_role(&author) {
            Some(Role::Admin) => Ok(()),
            Some(_) => Err("author is not an admin".to_owned()),
            None => Err("author is not a member".to_owned()),
        };
        let new_device = |device: &DeviceId| {
            if self.devices.contains_key(device) {
                Err("device already known".to_owned())
            } else {
                Ok(())
            }
        };
        match op.body() {
            OpBody::Genesis { device, .. } => {
                if !self.applied.is_empty() || !op.parents().is_empty() {
                    return Err("genesis after the start of the log".into());
                }
                if *device != author {
                    return Err("genesis not signed by the creator's device".into());
                }
                Ok(())
            }
            OpBody::AddMember { member, device, .. } => {
                admin()?;
                if self.members.contains_key(member) {
                    return Err("member already known".into());
                }
                new_device(device)
            }
            OpBody::AddDevice { member, device, .. } => {
                let own = self
                    .devices
                    .get(&author)
                    .is_some_and(|d| d.member == *member && !d.removed);
                if !own {
                    admin()?;
                }
                match self.members.get(member) {
                    Some(m) if !m.removed => new_device(device),
                    _ => Err("no such member".into()),
                }
            }
            OpBody::RemoveDevice { device } => {
                let own = match (self.devices.get(&author), self.devices.get(device)) {
                    (Some(a), Some(d)) => a.member == d.member && !a.removed,
                    _ => false,
                };
                if !own {
                    admin()?;
                }
                match self.devices.get(device) {
                    Some(d) if !d.removed => Ok(()),
                    _ => Err("no such device".into()),
                }
            }
            OpBody::RemoveMember { member } | OpBody::SetRole { member, .. } => {
                admin()?;
                let Some(target) = self.members.get(member).filter(|m| !m.removed) else {
                    return Err("no such member".into());
                };
                let demoting = match op.body() {
                    OpBody::SetRole { role, .. } => *role != Role::Admin,
                    _ => true,
                };
                if demoting && target.role == Role::Admin && self.admin_count() == 1 {
                    return Err("a space keeps at least one admin".into());
                }
                Ok(())
            }
            OpBody::Invite { key, .. } => {
                admin()?;
                if self.invitations.contains_key(key) || self.devices.contains_key(key) {
                    return Err("invitation key already used".into());
                }
                Ok(())
            }
            OpBody::Revoke { key } => {
                admin()?;
                match self.invitations.get(key) {
                    Some(i) if !i.used && !i.revoked => Ok(()),
                    Some(_) => Err("invitation already used or revoked".into()),
                    None => Err("no such invitation".into()),
                }
            }
            OpBody::Redeem { member, device, .. } => {
                match self.invitations.get(&author) {
                    Some(i) if i.revoked => return Err("invitation revoked".into()),
                    Some(i) if i.used => return Err("invitation already used".into()),
                    Some(_) => {}
                    None => return Err("no such invitation".into()),
                }
                if self.members.contains_key(member) {
                    return Err("member already known".into());
                }
                new_device(device)
            }
        }
    }

    /// Applies a checked op.
    fn apply(&mut self, op: &Op) {
        match op.body().clone() {
            OpBody::Genesis {
                member,
                info,
                device,
                x25519,
            } => {
                self.add(member, info, Role::Admin, device, x25519);
            }
            OpBody::AddMember {
                member,
                info,
                role,
                device,
                x25519,
            } => {
                self.add(member, info, role, device, x25519);
            }
            OpBody::AddDevice {
                member,
                device,
                x25519,
            } => {
                self.add_device(member, device, x25519);
            }
            OpBody::RemoveDevice { device } => {
                if let Some(d) = self.devices.get_mut(&device) {
                    d.removed = true;
                    if let Some(m) = self.members.get_mut(&d.member) {
                        m.devices.remove(&device);
                    }
                }
                self.epoch += 1;
            }
            OpBody::RemoveMember { member } => {
                if let Some(m) = self.members.get_mut(&member) {
                    m.removed = true;
                    for device in std::mem::take(&mut m.devices) {
                        if let Some(d) = self.devices.get_mut(&device) {
                            d.removed = true;
                        }
                    }
                }
                self.epoch += 1;
            }
            OpBody::SetRole { member, role } => {
                if let Some(m) = self.members.get_mut(&member) {
                    m.role = role;
                }
            }
            OpBody::Invite { key, role, expires } => {
                self.invitations.insert(
                    key,
                    Invitation {
                        role,
                        expires,
                        used: false,
                        revoked: false,
                    },
                );
            }
            OpBody::Revoke { key } => {
                if let Some(i) = self.invitations.get_mut(&key) {
                    i.revoked = true;
                }
            }
            OpBody::Redeem {
                member,
                info,
                device,
                x25519,
            } => {
                let role = self.invitations.get_mut(&op.author()).map(|i| {
                    i.used = true;
                    i.role
                });
                if let Some(role) = role {
                    self.add(member, info, role, device, x25519);
                }
            }
        }
    }

    fn add(&mut self, member: MemberId, info: MemberInfo, role: Role, device: DeviceId, x25519: [u8; 32]) {
        self.members.insert(
            member,
            Member {
                info,
                role,
                devices: BTreeSet::new(),
                removed: false,
            },
        );
        self.add_device(member, device, x25519);
    }

    fn add_device(&mut self, member: MemberId, device: DeviceId, x25519: [u8; 32]) {
        self.devices.insert(
            device,
            Device {
                member,
                x25519,
                removed: false,
            },
        );
        if let Some(m) = self.members.get_mut(&member) {
            m.devices.insert(device);
        }
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

    /// Members, removed ones included (their earlier work stays attributed).
    pub fn members(&self) -> &BTreeMap<MemberId, Member> {
        &self.members
    }

    /// Devices, removed ones included.
    pub fn devices(&self) -> &BTreeMap<DeviceId, Device> {
        &self.devices
    }

    /// Invitations and whether they were used or revoked.
    pub fn invitations(&self) -> &BTreeMap<DeviceId, Invitation> {
        &self.invitations
    }

    /// The key epoch: one more after each removal.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// Applied ops, in replay order.
    pub fn applied(&self) -> &[OpId] {
        &self.applied
    }

    /// Rejected ops and why.
    pub fn rejected(&self) -> &BTreeMap<OpId, String> {
        &self.rejected
    }

    /// The ops no other op follows yet: the parents of the next op.
    pub fn heads(&self) -> Vec<OpId> {
        self.heads.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests;
