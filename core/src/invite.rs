//! Invitation codes: everything a new person or device needs to join.
//!
//! A code carries the secret half of a one-time invitation key. The admin (or, for a
//! second device, the member) published the invitation in the space's membership log,
//! with the space keys sealed to that key, so the newcomer can join and read while the
//! inviter is offline. The relay accepts the invitation once, before it expires.

use bastide_proto::membership::Role;
use bastide_proto::{DeviceKey, MemberId, OpId, RelayAddr, SpaceId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::Error;

/// What every invitation code starts with; the digit is the format version.
pub const PREFIX: &str = "BSTD1-";

/// How long a code stays valid by default: a week covers a code sent on Monday and
/// used at the next weekly meeting.
pub const DEFAULT_VALIDITY: time::Duration = time::Duration::days(7);

/// The longest validity an admin may choose.
pub const MAX_VALIDITY_DAYS: i64 = bastide_proto::membership::MAX_INVITATION_DAYS;

/// One space an invitation opens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitedSpace {
    /// The relay, with its pinned certificate fingerprint.
    pub relay: String,
    /// The space.
    pub space: SpaceId,
    /// The space's name, shown before joining.
    pub name: String,
    /// The invitation op in the space's log, which the newcomer's op follows.
    pub op: OpId,
    /// For a second device: the member it joins as.
    pub member: Option<MemberId>,
}

/// The decoded content of an invitation code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// The invitation key's secret.
    pub secret: [u8; 32],
    /// The role granted (for a second device: the member's role when it was made).
    pub role: Role,
    /// Unix time after which the code is refused.
    pub expires: i64,
    /// The spaces it opens: one for a person, every space of the member for a device.
    pub spaces: Vec<InvitedSpace>,
}

impl Invitation {
    /// The code to give to the invitee.
    pub fn encode(&self) -> String {
        // Serialising a plain struct into a Vec cannot fail.
        let mut body = postcard::to_stdvec(self).unwrap_or_default();
        let check = blake3::hash(&body);
        body.extend_from_slice(&check.as_bytes()[..4]);
        format!("{PREFIX}{}", data_encoding::BASE64URL_NOPAD.encode(&body))
    }

    /// Reads a code, checking its integrity and expiry at `now`.
    pub fn decode(code: &str, now: OffsetDateTime) -> Result<Self, Error> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let body = code
            .strip_prefix(PREFIX)
            .ok_or(Error::InvalidInvitation("it does not start with BSTD1-"))?;
        let bytes = data_encoding::BASE64URL_NOPAD
            .decode(body.as_bytes())
            .map_err(|_| Error::InvalidInvitation("it contains characters that do not belong"))?;
        if bytes.len() < 5 {
            return Err(Error::InvalidInvitation("it is too short"));
        }
        let (body, check) = bytes.split_at(bytes.len() - 4);
        if &blake3::hash(body).as_bytes()[..4] != check {
            return Err(Error::InvalidInvitation("it is incomplete or mistyped"));
        }
        let invitation: Self =
            postcard::from_bytes(body).map_err(|_| Error::InvalidInvitation("its content is unreadable"))?;
        if invitation.spaces.is_empty() {
            return Err(Error::InvalidInvitation("it opens no space"));
        }
        for space in &invitation.spaces {
            space
                .relay
                .parse::<RelayAddr>()
                .map_err(|_| Error::InvalidInvitation("its relay address is unreadable"))?;
        }
        if now.unix_timestamp() > invitation.expires {
            let when = OffsetDateTime::from_unix_timestamp(invitation.expires)
                .ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                .unwrap_or_default();
            return Err(Error::ExpiredInvitation(when));
        }
        Ok(invitation)
    }

    /// The invitation key.
    pub fn key(&self) -> DeviceKey {
        DeviceKey::from_secret(&self.secret)
    }

    /// Whether it makes a second device of an existing member.
    pub fn is_device(&self) -> bool {
        self.spaces.iter().any(|s| s.member.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(expires: i64) -> Invitation {
        Invitation {
            secret: [7; 32],
            role: Role::Editor,
            expires,
            spaces: vec![InvitedSpace {
                relay: RelayAddr {
                    host: "127.0.0.1".into(),
                    port: 4433,
                    fingerprint: [1; 32],
                }
                .to_string(),
                space: SpaceId::random(),
                name: "Pays — agents".into(),
                op: OpId([3; 32]),
                member: None,
            }],
        }
    }

    #[test]
    fn codes_round_trip() {
        let now = OffsetDateTime::now_utc();
        let inv = sample(now.unix_timestamp() + 60);
        let code = inv.encode();
        assert!(code.starts_with(PREFIX));
        assert_eq!(Invitation::decode(&code, now).unwrap(), inv);
        // Copy-pasting across lines adds whitespace; it must not matter.
        let spaced = format!(" {}\n{} ", &code[..20], &code[20..]);
        assert_eq!(Invitation::decode(&spaced, now).unwrap(), inv);
    }

    #[test]
    fn mistyped_codes_are_refused() {
        let now = OffsetDateTime::now_utc();
        let code = sample(now.unix_timestamp() + 60).encode();
        let mut chars: Vec<char> = code.chars().collect();
        let i = chars.len() / 2;
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        let typo: String = chars.into_iter().collect();
        assert!(matches!(
            Invitation::decode(&typo, now),
            Err(Error::InvalidInvitation(_))
        ));
        assert!(matches!(
            Invitation::decode("hello", now),
            Err(Error::InvalidInvitation(_))
        ));
        assert!(matches!(
            Invitation::decode(&code[..code.len() - 3], now),
            Err(Error::InvalidInvitation(_))
        ));
    }

    #[test]
    fn expired_codes_are_refused() {
        let now = OffsetDateTime::now_utc();
        let code = sample(now.unix_timestamp() - 1).encode();
        assert!(matches!(
            Invitation::decode(&code, now),
            Err(Error::ExpiredInvitation(_))
        ));
    }
}
