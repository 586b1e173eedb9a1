//! Membership as this profile sees it: the ops it knows for a space, what they replay
//! to, and the space keys it can open from the shares they carry.
//!
//! Ops replay in the relay's log order (the relay judged each against the log's head,
//! and every member replays the same order with the same rule); this profile's own
//! ops not yet in the log come after, in the order they were made.
//!
//! Two replays matter. `state` covers every op known here, this profile's own not yet
//! acknowledged ones included: it is what the members list shows and what new ops and
//! entries build on. `sequenced` covers only ops the relay has placed in the log: an
//! entry from the relay is judged by the ops *before it in the log*, exactly as the
//! relay judged it, so every client accepts and refuses the same entries.

use std::collections::BTreeMap;

use bastide_proto::membership::{Member, Membership, Op, Role};
use bastide_proto::{DeviceId, DeviceKey, KeyId, KeyShare, MemberId, SpaceId, SpaceKey};
use serde::Serialize;
use sqlx::SqliteConnection;

use crate::error::Error;

/// One op and its place in the relay's log (`None` while only known here).
#[derive(Clone, Debug)]
pub(crate) struct KnownOp {
    pub(crate) seq: Option<u64>,
    pub(crate) op: Op,
}

/// A space's membership, replayed, with the keys this device can open.
#[derive(Debug)]
pub(crate) struct SpaceMembers {
    pub(crate) space: SpaceId,
    /// Every known op in replay order: the relay's log, then ops only known here.
    pub(crate) ops: Vec<KnownOp>,
    /// Replay of every known op.
    pub(crate) state: Membership,
    /// Replay of the ops the relay has sequenced.
    pub(crate) sequenced: Membership,
    /// The highest sequence number among `sequenced`'s ops.
    pub(crate) last_op_seq: u64,
    /// Space keys opened from shares to this device or its invitation keys.
    pub(crate) keys: BTreeMap<KeyId, SpaceKey>,
}

impl SpaceMembers {
    /// Replays `ops` and opens every share this device (or an invitation it redeemed)
    /// can open.
    pub(crate) fn build(
        space: SpaceId,
        mut ops: Vec<KnownOp>,
        me: &DeviceKey,
        invitations: &[DeviceKey],
    ) -> Self {
        // Stable: ops only known here keep the order they were made in.
        ops.sort_by_key(|k| k.seq.unwrap_or(u64::MAX));
        let all: Vec<Op> = ops.iter().map(|k| k.op.clone()).collect();
        let state = Membership::replay(space, &all);
        let (sequenced, last_op_seq) = replay_before(space, &ops, u64::MAX);
        let mut keys = BTreeMap::new();
        for holder in std::iter::once(me).chain(invitations) {
            for share in state.readable_shares_to(&holder.device_id()) {
                match share.open(space, holder) {
                    Ok(key) => {
                        keys.entry(share.key).or_insert(key);
                    }
                    Err(error) => tracing::warn!(%space, key = %share.key, %error, "key share does not open"),
                }
            }
        }
        Self {
            space,
            ops,
            state,
            sequenced,
            last_op_seq,
            keys,
        }
    }

    /// The membership the relay's log describes just before sequence `seq`.
    pub(crate) fn sequenced_before(&self, seq: u64) -> std::borrow::Cow<'_, Membership> {
        if self.last_op_seq < seq {
            std::borrow::Cow::Borrowed(&self.sequenced)
        } else {
            std::borrow::Cow::Owned(replay_before(self.space, &self.ops, seq).0)
        }
    }

    /// The newest key (in log order) this device holds: what it seals with.
    pub(crate) fn writing_key(&self) -> Option<(KeyId, &SpaceKey)> {
        self.state
            .keys()
            .iter()
            .rev()
            .find_map(|id| self.keys.get(id).map(|k| (*id, k)))
    }

    /// Every key held, sealed to `recipient`.
    pub(crate) fn seal_all(&self, recipient: DeviceId, x25519: &[u8; 32]) -> Result<Vec<KeyShare>, Error> {
        self.keys
            .iter()
            .map(|(id, key)| seal_share(self.space, *id, key, recipient, x25519))
            .collect()
    }

    /// `key` sealed to every device still in the space and every open invitation
    /// (not expired at `now`), except `leaving`.
    pub(crate) fn seal_to_everyone(
        &self,
        key_id: KeyId,
        key: &SpaceKey,
        leaving: &[DeviceId],
        now: i64,
    ) -> Result<Vec<KeyShare>, Error> {
        let devices = self
            .state
            .active_devices()
            .map(|(id, d)| (*id, d.x25519))
            .filter(|(id, _)| !leaving.contains(id));
        let invitations = self
            .state
            .invitations()
            .iter()
            .filter(|(_, i)| i.open() && i.expires >= now)
            .map(|(id, i)| (*id, i.x25519));
        devices
            .chain(invitations)
            .map(|(id, x25519)| seal_share(self.space, key_id, key, id, &x25519))
            .collect()
    }
}

/// Seals `key` to one recipient, as an error of ours when its X25519 key is unusable.
pub(crate) fn seal_share(
    space: SpaceId,
    key_id: KeyId,
    key: &SpaceKey,
    recipient: DeviceId,
    x25519: &[u8; 32],
) -> Result<KeyShare, Error> {
    KeyShare::seal(space, key_id, key, recipient, x25519)
        .map_err(|e| Error::InvalidInput(format!("cannot seal a key share: {e}")))
}

/// Replays the sequenced ops placed before `seq`; returns it with the last op's seq.
fn replay_before(space: SpaceId, ops: &[KnownOp], seq: u64) -> (Membership, u64) {
    let mut last = 0;
    let before: Vec<Op> = ops
        .iter()
        .filter_map(|k| match k.seq {
            Some(s) if s < seq => {
                last = last.max(s);
                Some(k.op.clone())
            }
            _ => None,
        })
        .collect();
    (Membership::replay(space, &before), last)
}

/// A member as the members list shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    /// Member id (hex).
    pub id: String,
    /// Full name.
    pub name: String,
    /// Organisation (commune, office...).
    pub organisation: String,
    /// Function.
    pub function: String,
    /// Role.
    pub role: Role,
    /// Their devices still in the space (hex ids).
    pub devices: Vec<String>,
    /// Removed from the space (listed so that their earlier work stays attributed).
    pub removed: bool,
    /// This profile.
    pub is_me: bool,
}

impl MemberView {
    pub(crate) fn new(id: &MemberId, member: &Member, me: Option<MemberId>) -> Self {
        Self {
            id: id.to_string(),
            name: member.info.name.clone(),
            organisation: member.info.organisation.clone(),
            function: member.info.function.clone(),
            role: member.role,
            devices: member.devices.iter().map(ToString::to_string).collect(),
            removed: member.removed,
            is_me: me == Some(*id),
        }
    }
}

/// An invitation as admins see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationView {
    /// The invitation key (hex): what `revoke` takes.
    pub id: String,
    /// The role it grants.
    pub role: Role,
    /// A second device of an existing member rather than a new person.
    pub for_device: bool,
    /// When the relay stops accepting it (RFC 3339).
    pub expires: String,
    /// Redeemed.
    pub used: bool,
    /// Withdrawn.
    pub revoked: bool,
    /// Dead with the removal of the device or member who made it.
    pub dead: bool,
}

impl InvitationView {
    pub(crate) fn new(id: &DeviceId, invitation: &bastide_proto::membership::Invitation) -> Self {
        let expires = time::OffsetDateTime::from_unix_timestamp(invitation.expires)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default();
        Self {
            id: id.to_string(),
            role: invitation.role,
            for_device: invitation.member.is_some(),
            expires,
            used: invitation.used,
            revoked: invitation.revoked,
            dead: invitation.dead,
        }
    }
}

/// Every op stored for `space`, in storage order.
pub(crate) async fn load_ops(conn: &mut SqliteConnection, space: SpaceId) -> Result<Vec<KnownOp>, Error> {
    let rows: Vec<(Option<i64>, Vec<u8>)> =
        sqlx::query_as("SELECT seq, bytes FROM ops WHERE space = ? ORDER BY ord")
            .bind(space.0.as_slice())
            .fetch_all(&mut *conn)
            .await?;
    let mut ops = Vec::with_capacity(rows.len());
    for (seq, bytes) in rows {
        match Op::from_bytes(&bytes) {
            Ok(op) => ops.push(KnownOp {
                seq: seq.and_then(|s| u64::try_from(s).ok()),
                op,
            }),
            Err(error) => tracing::error!(%space, %error, "stored membership op does not decode"),
        }
    }
    Ok(ops)
}

/// Stores `op` (or, if it is known, records its sequence number).
pub(crate) async fn store_op(
    conn: &mut SqliteConnection,
    space: SpaceId,
    op: &Op,
    seq: Option<u64>,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO ops (id, space, seq, bytes) VALUES (?, ?, ?, ?) \
         ON CONFLICT(id) DO UPDATE SET seq = COALESCE(excluded.seq, ops.seq)",
    )
    .bind(op.id().0.as_slice())
    .bind(space.0.as_slice())
    .bind(seq.and_then(|s| i64::try_from(s).ok()))
    .bind(op.to_bytes())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The invitation keys this device redeemed in `space`. They are stored sealed to the
/// device's own key (which lives in the OS keyring), like a key share to itself.
pub(crate) async fn load_invitation_keys(
    conn: &mut SqliteConnection,
    space: SpaceId,
    me: &DeviceKey,
) -> Result<Vec<DeviceKey>, Error> {
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT sealed FROM invitation_keys WHERE space = ?")
        .bind(space.0.as_slice())
        .fetch_all(&mut *conn)
        .await?;
    let mut keys = Vec::new();
    for (sealed,) in rows {
        let opened = postcard::from_bytes::<KeyShare>(&sealed)
            .ok()
            .and_then(|share| share.open(space, me).ok());
        match opened {
            Some(secret) => keys.push(DeviceKey::from_secret(&secret.0)),
            None => tracing::warn!(%space, "a stored invitation key does not open with this device's key"),
        }
    }
    Ok(keys)
}

/// Keeps an invitation key this device redeemed, sealed to the device.
pub(crate) async fn store_invitation_key(
    conn: &mut SqliteConnection,
    space: SpaceId,
    me: &DeviceKey,
    invitation: &DeviceKey,
) -> Result<(), Error> {
    let share = KeyShare::seal(
        space,
        KeyId(0),
        &SpaceKey(invitation.secret()),
        me.device_id(),
        &me.x25519_public(),
    )
    .map_err(|e| Error::InvalidInput(format!("cannot seal the invitation key: {e}")))?;
    let sealed = postcard::to_stdvec(&share).map_err(|e| Error::InvalidInput(e.to_string()))?;
    sqlx::query("INSERT INTO invitation_keys (space, sealed) VALUES (?, ?)")
        .bind(space.0.as_slice())
        .bind(sealed)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
