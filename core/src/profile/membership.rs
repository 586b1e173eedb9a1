//! Spaces and their members: creating, inviting, joining, second devices, roles and
//! removals. Every membership change is a signed op checked against the local replay
//! first (so most refusals are immediate, even offline), then queued in the outbox and
//! judged again by the relay.

use std::sync::Arc;

use bastide_proto::membership::{MemberInfo, Membership, Op, OpBody, Role};
use bastide_proto::wire::{PushResult, Record};
use bastide_proto::{
    DeviceId, DeviceKey, EntryId, KeyId, KeyShare, MemberId, OpId, RelayAddr, SpaceId, SpaceKey,
};
use sqlx::SqliteConnection;
use time::OffsetDateTime;

use super::{OUTBOX_OP, Profile, SpaceInfo};
use crate::error::Error;
use crate::invite::{self, Invitation, InvitedSpace};
use crate::members::{self, InvitationView, KnownOp, MemberView, SpaceMembers};
use crate::sync::RelayConnection;

/// What became of a membership op made here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpOutcome {
    /// In the relay's log at this sequence number.
    Stored(u64),
    /// Not sent yet (offline): it goes with the next sync.
    Pending,
}

impl Profile {
    /// The replayed membership of `space`. The caller holds `self.write`.
    pub(super) async fn members_locked(&self, space: SpaceId) -> Result<Arc<SpaceMembers>, Error> {
        if let Some(found) = self.cached_members(space) {
            return Ok(found);
        }
        let mut conn = self.pool.acquire().await?;
        let ops = members::load_ops(&mut conn, space).await?;
        let built = Arc::new(self.build_members(&mut conn, space, ops).await?);
        self.keep_members(space, built.clone());
        Ok(built)
    }

    /// The replayed membership of `space`, for readers (takes `self.write` briefly).
    pub(super) async fn members_of(&self, space: SpaceId) -> Result<Arc<SpaceMembers>, Error> {
        let _write = self.write.lock().await;
        self.members_locked(space).await
    }

    fn cached_members(&self, space: SpaceId) -> Option<Arc<SpaceMembers>> {
        self.members
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&space)
            .cloned()
    }

    pub(super) async fn build_members(
        &self,
        conn: &mut SqliteConnection,
        space: SpaceId,
        ops: Vec<KnownOp>,
    ) -> Result<SpaceMembers, Error> {
        let invitations = members::load_invitation_keys(conn, space, &self.device).await?;
        Ok(SpaceMembers::build(space, ops, &self.device, &invitations))
    }

    /// Keeps a replay that includes every op now stored, and says so.
    pub(super) fn keep_members(&self, space: SpaceId, built: Arc<SpaceMembers>) {
        let replaced = self
            .members
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(space, built);
        if replaced.is_some() {
            // Nobody listening is fine.
            let _ = self.members_changed.send(space);
        }
    }

    /// Drops a replay the stored ops have moved past.
    pub(super) fn forget_members(&self, space: SpaceId) {
        self.members
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&space);
        let _ = self.members_changed.send(space);
    }

    /// The key to seal this device's next entry in `space` with, if it may write
    /// there. The caller holds `self.write`.
    pub(super) async fn writing_key(&self, space: SpaceId) -> Result<(KeyId, SpaceKey), Error> {
        let members = self.members_locked(space).await?;
        may_write(space, members.state.role_of(&self.device_id()))?;
        members
            .writing_key()
            .map(|(id, key)| (id, key.clone()))
            .ok_or_else(|| Error::NotAllowed("no key of this space has reached this device yet".into()))
    }

    /// The key to seal a change to an item of `kind` with: writers' for every kind,
    /// and for comments every member's, readers included (they comment).
    pub(super) async fn key_for(&self, space: SpaceId, kind: &str) -> Result<(KeyId, SpaceKey), Error> {
        if kind != crate::comments::KIND {
            return self.writing_key(space).await;
        }
        let members = self.members_locked(space).await?;
        if members.state.role_of(&self.device_id()).is_none() {
            return Err(Error::NotMember(space));
        }
        members
            .writing_key()
            .map(|(id, key)| (id, key.clone()))
            .ok_or_else(|| Error::NotAllowed("no key of this space has reached this device yet".into()))
    }

    /// Signs `body` after the local log's heads, checks it against the local replay,
    /// and stores it with its outbox row in one transaction. The caller holds
    /// `self.write`.
    async fn queue_op(&self, members: &SpaceMembers, body: OpBody) -> Result<Op, Error> {
        let space = members.space;
        let op = Op::sign(&self.device, space, members.state.heads(), body);
        let mut all: Vec<Op> = members.ops.iter().map(|k| k.op.clone()).collect();
        all.push(op.clone());
        if let Some(rejection) = Membership::replay(space, &all).rejected().get(&op.id()) {
            return Err(Error::Membership(*rejection));
        }
        let mut tx = self.begin_write().await?;
        members::store_op(&mut tx, space, &op, None).await?;
        sqlx::query("INSERT INTO outbox (id, space, bytes, kind) VALUES (?, ?, ?, ?)")
            .bind(op.id().0.as_slice())
            .bind(space.0.as_slice())
            .bind(op.to_bytes())
            .bind(OUTBOX_OP)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.forget_members(space);
        self.outbox.send_modify(|n| *n += 1);
        Ok(op)
    }

    /// Whether an op made here reached the relay's log, is still waiting, or was
    /// refused (as an error saying why).
    pub async fn outcome(&self, space: SpaceId, op: OpId) -> Result<OpOutcome, Error> {
        let refused = self
            .refusals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&EntryId(op.0));
        if let Some((refusal, reason)) = refused {
            return Err(Error::Refused { refusal, reason });
        }
        let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT seq FROM ops WHERE space = ? AND id = ?")
            .bind(space.0.as_slice())
            .bind(op.0.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some((Some(seq),)) => Ok(OpOutcome::Stored(u64::try_from(seq).unwrap_or(0))),
            Some((None,)) => Ok(OpOutcome::Pending),
            None => Err(Error::InvalidInput(format!(
                "operation {op} is not in this profile"
            ))),
        }
    }

    /// `info` trimmed, with the profile's name if it gives none.
    fn member_info(&self, info: &MemberInfo) -> MemberInfo {
        let trim = |s: &str| s.trim().to_owned();
        let name = match trim(&info.name) {
            empty if empty.is_empty() => self.display_name.clone(),
            given => given,
        };
        MemberInfo {
            name,
            organisation: trim(&info.organisation),
            function: trim(&info.function),
        }
    }

    // ----- spaces -----

    /// Creates a space on `relay` with this device's person as its first admin, known
    /// as the profile's name. The relay must be reachable and present the pinned
    /// certificate; nothing is stored otherwise.
    pub async fn create_space(&self, name: &str, relay: &str) -> Result<SpaceInfo, Error> {
        self.create_space_as(name, relay, MemberInfo::default()).await
    }

    /// [`Profile::create_space`], the creator presenting themself as `creator` (the
    /// profile's name if `creator.name` is empty).
    pub async fn create_space_as(
        &self,
        name: &str,
        relay: &str,
        creator: MemberInfo,
    ) -> Result<SpaceInfo, Error> {
        self.create_space_admitted(name, relay, creator, None).await
    }

    /// [`Profile::create_space_as`] on a relay that asks for its operator's
    /// admission token: `token`, if given, is presented first (an empty one is none).
    pub async fn create_space_admitted(
        &self,
        name: &str,
        relay: &str,
        creator: MemberInfo,
        token: Option<&str>,
    ) -> Result<SpaceInfo, Error> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::InvalidInput("the space name is empty".into()));
        }
        let addr: RelayAddr = relay.parse()?;
        let space = SpaceId::random();
        let member = MemberId::random();
        let (key_id, key) = (KeyId::random(), SpaceKey::generate());
        let me = self.device_id();
        let x25519 = self.device.x25519_public();
        let share = members::seal_share(space, key_id, &key, me, &x25519)?;
        let genesis = Op::sign(
            &self.device,
            space,
            vec![],
            OpBody::Genesis {
                member,
                info: self.member_info(&creator),
                device: me,
                x25519,
                new_key: key_id,
                shares: vec![share],
            },
        );
        let connection = RelayConnection::connect(&addr, &self.device).await?;
        let token = token.map(str::trim).filter(|t| !t.is_empty());
        let pushed = async {
            if let Some(token) = token {
                connection.admit(token).await?;
            }
            push_on(&connection, &genesis).await
        }
        .await;
        connection.close().await;
        let seq = pushed?;
        let _write = self.write.lock().await;
        let mut tx = self.begin_write().await?;
        let info = Self::insert_space(&mut tx, space, name, &addr, member).await?;
        members::store_op(&mut tx, space, &genesis, Some(seq)).await?;
        tx.commit().await?;
        self.spaces_changed.send_modify(|n| *n += 1);
        Ok(info)
    }

    /// A one-time invitation code to `space` for a new person with `role`, valid for
    /// `days` days. Only admins invite. The invitation travels with the next sync; the
    /// invitee can join once it has reached the relay, whether this device is online
    /// or not.
    pub async fn invite(&self, space: SpaceId, role: Role, days: i64) -> Result<(String, OpId), Error> {
        let expires = expiry(days)?;
        let row = self.space(space).await?;
        let _write = self.write.lock().await;
        let members = self.members_locked(space).await?;
        let invitation = DeviceKey::generate();
        let op = self
            .queue_op(&members, invite_body(&members, &invitation, role, None, expires)?)
            .await?;
        let code = Invitation {
            secret: invitation.secret(),
            role,
            expires,
            spaces: vec![InvitedSpace {
                relay: row.relay,
                space,
                name: row.name,
                op: op.id(),
                member: None,
            }],
        }
        .encode();
        Ok((code, op.id()))
    }

    /// Joins the space an invitation code opens, as a new member presenting `info`
    /// (the profile's name if `info.name` is empty). The relay must accept the
    /// invitation; nothing is stored otherwise.
    pub async fn join(&self, code: &str, info: MemberInfo) -> Result<SpaceInfo, Error> {
        let invitation = Invitation::decode(code, OffsetDateTime::now_utc())?;
        if invitation.is_device() {
            return Err(Error::InvalidInvitation(
                "this code adds a second device: use it with « device join »",
            ));
        }
        let [target] = invitation.spaces.as_slice() else {
            return Err(Error::InvalidInvitation("it opens more than one space"));
        };
        let info = self.member_info(&info);
        self.redeem(&invitation, target, MemberId::random(), info).await
    }

    /// A code that makes another device (a laptop next to the office PC) a device of
    /// this person in every space of this profile. Valid a week, once.
    pub async fn device_add(&self) -> Result<(String, Vec<(SpaceId, OpId)>), Error> {
        let expires = expiry(invite::DEFAULT_VALIDITY.whole_days())?;
        let invitation = DeviceKey::generate();
        let mut spaces = Vec::new();
        let mut ops = Vec::new();
        let ids: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT id FROM spaces ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        let _write = self.write.lock().await;
        for (id,) in ids {
            let Ok(id) = <[u8; 16]>::try_from(id) else {
                continue;
            };
            let space = SpaceId(id);
            let row = self.space(space).await?;
            let members = self.members_locked(space).await?;
            let (Some(member), Some(role)) = (row.member, members.state.role_of(&self.device_id())) else {
                continue;
            };
            let body = invite_body(&members, &invitation, role, Some(member), expires)?;
            let op = self.queue_op(&members, body).await?;
            ops.push((space, op.id()));
            spaces.push(InvitedSpace {
                relay: row.relay,
                space,
                name: row.name,
                op: op.id(),
                member: Some(member),
            });
        }
        if spaces.is_empty() {
            return Err(Error::InvalidInput("this profile is in no space yet".into()));
        }
        let code = Invitation {
            secret: invitation.secret(),
            role: Role::Reader,
            expires,
            spaces,
        }
        .encode();
        Ok((code, ops))
    }

    /// Becomes a device of the person who made the `device add` code, in each of their
    /// spaces. Spaces this profile is in already are skipped.
    pub async fn device_join(&self, code: &str) -> Result<Vec<SpaceInfo>, Error> {
        let invitation = Invitation::decode(code, OffsetDateTime::now_utc())?;
        if !invitation.is_device() {
            return Err(Error::InvalidInvitation(
                "this code invites a new person: use it with « space join »",
            ));
        }
        let mut joined = Vec::new();
        let mut first_error = None;
        for target in &invitation.spaces {
            let Some(member) = target.member else { continue };
            match self
                .redeem(&invitation, target, member, MemberInfo::default())
                .await
            {
                Ok(info) => joined.push(info),
                Err(Error::AlreadyMember(_)) => {}
                Err(error) => {
                    tracing::info!(space = %target.space, %error, "could not join as a second device");
                    first_error.get_or_insert(error);
                }
            }
        }
        match (joined.is_empty(), first_error) {
            (true, Some(error)) => Err(error),
            (false, Some(error)) => {
                tracing::warn!(%error, joined = joined.len(), "joined some spaces only");
                Ok(joined)
            }
            (_, None) => Ok(joined),
        }
    }

    /// Pushes a redeem op signed by the invitation key, then stores the space and
    /// pulls its log (keys and content) if the relay is still there.
    async fn redeem(
        &self,
        invitation: &Invitation,
        target: &InvitedSpace,
        member: MemberId,
        info: MemberInfo,
    ) -> Result<SpaceInfo, Error> {
        let space = target.space;
        if self.space(space).await.is_ok() {
            return Err(Error::AlreadyMember(space));
        }
        let addr: RelayAddr = target.relay.parse()?;
        let key = invitation.key();
        let redeem = Op::sign(
            &key,
            space,
            vec![target.op],
            OpBody::Redeem {
                member,
                info,
                device: self.device_id(),
                x25519: self.device.x25519_public(),
            },
        );
        let connection = RelayConnection::connect(&addr, &self.device).await?;
        let stored = push_on(&connection, &redeem).await;
        let seq = match stored {
            Ok(seq) => seq,
            Err(error) => {
                connection.close().await;
                return Err(error);
            }
        };
        let info = {
            let _write = self.write.lock().await;
            let mut tx = self.begin_write().await?;
            let info = Self::insert_space(&mut tx, space, &target.name, &addr, member).await?;
            members::store_op(&mut tx, space, &redeem, Some(seq)).await?;
            members::store_invitation_key(&mut tx, space, &self.device, &key).await?;
            tx.commit().await?;
            info
        };
        self.spaces_changed.send_modify(|n| *n += 1);
        // The space is joined; its content follows now, or with the next sync.
        if let Err(error) = self.pull_space(&connection, space).await {
            tracing::warn!(%space, %error, "joined, but the first pull failed");
        }
        connection.close().await;
        Ok(info)
    }

    // ----- members -----

    /// The members of `space`, present ones first, by name.
    pub async fn members(&self, space: SpaceId) -> Result<Vec<MemberView>, Error> {
        let row = self.space(space).await?;
        let _write = self.write.lock().await;
        let members = self.members_locked(space).await?;
        let mut list: Vec<MemberView> = members
            .state
            .members()
            .iter()
            .map(|(id, m)| MemberView::new(id, m, row.member))
            .collect();
        list.sort_by(|a, b| {
            (a.removed, a.name.to_lowercase(), &a.id).cmp(&(b.removed, b.name.to_lowercase(), &b.id))
        });
        Ok(list)
    }

    /// The invitations of `space`, newest expiry first.
    pub async fn invitations(&self, space: SpaceId) -> Result<Vec<InvitationView>, Error> {
        self.space(space).await?;
        let _write = self.write.lock().await;
        let members = self.members_locked(space).await?;
        let mut list: Vec<(i64, InvitationView)> = members
            .state
            .invitations()
            .iter()
            .map(|(id, i)| (i.expires, InvitationView::new(id, i)))
            .collect();
        list.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
        Ok(list.into_iter().map(|(_, v)| v).collect())
    }

    /// Withdraws an unused invitation: its code is refused from then on. Admins, or
    /// the person a device invitation is for.
    pub async fn revoke(&self, space: SpaceId, invitation: DeviceId) -> Result<OpId, Error> {
        self.space(space).await?;
        let _write = self.write.lock().await;
        let members = self.members_locked(space).await?;
        Ok(self.queue_op(&members, OpBody::Revoke { invitation }).await?.id())
    }

    /// This profile's role in `space` (`None` if it is not, or no longer, a member).
    pub async fn my_role(&self, space: SpaceId) -> Result<Option<Role>, Error> {
        self.space(space).await?;
        Ok(self.members_of(space).await?.state.role_of(&self.device_id()))
    }

    /// Gives `member` the role `role`. Admins only; a space keeps one admin at least.
    pub async fn set_role(&self, space: SpaceId, member: MemberId, role: Role) -> Result<OpId, Error> {
        self.space(space).await?;
        let _write = self.write.lock().await;
        let members = self.members_locked(space).await?;
        Ok(self
            .queue_op(&members, OpBody::SetRole { member, role })
            .await?
            .id())
    }

    /// Removes `member` and all their devices: they receive nothing new, and what is
    /// written from now on is sealed under a new key they never get. What they wrote
    /// stays. Admins only.
    pub async fn remove_member(&self, space: SpaceId, member: MemberId) -> Result<OpId, Error> {
        self.space(space).await?;
        let _write = self.write.lock().await;
        let members = self.members_locked(space).await?;
        let leaving: Vec<DeviceId> = members
            .state
            .members()
            .get(&member)
            .map(|m| m.devices.iter().copied().collect())
            .unwrap_or_default();
        let (new_key, shares) = self.new_key_for(&members, &leaving)?;
        let body = OpBody::RemoveMember {
            member,
            new_key,
            shares,
        };
        Ok(self.queue_op(&members, body).await?.id())
    }

    /// Removes one device (a lost laptop), with a new key like [`Profile::remove_member`].
    /// Admins, or the device's own person.
    pub async fn remove_device(&self, space: SpaceId, device: DeviceId) -> Result<OpId, Error> {
        self.space(space).await?;
        let _write = self.write.lock().await;
        let members = self.members_locked(space).await?;
        let (new_key, shares) = self.new_key_for(&members, &[device])?;
        let body = OpBody::RemoveDevice {
            device,
            new_key,
            shares,
        };
        Ok(self.queue_op(&members, body).await?.id())
    }

    /// A fresh key, sealed to everyone in the space but `leaving`.
    fn new_key_for(
        &self,
        members: &SpaceMembers,
        leaving: &[DeviceId],
    ) -> Result<(KeyId, Vec<KeyShare>), Error> {
        let key_id = loop {
            let candidate = KeyId::random();
            if !members.state.keys().contains(&candidate) {
                break candidate;
            }
        };
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let shares = members.seal_to_everyone(key_id, &SpaceKey::generate(), leaving, now)?;
        Ok((key_id, shares))
    }

    /// Repairs what two admins acting offline at the same time can leave behind: a
    /// current key that reached a device removed since (replaced), and devices lacking
    /// keys (shared with them). Only an admin with nothing of its own waiting does
    /// this. Returns whether it queued an op.
    pub(crate) async fn heal(&self, space: SpaceId) -> Result<bool, Error> {
        let _write = self.write.lock().await;
        let members = self.members_locked(space).await?;
        let me = self.device_id();
        if members.state.role_of(&me) != Some(Role::Admin) || members.ops.iter().any(|k| k.seq.is_none()) {
            return Ok(false);
        }
        if members.state.current_key_exposed() {
            let (new_key, shares) = self.new_key_for(&members, &[])?;
            tracing::info!(%space, "the current key reached a removed device: replacing it");
            self.queue_op(&members, OpBody::Rekey { new_key, shares }).await?;
            return Ok(true);
        }
        let mut shares = Vec::new();
        for (device, lacking) in members.state.missing_keys() {
            let Some(x25519) = members.state.devices().get(&device).map(|d| d.x25519) else {
                continue;
            };
            for key_id in lacking {
                if let Some(key) = members.keys.get(&key_id) {
                    shares.push(members::seal_share(space, key_id, key, device, &x25519)?);
                }
            }
        }
        if shares.is_empty() {
            return Ok(false);
        }
        tracing::info!(%space, shares = shares.len(), "sharing keys with devices that lack them");
        self.queue_op(&members, OpBody::Share { shares }).await?;
        Ok(true)
    }
}

/// An invitation for `invitation`'s holder, with every key this device holds sealed
/// to it: a new person with `role`, or a new device of `member`.
fn invite_body(
    members: &SpaceMembers,
    invitation: &DeviceKey,
    role: Role,
    member: Option<MemberId>,
    expires: i64,
) -> Result<OpBody, Error> {
    Ok(OpBody::Invite {
        invitation: invitation.device_id(),
        x25519: invitation.x25519_public(),
        role,
        member,
        expires,
        shares: members.seal_all(invitation.device_id(), &invitation.x25519_public())?,
    })
}

/// Refuses what the relay would refuse from a device with `role` in `space`: writing
/// as a reader or an outsider.
pub(super) fn may_write(space: SpaceId, role: Option<Role>) -> Result<(), Error> {
    match role {
        None => Err(Error::NotMember(space)),
        Some(role) if !role.writes() => Err(Error::NotAllowed(format!(
            "a {role} of this space cannot change its content"
        ))),
        Some(_) => Ok(()),
    }
}

/// The Unix time `days` days from now, for an invitation.
fn expiry(days: i64) -> Result<i64, Error> {
    if !(1..=invite::MAX_VALIDITY_DAYS).contains(&days) {
        return Err(Error::InvalidInput(format!(
            "an invitation is valid from 1 to {} days, not {days}",
            invite::MAX_VALIDITY_DAYS
        )));
    }
    Ok((OffsetDateTime::now_utc() + time::Duration::days(days)).unix_timestamp())
}

/// Connects, pushes one op, and returns its sequence number or the refusal.
async fn push_on(connection: &RelayConnection, op: &Op) -> Result<u64, Error> {
    let results = connection.push(vec![Record::Op(op.to_bytes())]).await?;
    match results.into_iter().next() {
        Some(PushResult::Stored { seq, .. }) => Ok(seq),
        Some(PushResult::Refused { refusal, reason, .. }) => Err(Error::Refused { refusal, reason }),
        None => Err(crate::sync::SyncError::Protocol("no verdict for the pushed op".into()).into()),
    }
}
