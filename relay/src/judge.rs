//! What the relay stores: each pushed record judged against the membership at the
//! log's head, exactly as every client judges it again when it replays the log.

use bastide_proto::membership::{Membership, Op, OpBody};
use bastide_proto::wire::Refusal;
use bastide_proto::{DeviceId, Entry, KeyId};

/// A ballot is stored if its device belongs to a member of the space now (any role:
/// readers vote), sealed under a key of the space. Returns the voting member.
pub(crate) fn judge_ballot(
    members: Option<&Membership>,
    device: &DeviceId,
    key: KeyId,
) -> Result<bastide_proto::MemberId, (Refusal, String)> {
    let Some(members) = members else {
        return Err((Refusal::UnknownSpace, "no such space".into()));
    };
    if members.role_of(device).is_none() {
        return Err((Refusal::NotMember, "voter is not a member".into()));
    }
    let Some((member, _)) = members.member_of(device) else {
        return Err((Refusal::NotMember, "voter is not a member".into()));
    };
    if !members.keys().contains(&key) {
        return Err((
            Refusal::Membership(bastide_proto::membership::Rejection::UnknownKey),
            format!("ballot sealed under unknown key {key}"),
        ));
    }
    Ok(member)
}

pub(crate) type Judgement = Result<(), (Refusal, String)>;

/// An entry is stored if its author may write in the space now, under a key of the
/// space. Returns no membership change.
pub(crate) fn judge_entry(members: Option<&Membership>, entry: &Entry) -> Judgement {
    let Some(members) = members else {
        return Err((Refusal::UnknownSpace, "no such space".into()));
    };
    match members.role_of(&entry.header.author) {
        None => Err((Refusal::NotMember, "author is not a member".into())),
        // A reader comments: the relay tells a comment apart by its signed kind, and
        // every client accepts it only as a comment by that reader.
        Some(role) if !role.writes() && entry.header.kind != bastide_proto::EntryKind::Comment => {
            Err((Refusal::NotAllowed, "readers do not write, they comment".into()))
        }
        Some(_) if !members.keys().contains(&entry.header.key) => Err((
            Refusal::Membership(bastide_proto::membership::Rejection::UnknownKey),
            format!("entry sealed under unknown key {}", entry.header.key),
        )),
        Some(_) => Ok(()),
    }
}

/// An op is stored if it applies at the log's head: the relay's arrival order decides
/// between concurrent ops, and nothing stored after can change an earlier verdict. A
/// forged, unauthorised or stale op (a removed admin signing after an old head) is
/// refused here. Returns the membership with the op.
pub(crate) fn judge_op(members: Option<&Membership>, op: &Op, now: i64) -> Judgement {
    use bastide_proto::membership::Rejection;
    let fresh;
    let state = match (members, op.body()) {
        (Some(_), OpBody::Genesis { .. }) => {
            return Err((Refusal::SpaceExists, "the space exists already".into()));
        }
        (None, OpBody::Genesis { .. }) => {
            fresh = Membership::new(op.space());
            &fresh
        }
        (None, _) => return Err((Refusal::UnknownSpace, "no such space".into())),
        (Some(members), _) => members,
    };
    match op.body() {
        OpBody::Redeem { .. } => {
            if let Some(i) = state.invitations().get(&op.author())
                && i.open()
                && i.expires < now
            {
                return Err((Refusal::InvitationExpired, "the invitation has expired".into()));
            }
        }
        OpBody::Invite { expires, .. } if *expires > now + MAX_INVITATION_SECS => {
            return Err((
                Refusal::NotAllowed,
                format!(
                    "an invitation is valid {} days at most",
                    bastide_proto::membership::MAX_INVITATION_DAYS
                ),
            ));
        }
        _ => {}
    }
    match state.judge(op) {
        Ok(()) => Ok(()),
        Err(Rejection::UnknownParent) => Err((
            Refusal::UnknownParent,
            "operation after unknown operations".into(),
        )),
        Err(rejection) => Err((Refusal::Membership(rejection), rejection.to_string())),
    }
}

/// The longest an invitation may stay valid, with a day's grace for clocks that differ.
const MAX_INVITATION_SECS: i64 = (bastide_proto::membership::MAX_INVITATION_DAYS + 1) * 86_400;
