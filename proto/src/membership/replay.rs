//! The state a membership log replays to, op by op in log order: who is in, with
//! which role, devices, invitations and keys, and why an op was rejected.

use std::collections::{BTreeMap, BTreeSet};

use super::{MemberInfo, Op, OpBody, Rejection, Role};
use crate::ids::{DeviceId, KeyId, MemberId, OpId, SpaceId};
use crate::keyshare::KeyShare;

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
