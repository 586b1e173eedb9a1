//! The shared agenda: one Automerge document per event, and the `events` projection
//! the views read.
//!
//! Text fields (title, description) are Automerge text, merged character by
//! character; the other fields are registers where concurrent edits keep one winner
//! chosen the same way on every computer.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::Error;
use crate::fields::{get_bool, get_str, put_str_if_changed, put_text, stamp, utc};
use bastide_proto::{ItemId, SpaceId};

/// The item kind of agenda events.
pub const KIND: &str = "agenda.event";

/// Longest title accepted: a title is a line, not a text.
const MAX_TITLE: usize = 300;
/// Longest description accepted: ample for an agenda of the day, and keeps one
/// change well below the frame limit.
const MAX_DESCRIPTION: usize = 100_000;
/// Longest place or theme.
const MAX_SHORT: usize = 300;

/// What a person enters for an event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventInput {
    /// Title.
    pub title: String,
    /// Start, RFC 3339 with offset.
    pub start: String,
    /// End, RFC 3339 with offset.
    pub end: String,
    /// Whether the event lasts whole days (start and end are then local midnights).
    #[serde(default)]
    pub all_day: bool,
    /// Where.
    #[serde(default)]
    pub place: String,
    /// Theme (tourism, council, culture...).
    #[serde(default)]
    pub theme: String,
    /// Free description.
    #[serde(default)]
    pub description: String,
}

/// An event as the views show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Item id.
    pub id: String,
    /// Space id.
    pub space: String,
    /// Title.
    pub title: String,
    /// Start, RFC 3339.
    pub start: String,
    /// End, RFC 3339.
    pub end: String,
    /// Whole days.
    pub all_day: bool,
    /// Where.
    pub place: String,
    /// Theme.
    pub theme: String,
    /// Description.
    pub description: String,
    /// In the trash.
    pub deleted: bool,
    /// When it was last changed, RFC 3339 UTC.
    pub updated_at: String,
    /// Who last changed it.
    pub updated_by: String,
}

/// A validated input, with its dates parsed.
#[derive(Debug)]
pub(crate) struct Checked {
    input: EventInput,
}

impl EventInput {
    /// Checks the input and normalises it (trimmed title, dates re-formatted).
    pub(crate) fn check(mut self) -> Result<Checked, Error> {
        self.title = self.title.trim().to_owned();
        if self.title.is_empty() {
            return Err(Error::EmptyTitle);
        }
        if self.title.chars().count() > MAX_TITLE {
            return Err(Error::InvalidInput(format!(
                "the title is longer than {MAX_TITLE} characters"
            )));
        }
        if self.description.chars().count() > MAX_DESCRIPTION {
            return Err(Error::InvalidInput(format!(
                "the description is longer than {MAX_DESCRIPTION} characters"
            )));
        }
        self.place = self.place.trim().to_owned();
        self.theme = self.theme.trim().to_owned();
        if self.place.chars().count() > MAX_SHORT || self.theme.chars().count() > MAX_SHORT {
            return Err(Error::InvalidInput(format!(
                "place and theme are limited to {MAX_SHORT} characters"
            )));
        }
        let start = parse_date(&self.start)?;
        let end = parse_date(&self.end)?;
        if end < start {
            return Err(Error::EndBeforeStart {
                start: self.start,
                end: self.end,
            });
        }
        self.start = format_date(start);
        self.end = format_date(end);
        Ok(Checked { input: self })
    }
}

/// Parses an RFC 3339 date.
pub fn parse_date(text: &str) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|source| Error::InvalidDate {
        text: text.to_owned(),
        source,
    })
}

fn format_date(date: OffsetDateTime) -> String {
    date.format(&Rfc3339).unwrap_or_default()
}

/// Writes `checked` into a new or existing event document.
pub(crate) fn write(
    doc: &mut AutoCommit,
    checked: &Checked,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let input = &checked.input;
    let before = doc.get_heads();
    put_str_if_changed(doc, "type", KIND)?;
    put_text(doc, "title", &input.title)?;
    put_text(doc, "description", &input.description)?;
    put_str_if_changed(doc, "start", &input.start)?;
    put_str_if_changed(doc, "end", &input.end)?;
    if get_bool(doc, "all_day") != Some(input.all_day) {
        doc.put(ROOT, "all_day", input.all_day)?;
    }
    put_str_if_changed(doc, "place", &input.place)?;
    put_str_if_changed(doc, "theme", &input.theme)?;
    crate::fields::init_deleted(doc)?;
    if doc.get_heads() == before {
        // Saved without a change: nothing to sign, nothing to send.
        return Ok(());
    }
    stamp(doc, by, now)
}

/// Reads an event document. Missing fields read as empty: a document is only ever
/// half-known while its first change is in flight, never after.
pub(crate) fn read(doc: &AutoCommit, space: SpaceId, id: ItemId) -> Event {
    let s = |k| get_str(doc, k).unwrap_or_default();
    Event {
        id: id.to_string(),
        space: space.to_string(),
        title: s("title"),
        start: s("start"),
        end: s("end"),
        all_day: get_bool(doc, "all_day").unwrap_or(false),
        place: s("place"),
        theme: s("theme"),
        description: s("description"),
        deleted: get_bool(doc, "deleted").unwrap_or(false),
        updated_at: s("updated_at"),
        updated_by: s("updated_by"),
    }
}

/// Writes an event into the projection.
pub(crate) async fn project(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
    event: &Event,
) -> Result<(), Error> {
    // Dates in documents were checked when written; a document from a newer client
    // with an unreadable date still shows, sorted first.
    let utc_or_raw = |s: &str| parse_date(s).map(utc).unwrap_or_else(|_| s.to_owned());
    sqlx::query(
        "INSERT INTO events (item, space, title, start, end, start_utc, end_utc, all_day, place, theme, description, deleted, updated_at, updated_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(item) DO UPDATE SET title = excluded.title, start = excluded.start, end = excluded.end,
           start_utc = excluded.start_utc, end_utc = excluded.end_utc, all_day = excluded.all_day,
           place = excluded.place, theme = excluded.theme, description = excluded.description,
           deleted = excluded.deleted, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(id.0.as_slice())
    .bind(space.0.as_slice())
    .bind(&event.title)
    .bind(&event.start)
    .bind(&event.end)
    .bind(utc_or_raw(&event.start))
    .bind(utc_or_raw(&event.end))
    .bind(event.all_day)
    .bind(&event.place)
    .bind(&event.theme)
    .bind(&event.description)
    .bind(event.deleted)
    .bind(&event.updated_at)
    .bind(&event.updated_by)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct EventRow {
    item: Vec<u8>,
    space: Vec<u8>,
    title: String,
    start: String,
    end: String,
    all_day: bool,
    place: String,
    theme: String,
    description: String,
    deleted: bool,
    updated_at: String,
    updated_by: String,
}

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Self {
        Self {
            id: hex::encode(r.item),
            space: hex::encode(r.space),
            title: r.title,
            start: r.start,
            end: r.end,
            all_day: r.all_day,
            place: r.place,
            theme: r.theme,
            description: r.description,
            deleted: r.deleted,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        }
    }
}

/// A query on the projection: the columns of [`EventRow`], then `$tail`.
macro_rules! select_events {
    ($tail:literal) => {
        concat!(
            "SELECT item, space, title, start, end, all_day, place, theme, description, deleted, updated_at, updated_by FROM events ",
            $tail
        )
    };
}

/// Events of a space from the projection, by start then title.
pub(crate) async fn list(
    conn: &mut SqliteConnection,
    space: SpaceId,
    deleted: bool,
) -> Result<Vec<Event>, Error> {
    let rows: Vec<EventRow> = sqlx::query_as(select_events!(
        "WHERE space = ? AND deleted = ? ORDER BY start_utc, title, item"
    ))
    .bind(space.0.as_slice())
    .bind(deleted)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Event::from).collect())
}

/// One event from the projection.
pub(crate) async fn get(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
) -> Result<Option<Event>, Error> {
    let row: Option<EventRow> = sqlx::query_as(select_events!("WHERE space = ? AND item = ?"))
        .bind(space.0.as_slice())
        .bind(id.0.as_slice())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Event::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: &str, start: &str, end: &str) -> EventInput {
        EventInput {
            title: title.into(),
            start: start.into(),
            end: end.into(),
            ..Default::default()
        }
    }

    #[test]
    fn inputs_are_checked() {
        assert!(matches!(
            input("  ", "2026-12-01T10:00:00+01:00", "2026-12-01T11:00:00+01:00").check(),
            Err(Error::EmptyTitle)
        ));
        assert!(matches!(
            input(
                "Conseil",
                "2026-12-01T10:00:00+01:00",
                "2026-12-01T09:00:00+01:00"
            )
            .check(),
            Err(Error::EndBeforeStart { .. })
        ));
        assert!(matches!(
            input("Conseil", "demain", "2026-12-01T09:00:00+01:00").check(),
            Err(Error::InvalidDate { .. })
        ));
        let ok = input(
            " Conseil ",
            "2026-12-01T10:00:00+01:00",
            "2026-12-01T10:00:00+01:00",
        )
        .check()
        .unwrap();
        assert_eq!(ok.input.title, "Conseil", "titles are trimmed");
        assert_eq!(ok.input.start, ok.input.end, "an event may last no time at all");
    }

    #[test]
    fn documents_round_trip_and_text_merges() {
        let checked = input(
            "Conseil",
            "2026-12-01T10:00:00+01:00",
            "2026-12-01T11:00:00+01:00",
        )
        .check()
        .unwrap();
        let now = OffsetDateTime::now_utc();
        let mut a = AutoCommit::new();
        write(&mut a, &checked, "Alice", now).unwrap();
        let mut b = a.fork();
        // Alice and Bob change different words of the title concurrently.
        let mut on_a = checked.input.clone();
        on_a.title = "Conseil communautaire".into();
        write(&mut a, &on_a.check().unwrap(), "Alice", now).unwrap();
        let mut on_b = checked.input.clone();
        on_b.title = "Grand Conseil".into();
        write(&mut b, &on_b.check().unwrap(), "Bob", now).unwrap();
        a.merge(&mut b).unwrap();
        let merged = read(&a, SpaceId([0; 16]), ItemId([0; 16]));
        assert_eq!(
            merged.title, "Grand Conseil communautaire",
            "both edits survive the merge"
        );
        assert_eq!(crate::modules::kind_of(&a).as_deref(), Some(KIND));
    }
}
