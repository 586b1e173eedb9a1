//! The board's announcements: the same write path as every item; their author (or an
//! admin) closes, renews or changes them.

use bastide_proto::membership::Role;
use bastide_proto::{DeviceId, ItemId, SpaceId};
use time::{Duration, OffsetDateTime};

use super::Profile;
use crate::board::{self, Ad, AdFilter, AdInput};
use crate::error::Error;

impl Profile {
    /// Posts an announcement.
    pub async fn add_ad(&self, space: SpaceId, input: AdInput) -> Result<Ad, Error> {
        let checked = input.check(OffsetDateTime::now_utc().date())?;
        let id = self
            .create_item(space, board::KIND, |doc, by, now| {
                board::write(doc, &checked, by, now)
            })
            .await?;
        self.ad(space, id).await
    }

    /// Changes an announcement. Its author or an admin.
    pub async fn update_ad(&self, space: SpaceId, id: ItemId, input: AdInput) -> Result<Ad, Error> {
        let checked = input.check(OffsetDateTime::now_utc().date())?;
        self.must_be_author_or_admin(space, id).await?;
        self.edit_item(space, id, board::KIND, |doc, by, now| {
            board::write(doc, &checked, by, now)
        })
        .await?;
        self.ad(space, id).await
    }

    /// Closes an announcement (filled, found, sold). Its author or an admin.
    pub async fn close_ad(&self, space: SpaceId, id: ItemId) -> Result<Ad, Error> {
        self.must_be_author_or_admin(space, id).await?;
        self.edit_item(space, id, board::KIND, |doc, by, now| {
            board::write_state(doc, true, None, by, now)
        })
        .await?;
        self.ad(space, id).await
    }

    /// Renews an announcement for `days` from today (30 if none), reopening it. Its
    /// author or an admin.
    pub async fn renew_ad(&self, space: SpaceId, id: ItemId, days: Option<u32>) -> Result<Ad, Error> {
        let days = i64::from(days.unwrap_or(30));
        if !(1..=366).contains(&days) {
            return Err(Error::InvalidInput(
                "an announcement is renewed for 1 to 366 days".into(),
            ));
        }
        self.must_be_author_or_admin(space, id).await?;
        let until = OffsetDateTime::now_utc().date() + Duration::days(days);
        self.edit_item(space, id, board::KIND, |doc, by, now| {
            board::write_state(doc, false, Some(until), by, now)
        })
        .await?;
        self.ad(space, id).await
    }

    /// The announcements of a space, newest first, filtered; by default those open.
    pub async fn ads(&self, space: SpaceId, filter: &AdFilter) -> Result<Vec<Ad>, Error> {
        self.space(space).await?;
        let today = crate::cantine::day_text(OffsetDateTime::now_utc().date());
        let mut ads = {
            let mut conn = self.pool.acquire().await?;
            board::list(&mut conn, space, filter, None, &today).await?
        };
        self.name_ad_authors(space, &mut ads).await?;
        Ok(ads)
    }

    /// One announcement.
    pub async fn ad(&self, space: SpaceId, id: ItemId) -> Result<Ad, Error> {
        let all = AdFilter {
            all: true,
            ..AdFilter::default()
        };
        let today = crate::cantine::day_text(OffsetDateTime::now_utc().date());
        let mut found = {
            let mut conn = self.pool.acquire().await?;
            board::list(&mut conn, space, &all, Some(id), &today).await?
        };
        self.name_ad_authors(space, &mut found).await?;
        found.pop().ok_or_else(|| Error::ItemNotFound(id.to_string()))
    }

    async fn name_ad_authors(&self, space: SpaceId, ads: &mut [Ad]) -> Result<(), Error> {
        let members = self.members_of(space).await?;
        let me = members.state.member_of(&self.device_id()).map(|(m, _)| m);
        for ad in ads {
            if let Ok(device) = ad.author_device.parse::<DeviceId>() {
                ad.author = members.state.name_of(&device).unwrap_or_default().to_owned();
                ad.mine = me.is_some() && members.state.member_of(&device).map(|(m, _)| m) == me;
            }
        }
        Ok(())
    }

    /// Refuses unless this profile's member wrote the item first, or is an admin.
    pub(super) async fn must_be_author_or_admin(&self, space: SpaceId, id: ItemId) -> Result<(), Error> {
        let author = {
            let mut conn = self.pool.acquire().await?;
            crate::modules::first_author(&mut conn, id).await?
        };
        if self.is_same_member(space, &author).await? {
            return Ok(());
        }
        if self.my_role(space).await? == Some(Role::Admin) {
            return Ok(());
        }
        Err(Error::NotAllowed(
            "only its author or an admin may do this".into(),
        ))
    }

    /// Whether `device` (bytes, as stored) belongs to this profile's member.
    pub(super) async fn is_same_member(&self, space: SpaceId, device: &[u8]) -> Result<bool, Error> {
        let members = self.members_of(space).await?;
        let member = |d: &DeviceId| members.state.member_of(d).map(|(m, _)| m);
        let mine = member(&self.device_id());
        Ok(<[u8; 32]>::try_from(device)
            .ok()
            .map(DeviceId)
            .and_then(|d| member(&d))
            .is_some_and(|m| Some(m) == mine))
    }
}
