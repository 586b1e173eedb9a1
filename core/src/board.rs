//! The board (petites annonces): seasonal jobs, housing, equipment. One Automerge
//! document per announcement; its author closes or renews it, and it leaves the
//! board by itself once expired.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use time::{Duration, OffsetDateTime};

use crate::cantine::day_text;
use crate::error::Error;
use crate::fields::{get_bool, get_str, put_str_if_changed, put_text, utc};
use bastide_proto::{ItemId, SpaceId};

/// The item kind of announcements.
pub const KIND: &str = "board.ad";

/// Categories of announcements.
pub const CATEGORIES: [&str; 4] = ["job", "housing", "equipment", "other"];

/// How long an announcement stays by default, and what a renewal adds.
pub const DEFAULT_DAYS: i64 = 30;
/// The longest an announcement may stay without renewal.
const MAX_DAYS: i64 = 366;
const MAX_SHORT: usize = 200;
const MAX_TEXT: usize = 10_000;

/// What a person enters for an announcement.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AdInput {
    /// `job`, `housing`, `equipment` or `other`.
    pub category: String,
    /// Title (Saisonnier·ère accueil office de tourisme).
    pub title: String,
    /// The text.
    pub description: String,
    /// Commune.
    pub commune: String,
    /// From (YYYY-MM-DD), if it says.
    pub starts: String,
    /// Until (YYYY-MM-DD), if it says.
    pub ends: String,
    /// How to answer (phone, email, person).
    pub contact: String,
    /// Leaves the board after this day (YYYY-MM-DD); empty: in [`DEFAULT_DAYS`].
    pub expires: String,
}

/// An announcement as the views show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ad {
    /// Item id.
    pub id: String,
    /// Space id.
    pub space: String,
    /// Its fields.
    #[serde(flatten)]
    pub fields: AdInput,
    /// Closed by its author (filled, found, sold).
    pub closed: bool,
    /// Past its expiry day (computed when listed).
    pub expired: bool,
    /// Who posted it (the device that signed its first change, hex).
    pub author_device: String,
    /// Its author's name (filled by the views).
    pub author: String,
    /// Posted from this profile's member (filled by the views).
    pub mine: bool,
    /// When it was posted.
    pub created_at: String,
    /// When it was last changed.
    pub updated_at: String,
}

impl AdInput {
    /// Checks and normalises the input; `today` sets the default expiry.
    pub(crate) fn check(mut self, today: time::Date) -> Result<Self, Error> {
        for field in [
            &mut self.category,
            &mut self.title,
            &mut self.commune,
            &mut self.contact,
        ] {
            *field = field.trim().to_owned();
        }
        if self.title.is_empty() {
            return Err(Error::EmptyTitle);
        }
        if [&self.title, &self.commune, &self.contact]
            .iter()
            .any(|f| f.chars().count() > MAX_SHORT)
            || self.description.chars().count() > MAX_TEXT
        {
            return Err(Error::InvalidInput(format!(
                "title, commune and contact are limited to {MAX_SHORT} characters, the text to {MAX_TEXT}"
            )));
        }
        if self.category.is_empty() {
            self.category = "other".into();
        }
        if !CATEGORIES.contains(&self.category.as_str()) {
            return Err(Error::InvalidInput(format!(
                "the category {:?} is not one of {}",
                self.category,
                CATEGORIES.join(", ")
            )));
        }
        let day = |s: &str| {
            Some(s.trim())
                .filter(|s| !s.is_empty())
                .map(crate::bookings::parse_day)
                .transpose()
        };
        let (starts, ends) = (day(&self.starts)?, day(&self.ends)?);
        if let (Some(s), Some(e)) = (starts, ends)
            && e < s
        {
            return Err(Error::EndBeforeStart {
                start: self.starts,
                end: self.ends,
            });
        }
        let expires = day(&self.expires)?.unwrap_or(today + Duration::days(DEFAULT_DAYS));
        if expires < today || expires > today + Duration::days(MAX_DAYS) {
            return Err(Error::InvalidInput(format!(
                "an announcement expires between today and {MAX_DAYS} days from now"
            )));
        }
        self.starts = starts.map(day_text).unwrap_or_default();
        self.ends = ends.map(day_text).unwrap_or_default();
        self.expires = day_text(expires);
        Ok(self)
    }
}

/// Writes a checked announcement into a new or existing document.
pub(crate) fn write(
    doc: &mut AutoCommit,
    input: &AdInput,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let before = doc.get_heads();
    put_str_if_changed(doc, "type", KIND)?;
    for (key, value) in [
        ("category", &input.category),
        ("title", &input.title),
        ("commune", &input.commune),
        ("starts", &input.starts),
        ("ends", &input.ends),
        ("contact", &input.contact),
        ("expires", &input.expires),
    ] {
        put_str_if_changed(doc, key, value)?;
    }
    put_text(doc, "description", &input.description)?;
    if get_str(doc, "created_at").is_none() {
        doc.put(ROOT, "created_at", utc(now))?;
    }
    if get_bool(doc, "closed").is_none() {
        doc.put(ROOT, "closed", false)?;
    }
    crate::fields::stamp_if_changed(doc, &before, by, now)
}

/// Closes an announcement, or renews it for `days` from `today` (reopening it).
pub(crate) fn write_state(
    doc: &mut AutoCommit,
    closed: bool,
    renew_until: Option<time::Date>,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let before = doc.get_heads();
    if get_bool(doc, "closed") != Some(closed) {
        doc.put(ROOT, "closed", closed)?;
    }
    if let Some(until) = renew_until {
        put_str_if_changed(doc, "expires", &day_text(until))?;
    }
    crate::fields::stamp_if_changed(doc, &before, by, now)
}

/// Reads an announcement; `author` is the device that signed its first change.
pub(crate) fn read(doc: &AutoCommit, space: SpaceId, id: ItemId, author: &[u8]) -> Ad {
    let s = |k| get_str(doc, k).unwrap_or_default();
    Ad {
        id: id.to_string(),
        space: space.to_string(),
        fields: AdInput {
            category: s("category"),
            title: s("title"),
            description: s("description"),
            commune: s("commune"),
            starts: s("starts"),
            ends: s("ends"),
            contact: s("contact"),
            expires: s("expires"),
        },
        closed: get_bool(doc, "closed").unwrap_or(false),
        expired: false,
        author_device: hex::encode(author),
        author: String::new(),
        mine: false,
        created_at: s("created_at"),
        updated_at: s("updated_at"),
    }
}

/// Writes an announcement into the projection.
pub(crate) async fn project(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
    ad: &Ad,
) -> Result<(), Error> {
    let json = crate::fields::to_json(ad)?;
    sqlx::query(
        "INSERT INTO board_ads (item, space, category, commune, expires, closed, created_at, ad)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(item) DO UPDATE SET category = excluded.category, commune = excluded.commune,
           expires = excluded.expires, closed = excluded.closed, created_at = excluded.created_at, ad = excluded.ad",
    )
    .bind(id.0.as_slice())
    .bind(space.0.as_slice())
    .bind(&ad.fields.category)
    .bind(&ad.fields.commune)
    .bind(&ad.fields.expires)
    .bind(ad.closed)
    .bind(&ad.created_at)
    .bind(json)
    .execute(conn)
    .await?;
    Ok(())
}

/// Which announcements to list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AdFilter {
    /// Only this category.
    pub category: Option<String>,
    /// Only this commune.
    pub commune: Option<String>,
    /// Closed and expired ones too.
    pub all: bool,
}

/// Announcements of a space (only `only`, if given), newest first; by default only
/// those open and not expired on `today`.
pub(crate) async fn list(
    conn: &mut SqliteConnection,
    space: SpaceId,
    filter: &AdFilter,
    only: Option<ItemId>,
    today: &str,
) -> Result<Vec<Ad>, Error> {
    let only = only.map(|id| id.0.to_vec());
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT ad FROM board_ads WHERE space = ? AND (? IS NULL OR item = ?)
           AND (? IS NULL OR category = ?) AND (? IS NULL OR commune = ? COLLATE NOCASE)
           AND (? OR (closed = 0 AND expires >= ?))
         ORDER BY created_at DESC, item",
    )
    .bind(space.0.as_slice())
    .bind(only.as_deref())
    .bind(only.as_deref())
    .bind(filter.category.as_deref())
    .bind(filter.category.as_deref())
    .bind(filter.commune.as_deref())
    .bind(filter.commune.as_deref())
    .bind(filter.all)
    .bind(today)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|(json,)| {
            let mut ad: Ad = crate::fields::from_json(json)?;
            ad.expired = ad.fields.expires.as_str() < today;
            Ok(ad)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn an_announcement_gets_a_default_expiry_and_sane_dates() {
        let today = date!(2027 - 04 - 01);
        let ad = AdInput {
            title: " Saisonnier accueil ".into(),
            category: "job".into(),
            starts: "2027-06-01".into(),
            ends: "2027-09-15".into(),
            ..AdInput::default()
        }
        .check(today)
        .unwrap();
        assert_eq!(ad.title, "Saisonnier accueil");
        assert_eq!(ad.expires, "2027-05-01");
        let backwards = AdInput {
            title: "Studio".into(),
            starts: "2027-06-01".into(),
            ends: "2027-05-01".into(),
            ..AdInput::default()
        };
        assert!(matches!(
            backwards.check(today),
            Err(Error::EndBeforeStart { .. })
        ));
        let expired = AdInput {
            title: "Studio".into(),
            expires: "2027-03-01".into(),
            ..AdInput::default()
        };
        assert!(expired.check(today).is_err());
        let unknown = AdInput {
            title: "Studio".into(),
            category: "voiture".into(),
            ..AdInput::default()
        };
        assert!(unknown.check(today).is_err());
    }
}
