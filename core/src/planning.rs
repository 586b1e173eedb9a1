//! Planning: weekly rotas per team (people × days × shifts) and on-call rosters
//! (tableaux de garde) with swaps between members.
//!
//! A team is one document (its people and shifts); each of its weeks is another, with
//! an id every computer derives from the team and the week's Monday, so two people who
//! start the same week offline write into one item. A cell ("2027-01-11|Anne|Matin")
//! is a boolean register.
//!
//! A roster is one document: each slot's assignee is a register, and each swap is a
//! request (who gives the slot, to whom) with a status register. Who is on call is
//! derived: the slot's assignee, then each accepted swap in request order whose giver
//! still holds the slot. Concurrent answers or reassignments made offline therefore
//! converge to the same person everywhere, and a stale swap has no effect.

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use time::{Date, Duration, OffsetDateTime};

use crate::cantine::day_text;
use crate::error::Error;
use crate::fields::{get_bool, get_str, put_str_if_changed, stamp, utc};
use bastide_proto::{ItemId, SpaceId};

/// The item kind of teams.
pub const TEAM: &str = "planning.team";
/// The item kind of a team's week.
pub const WEEK: &str = "planning.week";
/// The item kind of on-call rosters.
pub const ROSTER: &str = "planning.roster";

/// Shifts a new team starts with.
pub const DEFAULT_SHIFTS: [&str; 2] = ["Matin", "Après-midi"];
const MAX_NAME: usize = 100;
const MAX_LIST: usize = 60;
const SEP: char = '|';

/// What a person enters for a team.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TeamInput {
    /// The team (Services techniques, Accueil mairie).
    pub name: String,
    /// Its people, in the rota's order (agents need no account).
    pub people: Vec<String>,
    /// Its shifts (Matin, Après-midi, Nuit...).
    pub shifts: Vec<String>,
}

/// A team as the views show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Team {
    /// Item id.
    pub id: String,
    /// Space id.
    pub space: String,
    /// Its fields.
    #[serde(flatten)]
    pub fields: TeamInput,
    /// In the trash.
    pub deleted: bool,
}

/// A team's week.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotaWeek {
    /// The team's id.
    pub team: String,
    /// Its name.
    pub team_name: String,
    /// The week's Monday (YYYY-MM-DD).
    pub monday: String,
    /// Its seven days.
    pub days: Vec<String>,
    /// The rows.
    pub people: Vec<String>,
    /// The shifts.
    pub shifts: Vec<String>,
    /// Who works when: "date|person" → shifts, in the team's order.
    pub cells: BTreeMap<String, Vec<String>>,
}

impl TeamInput {
    /// Checks and normalises the input.
    pub(crate) fn check(mut self) -> Result<Self, Error> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() {
            return Err(Error::EmptyTitle);
        }
        if self.name.chars().count() > MAX_NAME {
            return Err(Error::InvalidInput(format!(
                "the name is longer than {MAX_NAME} characters"
            )));
        }
        self.people = crate::fields::clean_names(&self.people, "person's name", MAX_NAME, MAX_LIST)?;
        self.shifts = crate::fields::clean_names(&self.shifts, "shift's name", MAX_NAME, MAX_LIST)?;
        if self.shifts.is_empty() {
            self.shifts = DEFAULT_SHIFTS.map(str::to_owned).to_vec();
        }
        Ok(self)
    }
}

/// Writes a checked team.
pub(crate) fn write_team(
    doc: &mut AutoCommit,
    input: &TeamInput,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let before = doc.get_heads();
    put_str_if_changed(doc, "type", TEAM)?;
    put_str_if_changed(doc, "name", &input.name)?;
    put_str_if_changed(doc, "people", &input.people.join("\n"))?;
    put_str_if_changed(doc, "shifts", &input.shifts.join("\n"))?;
    crate::fields::init_deleted(doc)?;
    crate::fields::stamp_if_changed(doc, &before, by, now)
}

fn lines(doc: &AutoCommit, key: &str) -> Vec<String> {
    get_str(doc, key)
        .unwrap_or_default()
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads a team.
pub(crate) fn read_team(doc: &AutoCommit, space: SpaceId, id: ItemId) -> Team {
    Team {
        id: id.to_string(),
        space: space.to_string(),
        fields: TeamInput {
            name: get_str(doc, "name").unwrap_or_default(),
            people: lines(doc, "people"),
            shifts: lines(doc, "shifts"),
        },
        deleted: get_bool(doc, "deleted").unwrap_or(false),
    }
}

/// The Monday of the week holding `day`.
pub fn monday_of(day: Date) -> Date {
    day - Duration::days(i64::from(day.weekday().number_days_from_monday()))
}

/// The id of a team's week: the same on every computer.
pub(crate) fn week_id(team: ItemId, monday: Date) -> ItemId {
    crate::fields::derived_id("bastide planning week", &[&team.0, day_text(monday).as_bytes()])
}

/// Writes cells of a week: `(day, person, shift, on)`.
pub(crate) fn write_cells(
    doc: &mut AutoCommit,
    team: ItemId,
    monday: Date,
    cells: &[(Date, String, String, bool)],
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let before = doc.get_heads();
    put_str_if_changed(doc, "type", WEEK)?;
    put_str_if_changed(doc, "team", &team.to_string())?;
    put_str_if_changed(doc, "monday", &day_text(monday))?;
    for (day, person, shift, on) in cells {
        let key = format!("{}{SEP}{person}{SEP}{shift}", day_text(*day));
        if get_bool(doc, &key).unwrap_or(false) != *on {
            doc.put(ROOT, key.as_str(), *on)?;
        }
    }
    crate::fields::stamp_if_changed(doc, &before, by, now)
}

/// The cells switched on in a week's document: (day, person, shift).
pub(crate) fn read_cells(doc: &AutoCommit) -> Vec<(String, String, String)> {
    doc.keys(ROOT)
        .filter_map(|k| {
            let mut parts = k.splitn(3, SEP);
            let (day, person, shift) = (parts.next()?, parts.next()?, parts.next()?);
            (get_bool(doc, &k) == Some(true)).then(|| (day.to_owned(), person.to_owned(), shift.to_owned()))
        })
        .collect()
}

/// Builds the view of a week from a team and its cells.
pub(crate) fn week_view(team: &Team, monday: Date, on: &[(String, String, String)]) -> RotaWeek {
    let days: Vec<String> = (0..7).map(|d| day_text(monday + Duration::days(d))).collect();
    let mut cells: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for shift in &team.fields.shifts {
        for (day, person, s) in on {
            if s == shift && days.contains(day) {
                cells
                    .entry(format!("{day}{SEP}{person}"))
                    .or_default()
                    .push(shift.clone());
            }
        }
    }
    RotaWeek {
        team: team.id.clone(),
        team_name: team.fields.name.clone(),
        monday: day_text(monday),
        days,
        people: team.fields.people.clone(),
        shifts: team.fields.shifts.clone(),
        cells,
    }
}

/// The CSV of a week: one row per person, one column per day, shifts joined.
pub fn rota_csv(week: &RotaWeek) -> Vec<u8> {
    let field = crate::export::csv_field;
    let mut out = String::from("\u{feff}");
    out.push_str(&format!("{};{}\r\n", field(&week.team_name), week.days.join(";")));
    for person in &week.people {
        let row: Vec<String> = week
            .days
            .iter()
            .map(|d| {
                week.cells
                    .get(&format!("{d}{SEP}{person}"))
                    .map(|s| field(&s.join(" + ")))
                    .unwrap_or_default()
            })
            .collect();
        out.push_str(&format!("{};{}\r\n", field(person), row.join(";")));
    }
    out.into_bytes()
}

// ----- on-call rosters -----

/// One slot of a roster, with who is on call after swaps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterSlot {
    /// Start (RFC 3339, UTC): also the slot's key.
    pub start: String,
    /// End.
    pub end: String,
    /// The member on call (id, hex), after accepted swaps.
    pub member: String,
    /// Their name (filled by the views).
    pub name: String,
    /// The member first assigned.
    pub assigned: String,
}

/// A swap asked by the member on call to another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Swap {
    /// Its id.
    pub id: String,
    /// The slot (its start).
    pub slot: String,
    /// Who gives the slot (member id).
    pub from: String,
    /// Their name.
    pub from_name: String,
    /// Who is asked to take it.
    pub to: String,
    /// Their name.
    pub to_name: String,
    /// `requested`, `accepted`, `refused` or `withdrawn`.
    pub status: String,
    /// When it was asked.
    pub requested_at: String,
}

/// A roster as the views show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Roster {
    /// Item id.
    pub id: String,
    /// Space id.
    pub space: String,
    /// Its name (Garde des médecins, secteur de Figeac).
    pub name: String,
    /// Its slots, by start.
    pub slots: Vec<RosterSlot>,
    /// Its swaps, by request time.
    pub swaps: Vec<Swap>,
    /// The slot covering now, if any.
    pub now: Option<RosterSlot>,
    /// In the trash.
    pub deleted: bool,
}

#[derive(Serialize, Deserialize)]
struct SwapRequest {
    slot: String,
    from: String,
    to: String,
    requested_at: String,
}

/// Writes a new roster.
pub(crate) fn write_roster(
    doc: &mut AutoCommit,
    name: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::EmptyTitle);
    }
    if name.chars().count() > MAX_NAME {
        return Err(Error::InvalidInput(format!(
            "the name is longer than {MAX_NAME} characters"
        )));
    }
    put_str_if_changed(doc, "type", ROSTER)?;
    put_str_if_changed(doc, "name", name)?;
    crate::fields::init_deleted(doc)?;
    stamp(doc, by, now)
}

/// Sets a slot (from `start` to `end`) and the member assigned to it.
pub(crate) fn write_slot(
    doc: &mut AutoCommit,
    start: OffsetDateTime,
    end: OffsetDateTime,
    member: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    if end <= start {
        return Err(Error::EndBeforeStart {
            start: utc(start),
            end: utc(end),
        });
    }
    let key = utc(start);
    put_str_if_changed(doc, &format!("slot/{key}{SEP}end"), &utc(end))?;
    put_str_if_changed(doc, &format!("slot/{key}{SEP}who"), member)?;
    stamp(doc, by, now)
}

/// Records a swap request.
pub(crate) fn write_swap_request(
    doc: &mut AutoCommit,
    id: &str,
    slot: &str,
    from: &str,
    to: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let request = SwapRequest {
        slot: slot.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
        requested_at: utc(now),
    };
    let json = crate::fields::to_json(&request)?;
    doc.put(ROOT, format!("swap/{id}").as_str(), json)?;
    doc.put(ROOT, format!("swap/{id}{SEP}status").as_str(), "requested")?;
    stamp(doc, by, now)
}

/// Answers (or withdraws) a swap.
pub(crate) fn write_swap_status(
    doc: &mut AutoCommit,
    id: &str,
    status: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    put_str_if_changed(doc, &format!("swap/{id}{SEP}status"), status)?;
    stamp(doc, by, now)
}

/// Reads a roster; names are filled by the views; `now` picks the current slot.
pub(crate) fn read_roster(doc: &AutoCommit, space: SpaceId, id: ItemId, now: &str) -> Roster {
    let keys: Vec<String> = doc.keys(ROOT).collect();
    let mut starts = BTreeSet::new();
    let mut swaps = Vec::new();
    for key in &keys {
        if let Some(start) = key.strip_prefix("slot/").and_then(|k| k.strip_suffix("|who")) {
            starts.insert(start.to_owned());
        } else if let Some(swap) = key.strip_prefix("swap/").filter(|k| !k.contains(SEP)) {
            let Some(request) = get_str(doc, key).and_then(|j| serde_json::from_str::<SwapRequest>(&j).ok())
            else {
                continue;
            };
            swaps.push(Swap {
                id: swap.to_owned(),
                slot: request.slot,
                from: request.from,
                from_name: String::new(),
                to: request.to,
                to_name: String::new(),
                status: get_str(doc, &format!("{key}{SEP}status")).unwrap_or_else(|| "requested".into()),
                requested_at: request.requested_at,
            });
        }
    }
    swaps.sort_by(|a, b| (&a.requested_at, &a.id).cmp(&(&b.requested_at, &b.id)));
    let slots: Vec<RosterSlot> = starts
        .into_iter()
        .map(|start| {
            let assigned = get_str(doc, &format!("slot/{start}{SEP}who")).unwrap_or_default();
            let mut member = assigned.clone();
            for swap in swaps.iter().filter(|s| s.slot == start && s.status == "accepted") {
                if swap.from == member {
                    member.clone_from(&swap.to);
                }
            }
            RosterSlot {
                end: get_str(doc, &format!("slot/{start}{SEP}end")).unwrap_or_default(),
                start,
                member,
                name: String::new(),
                assigned,
            }
        })
        .collect();
    let current = slots
        .iter()
        .find(|s| s.start.as_str() <= now && now < s.end.as_str())
        .cloned();
    Roster {
        id: id.to_string(),
        space: space.to_string(),
        name: get_str(doc, "name").unwrap_or_default(),
        slots,
        swaps,
        now: current,
        deleted: get_bool(doc, "deleted").unwrap_or(false),
    }
}

/// Writes a team or a roster into the projection (their documents are small; weeks
/// are read from their documents).
pub(crate) async fn project(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
    kind: &str,
    name: &str,
    deleted: bool,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO planning (item, space, kind, name, deleted) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(item) DO UPDATE SET name = excluded.name, deleted = excluded.deleted",
    )
    .bind(id.0.as_slice())
    .bind(space.0.as_slice())
    .bind(kind)
    .bind(name)
    .bind(deleted)
    .execute(conn)
    .await?;
    Ok(())
}

/// The ids of a space's teams or rosters, by name.
pub(crate) async fn list(
    conn: &mut SqliteConnection,
    space: SpaceId,
    kind: &str,
) -> Result<Vec<ItemId>, Error> {
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as(
        "SELECT item FROM planning WHERE space = ? AND kind = ? AND deleted = 0 ORDER BY name COLLATE NOCASE, item",
    )
    .bind(space.0.as_slice())
    .bind(kind)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id,)| <[u8; 16]>::try_from(id).ok().map(ItemId))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn an_accepted_swap_moves_the_slot_and_a_stale_one_does_not() {
        let now = datetime!(2027-01-10 12:00 UTC);
        let mut doc = AutoCommit::new();
        write_roster(&mut doc, "Garde", "A", now).unwrap();
        let start = datetime!(2027-01-15 19:00 UTC);
        write_slot(&mut doc, start, start + Duration::hours(12), "anne", "A", now).unwrap();
        write_swap_request(&mut doc, "s1", &utc(start), "anne", "bruno", "A", now).unwrap();
        let read = |doc: &AutoCommit| {
            read_roster(
                doc,
                SpaceId::random(),
                ItemId::random(),
                "2027-01-15T20:00:00.000000Z",
            )
        };
        assert_eq!(read(&doc).slots[0].member, "anne", "requested is not accepted");
        let mut other = doc.fork();
        write_swap_status(&mut doc, "s1", "accepted", "B", now).unwrap();
        // Meanwhile, offline, a swap from Anne to Carla is asked and accepted.
        write_swap_request(
            &mut other,
            "s2",
            &utc(start),
            "anne",
            "carla",
            "A",
            now + Duration::minutes(1),
        )
        .unwrap();
        write_swap_status(&mut other, "s2", "accepted", "C", now).unwrap();
        doc.merge(&mut other).unwrap();
        let roster = read(&doc);
        assert_eq!(
            roster.slots[0].member, "bruno",
            "the earlier swap wins; the later one is stale"
        );
        assert_eq!(roster.now.map(|s| s.member).as_deref(), Some("bruno"));
        assert_eq!(roster.swaps.len(), 2);
    }

    #[test]
    fn weeks_start_on_monday_and_csv_lists_shifts() {
        assert_eq!(monday_of(date!(2027 - 01 - 14)), date!(2027 - 01 - 11));
        assert_eq!(monday_of(date!(2027 - 01 - 11)), date!(2027 - 01 - 11));
        let team = Team {
            id: ItemId::random().to_string(),
            space: String::new(),
            fields: TeamInput {
                name: "Accueil".into(),
                people: vec!["Anne".into(), "Bruno".into()],
                shifts: vec!["Matin".into(), "Après-midi".into()],
            },
            deleted: false,
        };
        let on = vec![
            (
                "2027-01-11".to_owned(),
                "Anne".to_owned(),
                "Après-midi".to_owned(),
            ),
            ("2027-01-11".to_owned(), "Anne".to_owned(), "Matin".to_owned()),
            ("2027-01-12".to_owned(), "Bruno".to_owned(), "Matin".to_owned()),
        ];
        let week = week_view(&team, date!(2027 - 01 - 11), &on);
        assert_eq!(
            week.cells["2027-01-11|Anne"],
            ["Matin", "Après-midi"],
            "in the team's order"
        );
        let csv = String::from_utf8(rota_csv(&week)).unwrap();
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[1], "Anne;Matin + Après-midi;;;;;;");
        assert_eq!(lines[2], "Bruno;;Matin;;;;;");
    }
}
