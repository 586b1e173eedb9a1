//! The directory (annuaire): one Automerge document per card, for a person or an
//! organisation, and the `contacts` projection the views read.
//!
//! Every field but the notes is a register. When two members change the same field
//! offline, Automerge keeps both values; the card shows the one every computer picks
//! the same way, and lists the others with the device that wrote each, until someone
//! picks one ([`pick`] writes it over both). Notes are text, merged character by
//! character.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use time::OffsetDateTime;

use crate::error::Error;
use crate::fields::{get_bool, get_str, put_text, stamp};
use bastide_proto::{DeviceId, ItemId, SpaceId};

/// The item kind of directory cards.
pub const KIND: &str = "directory.card";

/// The register fields of a card, in the order forms show them.
pub const FIELDS: [&str; 13] = [
    "name",
    "kind",
    "organisation",
    "function",
    "commune",
    "discipline",
    "specialties",
    "status",
    "status_from",
    "status_until",
    "phone",
    "email",
    "address",
];

/// Longest value of a register field.
const MAX_FIELD: usize = 500;
/// Longest notes.
const MAX_NOTES: usize = 20_000;

/// What a person enters for a card. Field names are those of [`FIELDS`], in camelCase
/// in JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CardInput {
    /// Full name of the person, or the organisation's name.
    pub name: String,
    /// `person` or `organisation`.
    pub kind: String,
    /// Commune, EPCI, tourism office, medical practice...
    pub organisation: String,
    /// Function (secrétaire de mairie, infirmière...).
    pub function: String,
    /// Commune.
    pub commune: String,
    /// Discipline (health: médecin généraliste, kinésithérapeute...).
    pub discipline: String,
    /// Specialties, free text.
    pub specialties: String,
    /// `titulaire`, `remplaçant`, or empty.
    pub status: String,
    /// Start of a replacement (YYYY-MM-DD), if any.
    pub status_from: String,
    /// End of a replacement (YYYY-MM-DD), if any.
    pub status_until: String,
    /// Phone numbers, one per line.
    pub phone: String,
    /// Email addresses, one per line.
    pub email: String,
    /// Postal address.
    pub address: String,
    /// Notes, inside the space only.
    pub notes: String,
    /// Fields that may appear in a future public directory (names from [`FIELDS`]).
    pub public: Vec<String>,
}

/// One of several values a field was given concurrently.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alternative {
    /// The value.
    pub value: String,
    /// The device that wrote it (hex).
    pub device: String,
    /// Its member's name, when the views ask (empty in the projection).
    pub author: String,
}

/// A field with concurrent values: the card shows the first; all are listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    /// The field (a name from [`FIELDS`]).
    pub field: String,
    /// Every value, the one shown first.
    pub values: Vec<Alternative>,
}

/// A card as the views show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    /// Item id.
    pub id: String,
    /// Space id.
    pub space: String,
    /// The fields, as the form has them (with the value every computer shows).
    #[serde(flatten)]
    pub fields: CardInput,
    /// Fields edited concurrently, until someone picks a value.
    pub conflicts: Vec<Conflict>,
    /// In the trash.
    pub deleted: bool,
    /// When it was last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who last changed it, as written in the card.
    pub updated_by: String,
}

impl CardInput {
    /// Checks and normalises the input.
    pub(crate) fn check(mut self) -> Result<Self, Error> {
        for field in FIELDS {
            let value = self.field_mut(field);
            *value = value.trim().to_owned();
            if value.chars().count() > MAX_FIELD {
                return Err(Error::InvalidInput(format!(
                    "the field {field} is longer than {MAX_FIELD} characters"
                )));
            }
        }
        if self.name.is_empty() {
            return Err(Error::InvalidInput("a card needs a name".into()));
        }
        if self.kind.is_empty() {
            self.kind = "person".into();
        }
        if !matches!(self.kind.as_str(), "person" | "organisation") {
            return Err(Error::InvalidInput(format!(
                "a card is for a person or an organisation, not {:?}",
                self.kind
            )));
        }
        if !matches!(self.status.as_str(), "" | "titulaire" | "remplaçant") {
            return Err(Error::InvalidInput(format!(
                "the status is titulaire, remplaçant or nothing, not {:?}",
                self.status
            )));
        }
        for date in [&self.status_from, &self.status_until] {
            if !date.is_empty()
                && time::Date::parse(date, &time::format_description::well_known::Iso8601::DATE).is_err()
            {
                return Err(Error::InvalidInput(format!(
                    "{date:?} is not a date (YYYY-MM-DD)"
                )));
            }
        }
        if self.notes.chars().count() > MAX_NOTES {
            return Err(Error::InvalidInput(format!(
                "the notes are longer than {MAX_NOTES} characters"
            )));
        }
        self.public.retain(|f| FIELDS.contains(&f.as_str()));
        self.public.sort();
        self.public.dedup();
        Ok(self)
    }

    fn field(&self, name: &str) -> &str {
        match name {
            "name" => &self.name,
            "kind" => &self.kind,
            "organisation" => &self.organisation,
            "function" => &self.function,
            "commune" => &self.commune,
            "discipline" => &self.discipline,
            "specialties" => &self.specialties,
            "status" => &self.status,
            "status_from" => &self.status_from,
            "status_until" => &self.status_until,
            "phone" => &self.phone,
            "email" => &self.email,
            _ => &self.address,
        }
    }

    fn field_mut(&mut self, name: &str) -> &mut String {
        match name {
            "name" => &mut self.name,
            "kind" => &mut self.kind,
            "organisation" => &mut self.organisation,
            "function" => &mut self.function,
            "commune" => &mut self.commune,
            "discipline" => &mut self.discipline,
            "specialties" => &mut self.specialties,
            "status" => &mut self.status,
            "status_from" => &mut self.status_from,
            "status_until" => &mut self.status_until,
            "phone" => &mut self.phone,
            "email" => &mut self.email,
            _ => &mut self.address,
        }
    }
}

/// Writes a checked input into a new or existing card. Only fields that differ from
/// what the card shows are written, so an edit of one field leaves the others' values
/// (and their concurrent edits) alone.
pub(crate) fn write(
    doc: &mut AutoCommit,
    input: &CardInput,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let before = doc.get_heads();
    if get_str(doc, "type").as_deref() != Some(KIND) {
        doc.put(ROOT, "type", KIND)?;
    }
    for field in FIELDS {
        let value = input.field(field);
        if get_str(doc, field).as_deref().unwrap_or("") != value || doc.get_all(ROOT, field)?.len() > 1 {
            doc.put(ROOT, field, value)?;
        }
    }
    put_text(doc, "notes", &input.notes)?;
    let public = input.public.join(",");
    if get_str(doc, "public").unwrap_or_default() != public {
        doc.put(ROOT, "public", public)?;
    }
    crate::fields::init_deleted(doc)?;
    crate::fields::stamp_if_changed(doc, &before, by, now)
}

/// Settles a conflict: writes `value` into `field`, over every concurrent value.
pub(crate) fn pick(
    doc: &mut AutoCommit,
    field: &str,
    value: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    if !FIELDS.contains(&field) {
        return Err(Error::InvalidInput(format!("a card has no field {field:?}")));
    }
    doc.put(ROOT, field, value.trim())?;
    stamp(doc, by, now)
}

/// Every value of a register, the one `get` shows first, with the device that wrote
/// each (our actor ids are device ids).
fn values(doc: &AutoCommit, field: &str) -> Vec<Alternative> {
    let shown = get_str(doc, field);
    let mut all: Vec<Alternative> = doc
        .get_all(ROOT, field)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(value, id)| {
            let text = match value {
                Value::Scalar(s) => match s.as_ref() {
                    ScalarValue::Str(s) => s.to_string(),
                    _ => return None,
                },
                Value::Object(_) => return None,
            };
            let device = match id {
                automerge::ObjId::Id(_, actor, _) => hex::encode(actor.to_bytes()),
                automerge::ObjId::Root => String::new(),
            };
            Some(Alternative {
                value: text,
                device,
                author: String::new(),
            })
        })
        .collect();
    all.sort_by_key(|a| Some(&a.value) != shown.as_ref());
    all
}

/// Reads a card document.
pub(crate) fn read(doc: &AutoCommit, space: SpaceId, id: ItemId) -> Card {
    let mut fields = CardInput::default();
    let mut conflicts = Vec::new();
    for field in FIELDS {
        *fields.field_mut(field) = get_str(doc, field).unwrap_or_default();
        let values = values(doc, field);
        if values.len() > 1 {
            conflicts.push(Conflict {
                field: field.to_owned(),
                values,
            });
        }
    }
    fields.notes = match doc.get(ROOT, "notes") {
        Ok(Some((Value::Object(ObjType::Text), text))) => doc.text(&text).unwrap_or_default(),
        _ => String::new(),
    };
    fields.public = get_str(doc, "public")
        .unwrap_or_default()
        .split(',')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect();
    Card {
        id: id.to_string(),
        space: space.to_string(),
        fields,
        conflicts,
        deleted: get_bool(doc, "deleted").unwrap_or(false),
        updated_at: get_str(doc, "updated_at").unwrap_or_default(),
        updated_by: get_str(doc, "updated_by").unwrap_or_default(),
    }
}

/// Writes a card into the projection.
pub(crate) async fn project(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
    card: &Card,
) -> Result<(), Error> {
    let json = crate::fields::to_json(card)?;
    sqlx::query(
        "INSERT INTO contacts (item, space, name, organisation, commune, discipline, deleted, card)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(item) DO UPDATE SET name = excluded.name, organisation = excluded.organisation,
           commune = excluded.commune, discipline = excluded.discipline, deleted = excluded.deleted,
           card = excluded.card",
    )
    .bind(id.0.as_slice())
    .bind(space.0.as_slice())
    .bind(&card.fields.name)
    .bind(&card.fields.organisation)
    .bind(&card.fields.commune)
    .bind(&card.fields.discipline)
    .bind(card.deleted)
    .bind(json)
    .execute(conn)
    .await?;
    Ok(())
}

/// Which cards to list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CardFilter {
    /// Only this organisation.
    pub organisation: Option<String>,
    /// Only this commune.
    pub commune: Option<String>,
    /// Only this discipline.
    pub discipline: Option<String>,
    /// The trash instead.
    pub deleted: bool,
}

/// Cards of a space from the projection, by name (accents and case as SQLite's
/// NOCASE folds them), filtered.
pub(crate) async fn list(
    conn: &mut SqliteConnection,
    space: SpaceId,
    filter: &CardFilter,
) -> Result<Vec<Card>, Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT card FROM contacts WHERE space = ? AND deleted = ?
           AND (? IS NULL OR organisation = ?) AND (? IS NULL OR commune = ?) AND (? IS NULL OR discipline = ?)
         ORDER BY name COLLATE NOCASE, item",
    )
    .bind(space.0.as_slice())
    .bind(filter.deleted)
    .bind(&filter.organisation)
    .bind(&filter.organisation)
    .bind(&filter.commune)
    .bind(&filter.commune)
    .bind(&filter.discipline)
    .bind(&filter.discipline)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(json,)| {
            serde_json::from_str(&json).map_err(|e| Error::InvalidInput(format!("corrupt card: {e}")))
        })
        .collect()
}

/// One card from the projection.
pub(crate) async fn get(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
) -> Result<Option<Card>, Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT card FROM contacts WHERE space = ? AND item = ?")
        .bind(space.0.as_slice())
        .bind(id.0.as_slice())
        .fetch_optional(conn)
        .await?;
    row.map(|(json,)| {
        serde_json::from_str(&json).map_err(|e| Error::InvalidInput(format!("corrupt card: {e}")))
    })
    .transpose()
}

/// Names the authors of concurrent values with `name_of`.
pub(crate) fn name_authors(card: &mut Card, name_of: impl Fn(&DeviceId) -> Option<String>) {
    for conflict in &mut card.conflicts {
        for alternative in &mut conflict.values {
            if let Ok(device) = alternative.device.parse::<DeviceId>() {
                alternative.author = name_of(&device).unwrap_or_default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(name: &str) -> CardInput {
        CardInput {
            name: name.into(),
            organisation: "Mairie de Saint-Cirq".into(),
            ..CardInput::default()
        }
    }

    #[test]
    fn bad_cards_are_refused() {
        assert!(CardInput::default().check().is_err(), "a name is needed");
        let mut odd = card("Dr Martin");
        odd.status = "interne".into();
        assert!(odd.check().is_err());
        let mut date = card("Dr Martin");
        date.status_from = "demain".into();
        assert!(date.check().is_err());
        let mut long = card("Dr Martin");
        long.phone = "0".repeat(MAX_FIELD + 1);
        assert!(long.check().is_err());
        let checked = card("  Dr Martin ").check().unwrap();
        assert_eq!(
            (checked.name.as_str(), checked.kind.as_str()),
            ("Dr Martin", "person")
        );
    }

    #[test]
    fn concurrent_edits_of_a_field_show_both_values_until_one_is_picked() {
        let now = OffsetDateTime::now_utc();
        let alice = automerge::ActorId::from([1u8; 32].as_slice());
        let bob = automerge::ActorId::from([2u8; 32].as_slice());
        let mut a = AutoCommit::new().with_actor(alice);
        write(&mut a, &card("Cabinet infirmier").check().unwrap(), "Alice", now).unwrap();
        let mut b = a.fork().with_actor(bob);
        let mut on_a = card("Cabinet infirmier");
        on_a.phone = "05 65 00 00 01".into();
        write(&mut a, &on_a.check().unwrap(), "Alice", now).unwrap();
        let mut on_b = card("Cabinet infirmier");
        on_b.phone = "05 65 00 00 02".into();
        on_b.commune = "Cajarc".into();
        write(&mut b, &on_b.check().unwrap(), "Bob", now).unwrap();
        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        let (ra, rb) = (
            read(&a, SpaceId([0; 16]), ItemId([0; 16])),
            read(&b, SpaceId([0; 16]), ItemId([0; 16])),
        );
        assert_eq!(ra.fields, rb.fields, "both computers show the same values");
        assert_eq!(
            ra.fields.commune, "Cajarc",
            "a field only one side changed merges"
        );
        assert_eq!(ra.conflicts.len(), 1, "{:?}", ra.conflicts);
        let phone = &ra.conflicts[0];
        assert_eq!(phone.field, "phone");
        let mut values: Vec<(&str, &str)> = phone
            .values
            .iter()
            .map(|v| (v.value.as_str(), v.device.as_str()))
            .collect();
        values.sort();
        let (hex1, hex2) = (hex::encode([1u8; 32]), hex::encode([2u8; 32]));
        assert_eq!(
            values,
            vec![
                ("05 65 00 00 01", hex1.as_str()),
                ("05 65 00 00 02", hex2.as_str())
            ]
        );
        assert_eq!(
            phone.values[0].value, ra.fields.phone,
            "the shown value comes first"
        );

        pick(&mut a, "phone", "05 65 00 00 02", "Alice", now).unwrap();
        b.merge(&mut a).unwrap();
        let settled = read(&b, SpaceId([0; 16]), ItemId([0; 16]));
        assert!(settled.conflicts.is_empty());
        assert_eq!(settled.fields.phone, "05 65 00 00 02");
    }
}
