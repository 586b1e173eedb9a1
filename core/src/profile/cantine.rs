//! Cantine sites and meal counts: the same write path as every item; month sheets
//! have ids every computer derives the same way.

use std::path::Path;

use bastide_proto::{DeviceId, ItemId, SpaceId};

use super::Profile;
use crate::cantine::{self, ExportFormat, MealMonth, Site, SiteInput};
use crate::error::Error;

impl Profile {
    /// Adds a site.
    pub async fn add_cantine_site(&self, space: SpaceId, input: SiteInput) -> Result<Site, Error> {
        let checked = input.check()?;
        let id = self
            .create_item(space, cantine::SITE, |doc, by, now| {
                cantine::write_site(doc, &checked, by, now)
            })
            .await?;
        self.cantine_site(space, id).await
    }

    /// Renames a site or changes its categories. Counts of a removed category stay
    /// stored (and come back with it).
    pub async fn update_cantine_site(
        &self,
        space: SpaceId,
        id: ItemId,
        input: SiteInput,
    ) -> Result<Site, Error> {
        let checked = input.check()?;
        self.edit_item(space, id, cantine::SITE, |doc, by, now| {
            cantine::write_site(doc, &checked, by, now)
        })
        .await?;
        self.cantine_site(space, id).await
    }

    /// Marks days from `from` to `to` (YYYY-MM-DD, included) closed, or open again.
    pub async fn set_cantine_closed(
        &self,
        space: SpaceId,
        id: ItemId,
        from: &str,
        to: &str,
        closed: bool,
    ) -> Result<Site, Error> {
        let from = crate::bookings::parse_day(from)?;
        let to = crate::bookings::parse_day(to)?;
        self.edit_item(space, id, cantine::SITE, |doc, by, now| {
            cantine::write_closed(doc, from, to, closed, by, now)
        })
        .await?;
        self.cantine_site(space, id).await
    }

    /// The sites of a space, by name.
    pub async fn cantine_sites(&self, space: SpaceId) -> Result<Vec<Site>, Error> {
        self.space(space).await?;
        let mut conn = self.pool.acquire().await?;
        cantine::sites(&mut conn, space, false).await
    }

    /// One site.
    pub async fn cantine_site(&self, space: SpaceId, id: ItemId) -> Result<Site, Error> {
        let mut conn = self.pool.acquire().await?;
        cantine::site(&mut conn, space, id)
            .await?
            .ok_or_else(|| Error::ItemNotFound(id.to_string()))
    }

    /// Enters the count of one cell (a day and a category of a site). Entering a count
    /// in a cell with concurrent counts keeps this one only.
    pub async fn set_meal_count(
        &self,
        space: SpaceId,
        site: ItemId,
        day: &str,
        category: &str,
        count: i64,
    ) -> Result<MealMonth, Error> {
        let count = cantine::check_count(count)?;
        let day = crate::bookings::parse_day(day)?;
        let found = self.cantine_site(space, site).await?;
        if !found.categories.iter().any(|c| c == category) {
            return Err(Error::InvalidInput(format!(
                "{} has no category {category:?} ({})",
                found.name,
                found.categories.join(", ")
            )));
        }
        let month = cantine::day_text(day)[..7].to_owned();
        let id = cantine::month_id(site, &month);
        self.put_item(space, id, cantine::MONTH, |doc, by, now| {
            cantine::write_count(doc, site, day, category, count, by, now)
        })
        .await?;
        self.meal_month(space, site, &month).await
    }

    /// A site's month sheet (YYYY-MM), with who entered each concurrent count.
    pub async fn meal_month(&self, space: SpaceId, site: ItemId, month: &str) -> Result<MealMonth, Error> {
        let first = cantine::parse_month(month)?;
        let found = self.cantine_site(space, site).await?;
        let mut sheet = {
            let mut conn = self.pool.acquire().await?;
            cantine::month(&mut conn, &found, first).await?
        };
        if sheet.conflicts > 0 {
            let members = self.members_of(space).await?;
            for value in sheet
                .days
                .iter_mut()
                .flat_map(|d| d.cells.values_mut())
                .flat_map(|c| c.values.iter_mut())
            {
                if let Ok(device) = value.device.parse::<DeviceId>() {
                    value.author = members.state.name_of(&device).unwrap_or_default().to_owned();
                }
            }
        }
        Ok(sheet)
    }

    /// Writes a site's month sheet to `out`, whole or not at all. Cells in conflict
    /// export the value every computer shows; the sheet returned says how many.
    pub async fn export_meals(
        &self,
        space: SpaceId,
        site: ItemId,
        month: &str,
        format: ExportFormat,
        out: &Path,
    ) -> Result<MealMonth, Error> {
        let sheet = self.meal_month(space, site, month).await?;
        let bytes = match format {
            ExportFormat::Csv => cantine::csv(&sheet),
            ExportFormat::Xlsx => cantine::xlsx(&sheet)?,
        };
        let out = out.to_owned();
        tokio::task::spawn_blocking(move || crate::export::write_file(&out, &bytes))
            .await
            .map_err(|e| Error::InvalidInput(format!("export task failed: {e}")))??;
        Ok(sheet)
    }
}
