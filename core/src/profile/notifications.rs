//! This computer's notification list, and muting a space's desktop notifications.

use bastide_proto::{ItemId, SpaceId};
use serde::Serialize;

use super::Profile;
use crate::error::Error;

/// How many notifications the list keeps: older ones are dropped.
const KEEP: i64 = 500;

/// One notification in the in-app list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Its number, increasing.
    pub id: i64,
    /// The space (hex).
    pub space: String,
    /// The space's name.
    pub space_name: String,
    /// The item it is about (hex).
    pub item: String,
    /// The module, as the desktop notification's title says (Agenda, Documents...).
    pub module: String,
    /// What happened.
    pub body: String,
    /// When it arrived (RFC 3339, UTC).
    pub at: String,
    /// Seen in the list.
    pub read: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    space: Vec<u8>,
    name: String,
    item: Vec<u8>,
    module: String,
    body: String,
    at: String,
    read: bool,
}

impl Profile {
    /// Adds a notification to the list; returns whether the space is muted (then no
    /// desktop notification is shown).
    pub async fn record_notification(
        &self,
        space: SpaceId,
        item: ItemId,
        module: &str,
        body: &str,
    ) -> Result<bool, Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO notifications (space, item, module, body, at) VALUES (?, ?, ?, ?, ?)")
            .bind(space.0.as_slice())
            .bind(item.0.as_slice())
            .bind(module)
            .bind(body)
            .bind(super::now_text())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM notifications WHERE id <= (SELECT MAX(id) FROM notifications) - ?")
            .bind(KEEP)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.space_muted(space).await
    }

    /// The latest notifications, newest first.
    pub async fn notifications(&self, limit: u32) -> Result<Vec<Notification>, Error> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT n.id, n.space, s.name AS name, n.item, n.module, n.body, n.at, n.read
             FROM notifications n JOIN spaces s ON s.id = n.space ORDER BY n.id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Notification {
                id: r.id,
                space: hex::encode(r.space),
                space_name: r.name,
                item: hex::encode(r.item),
                module: r.module,
                body: r.body,
                at: r.at,
                read: r.read,
            })
            .collect())
    }

    /// How many notifications are unread.
    pub async fn unread_notifications(&self) -> Result<u64, Error> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE read = 0")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Marks every notification up to `id` read (all of them if `None`).
    pub async fn mark_notifications_read(&self, up_to: Option<i64>) -> Result<(), Error> {
        sqlx::query("UPDATE notifications SET read = 1 WHERE read = 0 AND id <= ?")
            .bind(up_to.unwrap_or(i64::MAX))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Mutes (or unmutes) a space's desktop notifications on this computer; they
    /// still go to the list.
    pub async fn set_space_muted(&self, space: SpaceId, muted: bool) -> Result<(), Error> {
        self.space(space).await?;
        sqlx::query(
            "INSERT INTO space_settings (space, muted) VALUES (?, ?)
             ON CONFLICT(space) DO UPDATE SET muted = excluded.muted",
        )
        .bind(space.0.as_slice())
        .bind(muted)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether a space's desktop notifications are muted here.
    pub async fn space_muted(&self, space: SpaceId) -> Result<bool, Error> {
        let row: Option<(bool,)> = sqlx::query_as("SELECT muted FROM space_settings WHERE space = ?")
            .bind(space.0.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some_and(|(m,)| m))
    }
}
