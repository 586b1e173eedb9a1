//! Changes from other members set aside instead of applied (see `crate::guard` and
//! the `quarantine` table): kept, listed, never in the way of the rest.

use bastide_proto::{DeviceId, SpaceId};
use serde::Serialize;

use super::Profile;
use crate::error::Error;

/// A change set aside, for the app and `bastide sync`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetAsideEntry {
    /// The space (hex).
    pub space: String,
    /// Its place in the space's log.
    pub seq: u64,
    /// The item it was for (hex).
    pub item: String,
    /// Its author's name, as the membership log gives it.
    pub by: String,
    /// Its author's device (hex).
    pub device: String,
    /// Why, in English, for the logs and whoever investigates.
    pub reason: String,
    /// When it was set aside (RFC 3339, UTC).
    pub at: String,
}

impl SetAsideEntry {
    /// What the app and `bastide sync` say of it.
    pub fn sentence(&self) -> String {
        set_aside_sentence(&self.by, self.reason.starts_with(super::apply::RULE))
    }
}

/// What the app says of a change set aside by `by`: unreadable, or (`rule`) refused
/// because it breaks its item's rule.
pub fn set_aside_sentence(by: &str, rule: bool) -> String {
    let by = if by.is_empty() { "un membre" } else { by };
    if rule {
        format!("Une modification de {by} a été refusée : elle ne respecte pas les règles de l’élément.")
    } else {
        format!("Un changement illisible de {by} a été mis de côté.")
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
    item: Vec<u8>,
    author: Vec<u8>,
    reason: String,
    at: String,
}

impl Profile {
    /// The changes of `space` set aside, oldest first.
    pub async fn set_aside(&self, space: SpaceId) -> Result<Vec<SetAsideEntry>, Error> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT seq, item, author, reason, at FROM quarantine WHERE space = ? ORDER BY seq",
        )
        .bind(space.0.as_slice())
        .fetch_all(&self.pool)
        .await?;
        let members = self.members_of(space).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let device = DeviceId(row.author.try_into().ok()?);
                Some(SetAsideEntry {
                    space: space.to_string(),
                    seq: u64::try_from(row.seq).ok()?,
                    item: hex::encode(row.item),
                    by: members.state.name_of(&device).unwrap_or_default().to_owned(),
                    device: device.to_string(),
                    reason: row.reason,
                    at: row.at,
                })
            })
            .collect())
    }
}
