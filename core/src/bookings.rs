//! Bookings (réservations de salles et de matériel): one Automerge document per
//! resource and per booking, and the projections the views read (`resources`,
//! `bookings`, and one `booking_slots` row per occurrence).
//!
//! A booking is refused when made if it overlaps what this computer knows. Two
//! overlapping bookings made on two offline computers both survive the merge; the
//! rule every computer applies the same way marks the *later* one in conflict, later
//! meaning created later by its author's clock, then the greater booking id. The rule
//! works per occurrence, so a weekly booking that collides once is in conflict on that
//! date only. A manager resolves: moves or cancels one, or, for a divisible resource,
//! accepts both (the later booking's `overlap_ok`).

use std::collections::HashMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc, ScalarValue, Value};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, UtcOffset, Weekday};

use crate::error::Error;
use crate::fields::{from_json, get_bool, get_str, put_str_if_changed, stamp, utc};
use bastide_proto::{ItemId, SpaceId};

/// The item kind of resources.
pub const RESOURCE: &str = "bookings.resource";
/// The item kind of bookings.
pub const BOOKING: &str = "bookings.booking";

/// Kinds of resources the forms offer.
pub const RESOURCE_KINDS: [&str; 4] = ["room", "equipment", "vehicle", "other"];

/// Longest name, title or location.
const MAX_SHORT: usize = 200;
/// Longest description.
const MAX_DESCRIPTION: usize = 5_000;
/// Longest single occurrence. Conflicts are looked for this far around a range.
const MAX_SLOT: Duration = Duration::days(31);
/// Most occurrences of a recurring booking (two years of weeks).
const MAX_OCCURRENCES: usize = 104;

/// What a person enters for a resource.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceInput {
    /// Its name (Salle du conseil, Minibus...).
    pub name: String,
    /// `room`, `equipment`, `vehicle` or `other`.
    pub kind: String,
    /// How many people it holds (0: not said).
    pub capacity: u32,
    /// Where it is.
    pub location: String,
    /// What to know (keys, rules of use).
    pub description: String,
    /// Longest booking allowed, in minutes (0: no limit).
    pub max_minutes: u32,
    /// Bookings wait for a manager's confirmation.
    pub confirm: bool,
    /// Can be shared (a hall split in two): a manager may accept overlapping bookings.
    pub divisible: bool,
    /// The least role that may book it: `editor`, `validator` or `admin`.
    pub book_role: String,
}

/// A resource as the views show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// Item id.
    pub id: String,
    /// Space id.
    pub space: String,
    /// Its fields.
    #[serde(flatten)]
    pub fields: ResourceInput,
    /// The device that created it, whose member manages it with the admins (hex).
    pub manager_device: String,
    /// This profile may manage it (filled by the views, false in the projection).
    #[serde(default)]
    pub can_manage: bool,
    /// In the trash.
    pub deleted: bool,
    /// When it was last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who last changed it.
    pub updated_by: String,
}

/// What a person enters for a booking.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BookingInput {
    /// The resource's id.
    pub resource: String,
    /// What for (Réunion du CCAS).
    pub title: String,
    /// Start, RFC 3339.
    pub start: String,
    /// End, RFC 3339.
    pub end: String,
    /// Repeats every week until this day (YYYY-MM-DD, included); empty: once.
    pub repeat_until: String,
}

/// A booking as stored, with its author's name when the views ask.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    /// Item id.
    pub id: String,
    /// Space id.
    pub space: String,
    /// Its fields (start and end of the first occurrence).
    #[serde(flatten)]
    pub fields: BookingInput,
    /// `pending`, `confirmed`, `refused` or `cancelled`, as decided.
    pub status: String,
    /// A manager accepted that it overlaps earlier bookings (divisible resources).
    pub overlap_ok: bool,
    /// When its author made it (RFC 3339, UTC): what "later" means for conflicts.
    pub created_at: String,
    /// In the trash.
    pub deleted: bool,
    /// When it was last changed.
    pub updated_at: String,
    /// Who last changed it.
    pub updated_by: String,
}

/// One occurrence of a booking, with the status the rule gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Slot {
    /// The booking's id.
    pub id: String,
    /// Which occurrence (0 for the first).
    pub occurrence: u32,
    /// The resource's id.
    pub resource: String,
    /// The resource's name.
    pub resource_name: String,
    /// What for.
    pub title: String,
    /// Start (RFC 3339, UTC).
    pub start: String,
    /// End (RFC 3339, UTC).
    pub end: String,
    /// `confirmed`, `pending`, `refused`, `cancelled`, or `conflict` when an earlier
    /// booking holds the time.
    pub status: String,
    /// The earlier bookings it collides with (ids), when in conflict.
    pub conflicts_with: Vec<String>,
    /// The booking repeats.
    pub recurring: bool,
    /// Who booked it (the device that signed its first change, hex).
    pub author_device: String,
    /// Their name ("" until the views name it).
    pub author: String,
    /// Booked from this profile.
    pub mine: bool,
}

impl ResourceInput {
    /// Checks and normalises the input.
    pub(crate) fn check(mut self) -> Result<Self, Error> {
        self.name = self.name.trim().to_owned();
        self.location = self.location.trim().to_owned();
        self.kind = self.kind.trim().to_owned();
        if self.name.is_empty() {
            return Err(Error::EmptyTitle);
        }
        if self.name.chars().count() > MAX_SHORT || self.location.chars().count() > MAX_SHORT {
            return Err(Error::InvalidInput(format!(
                "name and location are limited to {MAX_SHORT} characters"
            )));
        }
        if self.description.chars().count() > MAX_DESCRIPTION {
            return Err(Error::InvalidInput(format!(
                "the description is longer than {MAX_DESCRIPTION} characters"
            )));
        }
        if self.kind.is_empty() {
            self.kind = "room".into();
        }
        if !RESOURCE_KINDS.contains(&self.kind.as_str()) {
            return Err(Error::InvalidInput(format!(
                "the kind {:?} is not one of {}",
                self.kind,
                RESOURCE_KINDS.join(", ")
            )));
        }
        if self.capacity > 100_000 {
            return Err(Error::InvalidInput("the capacity is absurd".into()));
        }
        if self.book_role.trim().is_empty() {
            self.book_role = "editor".into();
        }
        let role: bastide_proto::membership::Role = self.book_role.trim().parse()?;
        if !role.writes() {
            return Err(Error::InvalidInput(
                "readers cannot write to a space, so they cannot book".into(),
            ));
        }
        self.book_role = role.to_string();
        Ok(self)
    }
}

/// Writes a checked resource into a new or existing document.
pub(crate) fn write_resource(
    doc: &mut AutoCommit,
    input: &ResourceInput,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let before = doc.get_heads();
    put_str_if_changed(doc, "type", RESOURCE)?;
    put_str_if_changed(doc, "name", &input.name)?;
    put_str_if_changed(doc, "kind", &input.kind)?;
    put_uint_if_changed(doc, "capacity", input.capacity)?;
    put_str_if_changed(doc, "location", &input.location)?;
    crate::fields::put_text(doc, "description", &input.description)?;
    put_uint_if_changed(doc, "max_minutes", input.max_minutes)?;
    put_bool_if_changed(doc, "confirm", input.confirm)?;
    put_bool_if_changed(doc, "divisible", input.divisible)?;
    put_str_if_changed(doc, "book_role", &input.book_role)?;
    crate::fields::init_deleted(doc)?;
    crate::fields::stamp_if_changed(doc, &before, by, now)
}

fn put_uint_if_changed(doc: &mut AutoCommit, key: &str, value: u32) -> Result<(), Error> {
    if get_uint(doc, key) != Some(value) {
        doc.put(ROOT, key, u64::from(value))?;
    }
    Ok(())
}

fn put_bool_if_changed(doc: &mut AutoCommit, key: &str, value: bool) -> Result<(), Error> {
    if get_bool(doc, key) != Some(value) {
        doc.put(ROOT, key, value)?;
    }
    Ok(())
}

fn get_uint(doc: &AutoCommit, key: &str) -> Option<u32> {
    match doc.get(ROOT, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Uint(n) => u32::try_from(*n).ok(),
            ScalarValue::Int(n) => u32::try_from(*n).ok(),
            _ => None,
        },
        _ => None,
    }
}

/// Reads a resource document; `manager_device` is the device that created it.
pub(crate) fn read_resource(doc: &AutoCommit, space: SpaceId, id: ItemId, manager_device: &[u8]) -> Resource {
    let s = |k| get_str(doc, k).unwrap_or_default();
    Resource {
        id: id.to_string(),
        space: space.to_string(),
        fields: ResourceInput {
            name: s("name"),
            kind: s("kind"),
            capacity: get_uint(doc, "capacity").unwrap_or(0),
            location: s("location"),
            description: s("description"),
            max_minutes: get_uint(doc, "max_minutes").unwrap_or(0),
            confirm: get_bool(doc, "confirm").unwrap_or(false),
            divisible: get_bool(doc, "divisible").unwrap_or(false),
            book_role: get_str(doc, "book_role").unwrap_or_else(|| "editor".into()),
        },
        manager_device: hex::encode(manager_device),
        can_manage: false,
        deleted: get_bool(doc, "deleted").unwrap_or(false),
        updated_at: s("updated_at"),
        updated_by: s("updated_by"),
    }
}

/// A booking input checked against its resource, with its occurrences.
#[derive(Debug)]
pub(crate) struct CheckedBooking {
    input: BookingInput,
    /// Every occurrence, in UTC.
    pub(crate) slots: Vec<(OffsetDateTime, OffsetDateTime)>,
}

impl BookingInput {
    /// Checks the input against the resource's rules and computes its occurrences.
    pub(crate) fn check(mut self, resource: &Resource) -> Result<CheckedBooking, Error> {
        self.title = self.title.trim().to_owned();
        if self.title.chars().count() > MAX_SHORT {
            return Err(Error::InvalidInput(format!(
                "the title is longer than {MAX_SHORT} characters"
            )));
        }
        if resource.deleted {
            return Err(Error::InvalidInput(format!(
                "the resource {} is in the trash",
                resource.fields.name
            )));
        }
        let start = crate::agenda::parse_date(&self.start)?;
        let end = crate::agenda::parse_date(&self.end)?;
        if end <= start {
            return Err(Error::EndBeforeStart {
                start: self.start,
                end: self.end,
            });
        }
        let max = resource.fields.max_minutes;
        if (max > 0 && end - start > Duration::minutes(i64::from(max))) || end - start > MAX_SLOT {
            let max = if max > 0 {
                max
            } else {
                u32::try_from(MAX_SLOT.whole_minutes()).unwrap_or(u32::MAX)
            };
            return Err(Error::BookingTooLong { max_minutes: max });
        }
        self.repeat_until = self.repeat_until.trim().to_owned();
        let until = if self.repeat_until.is_empty() {
            None
        } else {
            let date = parse_day(&self.repeat_until)?;
            if date < start.date() {
                return Err(Error::EndBeforeStart {
                    start: self.start,
                    end: self.repeat_until,
                });
            }
            Some(date)
        };
        self.start = start.format(&Rfc3339).unwrap_or_default();
        self.end = end.format(&Rfc3339).unwrap_or_default();
        let slots = occurrences(start, end, until)?;
        Ok(CheckedBooking { input: self, slots })
    }
}

/// Parses a day, YYYY-MM-DD.
pub fn parse_day(text: &str) -> Result<Date, Error> {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] =
        time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), FORMAT)
        .map_err(|_| Error::InvalidInput(format!("{text:?} is not a day (YYYY-MM-DD)")))
}

/// The offset of metropolitan France at `at`: +02:00 from the last Sunday of March,
/// 01:00 UTC, to the last Sunday of October, 01:00 UTC; +01:00 otherwise.
pub fn paris_offset(at: OffsetDateTime) -> UtcOffset {
    let at = at.to_offset(UtcOffset::UTC);
    let year = at.year();
    let last_sunday = |month: Month| {
        let next = if month == Month::December {
            Date::from_calendar_date(year + 1, Month::January, 1)
        } else {
            Date::from_calendar_date(year, month.next(), 1)
        };
        let mut day = next.unwrap_or(Date::MIN) - Duration::days(1);
        while day.weekday() != Weekday::Sunday {
            day -= Duration::days(1);
        }
        PrimitiveDateTime::new(day, time::Time::from_hms(1, 0, 0).unwrap_or(time::Time::MIDNIGHT))
            .assume_utc()
    };
    let summer = at >= last_sunday(Month::March) && at < last_sunday(Month::October);
    let hours = if summer { 2 } else { 1 };
    UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// The occurrences of a booking from `start`–`end`, weekly until `until` (included).
/// A start given in French time (+01:00 or +02:00) keeps its wall-clock time across
/// the changes to and from summer time; another offset is kept as is.
fn occurrences(
    start: OffsetDateTime,
    end: OffsetDateTime,
    until: Option<Date>,
) -> Result<Vec<(OffsetDateTime, OffsetDateTime)>, Error> {
    let length = end - start;
    let french = [1, 2].contains(&start.offset().whole_hours()) && start.offset().minutes_past_hour() == 0;
    let wall = PrimitiveDateTime::new(start.date(), start.time());
    let mut slots = Vec::new();
    for week in 0.. {
        let local = wall + Duration::weeks(week);
        if until.is_some_and(|u| local.date() > u) || (until.is_none() && week > 0) {
            break;
        }
        if slots.len() == MAX_OCCURRENCES {
            return Err(Error::InvalidInput(format!(
                "a booking repeats at most {MAX_OCCURRENCES} times"
            )));
        }
        let at = if french {
            // The offset in force at that wall-clock time: try winter time, then see.
            let winter = local.assume_offset(UtcOffset::from_hms(1, 0, 0).unwrap_or(UtcOffset::UTC));
            local.assume_offset(paris_offset(winter))
        } else {
            local.assume_offset(start.offset())
        };
        let at = at.to_offset(UtcOffset::UTC);
        slots.push((at, at + length));
    }
    Ok(slots)
}

/// Writes a new booking.
pub(crate) fn write_new_booking(
    doc: &mut AutoCommit,
    checked: &CheckedBooking,
    status: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    doc.put(ROOT, "type", BOOKING)?;
    doc.put(ROOT, "created_at", utc(now))?;
    doc.put(ROOT, "status", status)?;
    doc.put(ROOT, "overlap_ok", false)?;
    doc.put(ROOT, "deleted", false)?;
    write_booking_times(doc, checked, by, now)
}

/// Writes the resource, title and times of a booking (moving it).
pub(crate) fn write_booking_times(
    doc: &mut AutoCommit,
    checked: &CheckedBooking,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let before = doc.get_heads();
    let input = &checked.input;
    put_str_if_changed(doc, "resource", &input.resource)?;
    put_str_if_changed(doc, "title", &input.title)?;
    put_str_if_changed(doc, "start", &input.start)?;
    put_str_if_changed(doc, "end", &input.end)?;
    put_str_if_changed(doc, "repeat_until", &input.repeat_until)?;
    if doc.get_heads() != before {
        // A moved booking no longer carries an acceptance of the old overlap.
        if get_bool(doc, "overlap_ok") == Some(true) {
            doc.put(ROOT, "overlap_ok", false)?;
        }
        stamp(doc, by, now)?;
    }
    Ok(())
}

/// Sets the decided status of a booking (`confirmed`, `refused`, `cancelled`), or
/// accepts its overlap.
pub(crate) fn write_decision(
    doc: &mut AutoCommit,
    status: Option<&str>,
    overlap_ok: Option<bool>,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let before = doc.get_heads();
    if let Some(status) = status {
        put_str_if_changed(doc, "status", status)?;
    }
    if let Some(ok) = overlap_ok {
        put_bool_if_changed(doc, "overlap_ok", ok)?;
    }
    crate::fields::stamp_if_changed(doc, &before, by, now)
}

/// Reads a booking document.
pub(crate) fn read_booking(doc: &AutoCommit, space: SpaceId, id: ItemId) -> Booking {
    let s = |k| get_str(doc, k).unwrap_or_default();
    Booking {
        id: id.to_string(),
        space: space.to_string(),
        fields: BookingInput {
            resource: s("resource"),
            title: s("title"),
            start: s("start"),
            end: s("end"),
            repeat_until: s("repeat_until"),
        },
        status: get_str(doc, "status").unwrap_or_else(|| "confirmed".into()),
        overlap_ok: get_bool(doc, "overlap_ok").unwrap_or(false),
        created_at: s("created_at"),
        deleted: get_bool(doc, "deleted").unwrap_or(false),
        updated_at: s("updated_at"),
        updated_by: s("updated_by"),
    }
}

/// Whether a booking with this decided status holds its time.
fn holds(status: &str, deleted: bool) -> bool {
    !deleted && matches!(status, "pending" | "confirmed")
}

/// Writes a resource into the projection.
pub(crate) async fn project_resource(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
    resource: &Resource,
) -> Result<(), Error> {
    let json = crate::fields::to_json(resource)?;
    sqlx::query(
        "INSERT INTO resources (item, space, name, deleted, resource) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(item) DO UPDATE SET name = excluded.name, deleted = excluded.deleted,
           resource = excluded.resource",
    )
    .bind(id.0.as_slice())
    .bind(space.0.as_slice())
    .bind(&resource.fields.name)
    .bind(resource.deleted)
    .bind(json)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes a booking and its occurrences into the projection. A booking whose dates
/// cannot be read (a newer client's) is kept without occurrences.
pub(crate) async fn project_booking(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
    booking: &Booking,
    author: &[u8],
) -> Result<(), Error> {
    let json = crate::fields::to_json(booking)?;
    let resource = booking
        .fields
        .resource
        .parse::<ItemId>()
        .map(|r| r.0.to_vec())
        .unwrap_or_default();
    sqlx::query(
        "INSERT INTO bookings (item, space, resource, created_at, author, booking) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(item) DO UPDATE SET resource = excluded.resource, created_at = excluded.created_at,
           author = excluded.author, booking = excluded.booking",
    )
    .bind(id.0.as_slice())
    .bind(space.0.as_slice())
    .bind(resource.as_slice())
    .bind(&booking.created_at)
    .bind(author)
    .bind(json)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM booking_slots WHERE item = ?")
        .bind(id.0.as_slice())
        .execute(&mut *conn)
        .await?;
    let start = crate::agenda::parse_date(&booking.fields.start);
    let end = crate::agenda::parse_date(&booking.fields.end);
    let until = Some(booking.fields.repeat_until.as_str())
        .filter(|u| !u.is_empty())
        .map(parse_day)
        .transpose();
    let (Ok(start), Ok(end), Ok(until)) = (start, end, until) else {
        return Ok(());
    };
    let Ok(slots) = occurrences(start, end, until) else {
        return Ok(());
    };
    let holds = holds(&booking.status, booking.deleted);
    for (n, (start, end)) in slots.into_iter().enumerate() {
        sqlx::query(
            "INSERT INTO booking_slots (item, n, space, resource, start, end, holds) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.0.as_slice())
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .bind(space.0.as_slice())
        .bind(resource.as_slice())
        .bind(utc(start))
        .bind(utc(end))
        .bind(holds)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The resources of a space, by name.
pub(crate) async fn resources(
    conn: &mut SqliteConnection,
    space: SpaceId,
    deleted: bool,
) -> Result<Vec<Resource>, Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT resource FROM resources WHERE space = ? AND deleted = ? ORDER BY name COLLATE NOCASE, item",
    )
    .bind(space.0.as_slice())
    .bind(deleted)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|(json,)| from_json(json)).collect()
}

/// One resource.
pub(crate) async fn resource(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
) -> Result<Option<Resource>, Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT resource FROM resources WHERE item = ? AND space = ?")
            .bind(id.0.as_slice())
            .bind(space.0.as_slice())
            .fetch_optional(conn)
            .await?;
    row.map(|(json,)| from_json(&json)).transpose()
}

/// One booking, with the device that made it.
pub(crate) async fn booking(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
) -> Result<Option<(Booking, Vec<u8>)>, Error> {
    let row: Option<(String, Vec<u8>)> =
        sqlx::query_as("SELECT booking, author FROM bookings WHERE item = ? AND space = ?")
            .bind(id.0.as_slice())
            .bind(space.0.as_slice())
            .fetch_optional(conn)
            .await?;
    row.map(|(json, author)| Ok((from_json(&json)?, author)))
        .transpose()
}

/// The first occurrence among `slots` that overlaps a booking holding its time on
/// `resource` (other than `except`), with that booking's title.
pub(crate) async fn first_collision(
    conn: &mut SqliteConnection,
    resource: ItemId,
    slots: &[(OffsetDateTime, OffsetDateTime)],
    except: Option<ItemId>,
) -> Result<Option<(OffsetDateTime, String)>, Error> {
    let except = except.map(|e| e.0.to_vec()).unwrap_or_default();
    for (start, end) in slots {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT b.booking FROM booking_slots s JOIN bookings b ON b.item = s.item
             WHERE s.resource = ? AND s.holds = 1 AND s.start < ? AND s.end > ? AND s.item != ?
             LIMIT 1",
        )
        .bind(resource.0.as_slice())
        .bind(utc(*end))
        .bind(utc(*start))
        .bind(except.as_slice())
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((json,)) = row {
            let other: Booking = from_json(&json)?;
            return Ok(Some((*start, other.fields.title)));
        }
    }
    Ok(None)
}

/// Which occurrences to list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SlotFilter {
    /// Only this resource (id).
    pub resource: Option<String>,
    /// Occurrences ending after this time (RFC 3339); none: from the beginning.
    pub from: Option<String>,
    /// Occurrences starting before this time (RFC 3339); none: to the end.
    pub to: Option<String>,
}

/// The occurrences in a range, each with the status the conflict rule gives it, by
/// start. Conflicts are computed over every occurrence that could overlap one in the
/// range (the range widened by the longest occurrence allowed).
pub(crate) async fn slots(
    conn: &mut SqliteConnection,
    space: SpaceId,
    filter: &SlotFilter,
) -> Result<Vec<Slot>, Error> {
    let from = filter
        .from
        .as_deref()
        .map(crate::agenda::parse_date)
        .transpose()?;
    let to = filter.to.as_deref().map(crate::agenda::parse_date).transpose()?;
    let wide_from = from.map(|f| utc(f - MAX_SLOT)).unwrap_or_default();
    let wide_to = to.map(|t| utc(t + MAX_SLOT)).unwrap_or_else(|| "~".into());
    let resource = filter.resource.as_deref().map(str::parse::<ItemId>).transpose()?;
    let resource_bytes = resource.map(|r| r.0.to_vec());
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT s.item, s.n, s.resource, s.start, s.end, s.holds, b.created_at, b.author, b.booking
         FROM booking_slots s JOIN bookings b ON b.item = s.item
         WHERE s.space = ? AND s.start < ? AND s.end > ? AND (? IS NULL OR s.resource = ?)
         ORDER BY s.resource, s.start, s.item, s.n",
    )
    .bind(space.0.as_slice())
    .bind(&wide_to)
    .bind(&wide_from)
    .bind(resource_bytes.as_deref())
    .bind(resource_bytes.as_deref())
    .fetch_all(&mut *conn)
    .await?;
    let resources: HashMap<Vec<u8>, Resource> = resources(conn, space, false)
        .await?
        .into_iter()
        .chain(resources(conn, space, true).await?)
        .filter_map(|r| Some((r.id.parse::<ItemId>().ok()?.0.to_vec(), r)))
        .collect();
    let mut bookings: HashMap<&[u8], Booking> = HashMap::new();
    for row in &rows {
        if !bookings.contains_key(row.item.as_slice()) {
            bookings.insert(row.item.as_slice(), from_json(&row.booking)?);
        }
    }
    let mut conflicts: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
    // Rows are by resource then start: sweep each resource's occurrences, keeping
    // those still running.
    let mut open: Vec<usize> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        open.retain(|&j| rows[j].resource == row.resource && rows[j].end > row.start);
        if !row.holds {
            continue;
        }
        let divisible = resources.get(&row.resource).is_some_and(|r| r.fields.divisible);
        for &j in &open {
            let other = &rows[j];
            if other.item == row.item {
                continue;
            }
            let (later, earlier) = if (&other.created_at, &other.item) > (&row.created_at, &row.item) {
                (j, i)
            } else {
                (i, j)
            };
            let accepted = divisible
                && bookings
                    .get(rows[later].item.as_slice())
                    .is_some_and(|b| b.overlap_ok);
            if !accepted {
                conflicts[later].push(earlier);
            }
        }
        open.push(i);
    }
    let from = from.map(utc).unwrap_or_default();
    let to = to.map(utc).unwrap_or_else(|| "~".into());
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if row.start >= to || row.end <= from {
            continue;
        }
        let Some(booking) = bookings.get(row.item.as_slice()) else {
            continue;
        };
        let mut with: Vec<String> = conflicts[i].iter().map(|&j| hex::encode(&rows[j].item)).collect();
        with.sort();
        with.dedup();
        let status = if row.holds && !with.is_empty() {
            "conflict".to_owned()
        } else if booking.deleted {
            "cancelled".to_owned()
        } else {
            booking.status.clone()
        };
        out.push(Slot {
            id: hex::encode(&row.item),
            occurrence: u32::try_from(row.n).unwrap_or(u32::MAX),
            resource: hex::encode(&row.resource),
            resource_name: resources
                .get(&row.resource)
                .map(|r| r.fields.name.clone())
                .unwrap_or_default(),
            title: booking.fields.title.clone(),
            start: row.start.clone(),
            end: row.end.clone(),
            status,
            conflicts_with: with,
            recurring: !booking.fields.repeat_until.is_empty(),
            author_device: hex::encode(&row.author),
            author: String::new(),
            mine: false,
        });
    }
    out.sort_by(|a, b| (&a.start, &a.resource, &a.id).cmp(&(&b.start, &b.resource, &b.id)));
    Ok(out)
}

#[derive(sqlx::FromRow)]
struct Row {
    item: Vec<u8>,
    n: i64,
    resource: Vec<u8>,
    start: String,
    end: String,
    holds: bool,
    created_at: String,
    author: Vec<u8>,
    booking: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn french_summer_time_starts_and_ends_on_the_last_sundays() {
        let plus = |h| UtcOffset::from_hms(h, 0, 0).unwrap();
        assert_eq!(paris_offset(datetime!(2027-03-28 00:59 UTC)), plus(1));
        assert_eq!(paris_offset(datetime!(2027-03-28 01:00 UTC)), plus(2));
        assert_eq!(paris_offset(datetime!(2027-10-31 00:59 UTC)), plus(2));
        assert_eq!(paris_offset(datetime!(2027-10-31 01:00 UTC)), plus(1));
        assert_eq!(paris_offset(datetime!(2026-12-24 12:00 UTC)), plus(1));
    }

    #[test]
    fn a_weekly_booking_keeps_its_french_wall_clock_time_across_summer_time() {
        // Every Tuesday 14:00–16:00 from 16 March to 6 April 2027 (summer time
        // starts on 28 March).
        let slots = occurrences(
            datetime!(2027-03-16 14:00 +01:00),
            datetime!(2027-03-16 16:00 +01:00),
            Some(time::macros::date!(2027 - 04 - 06)),
        )
        .unwrap();
        let starts: Vec<String> = slots.iter().map(|(s, _)| utc(*s)).collect();
        assert_eq!(
            starts,
            [
                "2027-03-16T13:00:00.000000Z",
                "2027-03-23T13:00:00.000000Z",
                "2027-03-30T12:00:00.000000Z",
                "2027-04-06T12:00:00.000000Z",
            ]
        );
        assert!(slots.iter().all(|(s, e)| *e - *s == Duration::hours(2)));
    }

    #[test]
    fn a_booking_that_does_not_repeat_has_one_occurrence_and_too_many_are_refused() {
        let once = occurrences(
            datetime!(2027-01-05 09:00 UTC),
            datetime!(2027-01-05 10:00 UTC),
            None,
        )
        .unwrap();
        assert_eq!(once.len(), 1);
        let forever = occurrences(
            datetime!(2027-01-05 09:00 UTC),
            datetime!(2027-01-05 10:00 UTC),
            Some(time::macros::date!(2031 - 01 - 01)),
        );
        assert!(matches!(forever, Err(Error::InvalidInput(_))));
    }

    #[test]
    fn booking_input_follows_the_resource_rules() {
        let resource = Resource {
            id: ItemId::random().to_string(),
            space: String::new(),
            fields: ResourceInput {
                name: "Minibus".into(),
                max_minutes: 120,
                ..ResourceInput::default()
            },
            manager_device: String::new(),
            can_manage: false,
            deleted: false,
            updated_at: String::new(),
            updated_by: String::new(),
        };
        let input = |start: &str, end: &str| BookingInput {
            resource: resource.id.clone(),
            title: "Sortie".into(),
            start: start.into(),
            end: end.into(),
            repeat_until: String::new(),
        };
        assert!(matches!(
            input("2027-01-05T10:00:00+01:00", "2027-01-05T09:00:00+01:00").check(&resource),
            Err(Error::EndBeforeStart { .. })
        ));
        assert!(matches!(
            input("2027-01-05T10:00:00+01:00", "2027-01-05T12:01:00+01:00").check(&resource),
            Err(Error::BookingTooLong { max_minutes: 120 })
        ));
        let ok = input("2027-01-05T10:00:00+01:00", "2027-01-05T12:00:00+01:00")
            .check(&resource)
            .unwrap();
        assert_eq!(ok.slots.len(), 1);
    }
}
