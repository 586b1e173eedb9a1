//! Planning: teams and their weekly rotas, on-call rosters and swaps. Rotas' weeks
//! have ids every computer derives the same way.

use std::path::Path;

use bastide_proto::{DeviceId, ItemId, MemberId, SpaceId};
use time::{Duration, OffsetDateTime};

use super::Profile;
use crate::error::Error;
use crate::planning::{self, Roster, RotaWeek, Team, TeamInput};

impl Profile {
    /// Adds a team.
    pub async fn add_team(&self, space: SpaceId, input: TeamInput) -> Result<Team, Error> {
        let checked = input.check()?;
        let id = self
            .create_item(space, planning::TEAM, |doc, by, now| {
                planning::write_team(doc, &checked, by, now)
            })
            .await?;
        self.team(space, id).await
    }

    /// Changes a team's name, people or shifts.
    pub async fn update_team(&self, space: SpaceId, id: ItemId, input: TeamInput) -> Result<Team, Error> {
        let checked = input.check()?;
        self.edit_item(space, id, planning::TEAM, |doc, by, now| {
            planning::write_team(doc, &checked, by, now)
        })
        .await?;
        self.team(space, id).await
    }

    /// One team.
    pub async fn team(&self, space: SpaceId, id: ItemId) -> Result<Team, Error> {
        let doc = self
            .read_doc(space, id, planning::TEAM)
            .await?
            .ok_or_else(|| Error::ItemNotFound(id.to_string()))?;
        Ok(planning::read_team(&doc, space, id))
    }

    /// The teams of a space, by name.
    pub async fn teams(&self, space: SpaceId) -> Result<Vec<Team>, Error> {
        self.space(space).await?;
        let ids = {
            let mut conn = self.pool.acquire().await?;
            planning::list(&mut conn, space, planning::TEAM).await?
        };
        let mut teams = Vec::with_capacity(ids.len());
        for id in ids {
            teams.push(self.team(space, id).await?);
        }
        Ok(teams)
    }

    /// The week holding `day` (YYYY-MM-DD) of a team's rota.
    pub async fn rota_week(&self, space: SpaceId, team: ItemId, day: &str) -> Result<RotaWeek, Error> {
        let found = self.team(space, team).await?;
        let monday = planning::monday_of(crate::bookings::parse_day(day)?);
        self.week_of(space, &found, monday).await
    }

    /// A team's week starting on `monday`, the team already read.
    async fn week_of(&self, space: SpaceId, team: &Team, monday: time::Date) -> Result<RotaWeek, Error> {
        let id: ItemId = team.id.parse()?;
        let on = self
            .read_doc(space, planning::week_id(id, monday), planning::WEEK)
            .await?
            .map(|doc| planning::read_cells(&doc))
            .unwrap_or_default();
        Ok(planning::week_view(team, monday, &on))
    }

    /// Writes cells into a team's week (an item every computer derives the same way)
    /// and returns the week.
    async fn write_week(
        &self,
        space: SpaceId,
        team: &Team,
        monday: time::Date,
        cells: &[(time::Date, String, String, bool)],
    ) -> Result<RotaWeek, Error> {
        let id: ItemId = team.id.parse()?;
        self.put_item(
            space,
            planning::week_id(id, monday),
            planning::WEEK,
            |doc, by, now| planning::write_cells(doc, id, monday, cells, by, now),
        )
        .await?;
        self.week_of(space, team, monday).await
    }

    /// Puts a person on a shift on a day (or off it).
    pub async fn set_rota(
        &self,
        space: SpaceId,
        team: ItemId,
        day: &str,
        person: &str,
        shift: &str,
        on: bool,
    ) -> Result<RotaWeek, Error> {
        let found = self.team(space, team).await?;
        let date = crate::bookings::parse_day(day)?;
        if !found.fields.people.iter().any(|p| p == person) || !found.fields.shifts.iter().any(|s| s == shift)
        {
            return Err(Error::InvalidInput(format!(
                "{person:?} or {shift:?} is not in the team {}",
                found.fields.name
            )));
        }
        let cells = [(date, person.to_owned(), shift.to_owned(), on)];
        self.write_week(space, &found, planning::monday_of(date), &cells)
            .await
    }

    /// Makes the week holding `day` like the week before it.
    pub async fn copy_previous_week(
        &self,
        space: SpaceId,
        team: ItemId,
        day: &str,
    ) -> Result<RotaWeek, Error> {
        let found = self.team(space, team).await?;
        let monday = planning::monday_of(crate::bookings::parse_day(day)?);
        let before = self.week_of(space, &found, monday - Duration::days(7)).await?;
        let mut cells = Vec::new();
        for offset in 0..7 {
            let (from, to) = (
                monday - Duration::days(7 - offset),
                monday + Duration::days(offset),
            );
            for person in &found.fields.people {
                let key = format!("{}|{person}", crate::cantine::day_text(from));
                let on_before = before.cells.get(&key);
                for shift in &found.fields.shifts {
                    let on = on_before.is_some_and(|s| s.contains(shift));
                    cells.push((to, person.clone(), shift.clone(), on));
                }
            }
        }
        self.write_week(space, &found, monday, &cells).await
    }

    /// Writes the week holding `day` as CSV to `out`, whole or not at all.
    pub async fn export_rota(
        &self,
        space: SpaceId,
        team: ItemId,
        day: &str,
        out: &Path,
    ) -> Result<RotaWeek, Error> {
        let week = self.rota_week(space, team, day).await?;
        let bytes = planning::rota_csv(&week);
        let out = out.to_owned();
        tokio::task::spawn_blocking(move || crate::export::write_file(&out, &bytes))
            .await
            .map_err(|e| Error::InvalidInput(format!("export task failed: {e}")))??;
        Ok(week)
    }

    /// Adds an on-call roster.
    pub async fn add_roster(&self, space: SpaceId, name: &str) -> Result<Roster, Error> {
        let id = self
            .create_item(space, planning::ROSTER, |doc, by, now| {
                planning::write_roster(doc, name, by, now)
            })
            .await?;
        self.roster(space, id).await
    }

    /// Sets a slot of a roster and the member on call then.
    pub async fn set_roster_slot(
        &self,
        space: SpaceId,
        roster: ItemId,
        start: &str,
        end: &str,
        member: MemberId,
    ) -> Result<Roster, Error> {
        let start = crate::agenda::parse_date(start)?;
        let end = crate::agenda::parse_date(end)?;
        if self
            .members_of(space)
            .await?
            .state
            .members()
            .get(&member)
            .is_none()
        {
            return Err(Error::ItemNotFound(member.to_string()));
        }
        let who = member.to_string();
        self.edit_item(space, roster, planning::ROSTER, |doc, by, now| {
            planning::write_slot(doc, start, end, &who, by, now)
        })
        .await?;
        self.roster(space, roster).await
    }

    /// Asks `to` to take the slot starting at `slot` that this member holds. Returns
    /// the roster; the swap is the last of its swaps.
    pub async fn request_swap(
        &self,
        space: SpaceId,
        roster: ItemId,
        slot: &str,
        to: MemberId,
    ) -> Result<Roster, Error> {
        let current = self.roster(space, roster).await?;
        let slot = crate::agenda::parse_date(slot).map(crate::fields::utc)?;
        let me = self.my_member(space).await?;
        let held = current.slots.iter().find(|s| s.start == slot);
        match held {
            None => return Err(Error::ItemNotFound(slot)),
            Some(s) if s.member != me.to_string() => {
                return Err(Error::NotAllowed(
                    "only the member on call can give the slot away".into(),
                ));
            }
            Some(_) => {}
        }
        if to == me {
            return Err(Error::InvalidInput("a swap is with another member".into()));
        }
        let id = ItemId::random().to_string();
        let (from, to) = (me.to_string(), to.to_string());
        self.edit_item(space, roster, planning::ROSTER, |doc, by, now| {
            planning::write_swap_request(doc, &id, &slot, &from, &to, by, now)
        })
        .await?;
        self.roster(space, roster).await
    }

    /// Accepts or refuses a swap asked of this member; its asker may withdraw it.
    pub async fn answer_swap(
        &self,
        space: SpaceId,
        roster: ItemId,
        swap: &str,
        accept: bool,
    ) -> Result<Roster, Error> {
        let current = self.roster(space, roster).await?;
        let me = self.my_member(space).await?.to_string();
        let found = current
            .swaps
            .iter()
            .find(|s| s.id == swap)
            .ok_or_else(|| Error::ItemNotFound(swap.to_owned()))?;
        let status = match (found.to == me, found.from == me, accept) {
            (true, _, true) => "accepted",
            (true, _, false) => "refused",
            (false, true, false) => "withdrawn",
            _ => return Err(Error::NotAllowed("only the member asked answers a swap".into())),
        };
        self.edit_item(space, roster, planning::ROSTER, |doc, by, now| {
            planning::write_swap_status(doc, swap, status, by, now)
        })
        .await?;
        self.roster(space, roster).await
    }

    /// One roster, names filled in, with who is on call now.
    pub async fn roster(&self, space: SpaceId, id: ItemId) -> Result<Roster, Error> {
        let doc = self
            .read_doc(space, id, planning::ROSTER)
            .await?
            .ok_or_else(|| Error::ItemNotFound(id.to_string()))?;
        let now = crate::fields::utc(OffsetDateTime::now_utc());
        let mut roster = planning::read_roster(&doc, space, id, &now);
        let members = self.members_of(space).await?;
        let name = |hex: &str| {
            hex.parse::<MemberId>()
                .ok()
                .and_then(|m| members.state.members().get(&m).map(|m| m.info.name.clone()))
                .unwrap_or_default()
        };
        for slot in roster.slots.iter_mut().chain(roster.now.as_mut()) {
            slot.name = name(&slot.member);
        }
        for swap in &mut roster.swaps {
            swap.from_name = name(&swap.from);
            swap.to_name = name(&swap.to);
        }
        Ok(roster)
    }

    /// The rosters of a space, by name.
    pub async fn rosters(&self, space: SpaceId) -> Result<Vec<Roster>, Error> {
        self.space(space).await?;
        let ids = {
            let mut conn = self.pool.acquire().await?;
            planning::list(&mut conn, space, planning::ROSTER).await?
        };
        let mut rosters = Vec::with_capacity(ids.len());
        for id in ids {
            rosters.push(self.roster(space, id).await?);
        }
        Ok(rosters)
    }

    /// This profile's member in `space`.
    async fn my_member(&self, space: SpaceId) -> Result<MemberId, Error> {
        let device: DeviceId = self.device_id();
        self.members_of(space)
            .await?
            .state
            .member_of(&device)
            .map(|(m, _)| m)
            .ok_or(Error::NotMember(space))
    }
}
