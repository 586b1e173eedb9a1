//! The document base: one Automerge document per document, holding its folder, tags,
//! description and the list of its file versions (each a [`FileRef`] with who added
//! it and when), and the élus' approval chain.
//!
//! An editor submits the latest version, naming the validators needed (or all of the
//! space's). Each decision is a validator's Ed25519 signature over the exact version
//! (the BLAKE3 hash of its bytes) and the decision, kept in the document, so decisions
//! made offline count when they arrive. A decision counts only if its signature holds
//! and its signer is, by the membership log, a validator (or admin) of the space;
//! others are listed as invalid. A new version after approval is "changed since
//! approval" and needs approval again.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use bastide_proto::membership::{Membership, Role};
use bastide_proto::{DeviceId, DeviceKey, ItemId, MemberId, SpaceId};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use time::OffsetDateTime;

use crate::error::Error;
use crate::fields::{get_bool, get_str, put_str_if_changed, put_text, stamp, utc};
use crate::files::FileRef;

/// The item kind of documents.
pub const KIND: &str = "doc.document";

/// Longest title, folder or tag list.
const MAX_SHORT: usize = 300;
/// Longest description or decision comment.
const MAX_TEXT: usize = 20_000;

/// One version of a document's file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    /// The file's name when added.
    pub name: String,
    /// Where its bytes are.
    pub file: FileRef,
    /// When it was added (RFC 3339, UTC).
    pub added_at: String,
    /// The device that added it (hex).
    pub added_by: String,
    /// Whether the app opens it with the system's application ([`opens_with_system`]);
    /// worked out from the name on every read, whatever a stored copy says.
    #[serde(default, skip_deserializing)]
    pub openable: bool,
}

/// File types the app hands to the system's application: documents (PDF, ODF, OOXML
/// and their older Office forms, RTF), text, CSV and images. Anything else (a script,
/// an installer, a `.desktop` file, HTML or SVG that a browser would run) can only be
/// saved: a name comes from another member, and opening runs whatever the system
/// associates with it.
const OPENABLE: &[&str] = &[
    "pdf", "odt", "ods", "odp", "odg", "docx", "xlsx", "pptx", "doc", "xls", "ppt", "rtf", "txt", "csv",
    "png", "jpg", "jpeg", "gif", "webp", "tif", "tiff", "bmp",
];

/// Whether a file called `name` may be opened with the system's application.
pub fn opens_with_system(name: &str) -> bool {
    std::path::Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| OPENABLE.contains(&e.to_ascii_lowercase().as_str()))
}

/// `name` (another member's) as a plain file name: no separators, no control
/// characters, no leading dots (`..`, hidden files); "document" if nothing is left.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        "document".to_owned()
    } else {
        cleaned.chars().take(200).collect()
    }
}

/// A decision on a version, as signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// The validator's device (hex).
    pub device: String,
    /// Its member's name (filled when read).
    pub author: String,
    /// Approved, or refused.
    pub approved: bool,
    /// Why (a refusal carries one).
    pub comment: String,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Whether the signature holds and the signer is a validator.
    pub valid: bool,
}

/// Where a document stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Never submitted.
    Draft,
    /// Submitted, waiting for validators.
    Awaiting,
    /// Every validator needed approved the latest version.
    Approved,
    /// A validator refused the latest version.
    Refused,
    /// A newer version than the approved one, not approved yet.
    ChangedSinceApproval,
}

/// A document as the views show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// Item id.
    pub id: String,
    /// Space id.
    pub space: String,
    /// Title.
    pub title: String,
    /// Thematic folder.
    pub folder: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Description.
    pub description: String,
    /// Versions, oldest first.
    pub versions: Vec<Version>,
    /// Where it stands (for the latest version).
    pub status: Status,
    /// Validators needed for the latest version (member ids), if submitted.
    pub validators: Vec<String>,
    /// Their names, in the same order.
    pub validator_names: Vec<String>,
    /// Decisions on the latest version, invalid ones included.
    pub decisions: Vec<Decision>,
    /// In the trash.
    pub deleted: bool,
    /// Last change (RFC 3339, UTC).
    pub updated_at: String,
}

/// The message a validator signs.
pub fn decision_message(
    space: SpaceId,
    item: ItemId,
    version_hash: &str,
    approved: bool,
    comment: &str,
) -> Vec<u8> {
    [
        b"bastide/1 approval\0".as_slice(),
        &space.0,
        &item.0,
        version_hash.as_bytes(),
        &[u8::from(approved)],
        comment.as_bytes(),
    ]
    .concat()
}

fn check_short(what: &str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.chars().count() > MAX_SHORT {
        return Err(Error::InvalidInput(format!(
            "the {what} is longer than {MAX_SHORT} characters"
        )));
    }
    Ok(value.to_owned())
}

/// Writes a new document with its first version.
pub(crate) fn create(
    doc: &mut AutoCommit,
    title: &str,
    folder: &str,
    first: &Version,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let title = check_short("title", title)?;
    if title.is_empty() {
        return Err(Error::EmptyTitle);
    }
    doc.put(ROOT, "type", KIND)?;
    put_text(doc, "title", &title)?;
    doc.put(ROOT, "folder", check_short("folder", folder)?)?;
    doc.put(ROOT, "tags", "")?;
    put_text(doc, "description", "")?;
    doc.put_object(ROOT, "versions", ObjType::List)?;
    doc.put_object(ROOT, "submissions", ObjType::Map)?;
    doc.put_object(ROOT, "decisions", ObjType::Map)?;
    doc.put(ROOT, "deleted", false)?;
    add_version(doc, first, by, now)
}

/// Empties a document for good: its title, description, tags, text and versions (so
/// their file keys) leave the current document, and the projection forgets it. Its
/// sealed history stays in the log.
pub(crate) fn purge(doc: &mut AutoCommit, by: &str, now: OffsetDateTime) -> Result<(), Error> {
    put_text(doc, "title", "")?;
    put_text(doc, "description", "")?;
    put_str_if_changed(doc, "tags", "")?;
    put_str_if_changed(doc, "text", "")?;
    if let Some((Value::Object(ObjType::List), versions)) = doc.get(ROOT, "versions")? {
        for at in (0..doc.length(&versions)).rev() {
            doc.delete(&versions, at)?;
        }
    }
    doc.put_object(ROOT, "submissions", ObjType::Map)?;
    doc.put_object(ROOT, "decisions", ObjType::Map)?;
    doc.put(ROOT, "purged", true)?;
    stamp(doc, by, now)
}

/// Changes title, folder, tags and description.
pub(crate) fn describe(
    doc: &mut AutoCommit,
    title: &str,
    folder: &str,
    tags: &[String],
    description: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let title = check_short("title", title)?;
    if title.is_empty() {
        return Err(Error::EmptyTitle);
    }
    if description.chars().count() > MAX_TEXT {
        return Err(Error::InvalidInput(format!(
            "the description is longer than {MAX_TEXT} characters"
        )));
    }
    let before = doc.get_heads();
    put_text(doc, "title", &title)?;
    put_str_if_changed(doc, "folder", &check_short("folder", folder)?)?;
    let tags: Vec<String> = tags
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    put_str_if_changed(doc, "tags", &check_short("tags", &tags.join(","))?)?;
    put_text(doc, "description", description.trim())?;
    crate::fields::stamp_if_changed(doc, &before, by, now)
}

/// Keeps the latest version's text (extracted for search); empty when it has none.
pub(crate) fn set_text(doc: &mut AutoCommit, text: &str) -> Result<(), Error> {
    put_str_if_changed(doc, "text", text)
}

/// The latest version's extracted text.
pub(crate) fn text(doc: &AutoCommit) -> String {
    get_str(doc, "text").unwrap_or_default()
}

/// Appends a version.
pub(crate) fn add_version(
    doc: &mut AutoCommit,
    version: &Version,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let versions = match doc.get(ROOT, "versions")? {
        Some((Value::Object(ObjType::List), id)) => id,
        _ => doc.put_object(ROOT, "versions", ObjType::List)?,
    };
    let json = crate::fields::to_json(version)?;
    let at = doc.length(&versions);
    doc.insert(&versions, at, json)?;
    stamp(doc, by, now)
}

/// Submits the latest version for approval by `validators` (member ids; empty means
/// every validator of the space).
pub(crate) fn submit(
    doc: &mut AutoCommit,
    validators: &[MemberId],
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let Some(latest) = versions(doc).pop() else {
        return Err(Error::InvalidInput("the document has no version".into()));
    };
    let submissions = map(doc, "submissions")?;
    let names: Vec<String> = validators.iter().map(ToString::to_string).collect();
    let value = if names.is_empty() {
        "all".to_owned()
    } else {
        names.join(",")
    };
    doc.put(&submissions, latest.file.hash.as_str(), value)?;
    stamp(doc, by, now)
}

/// Records `device`'s signed decision on the latest version of `item` in `space`.
pub(crate) fn decide(
    doc: &mut AutoCommit,
    (space, item): (SpaceId, ItemId),
    device: &DeviceKey,
    approved: bool,
    comment: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    if comment.chars().count() > MAX_TEXT {
        return Err(Error::InvalidInput(format!(
            "the comment is longer than {MAX_TEXT} characters"
        )));
    }
    if !approved && comment.trim().is_empty() {
        return Err(Error::InvalidInput("a refusal needs a comment".into()));
    }
    let Some(latest) = versions(doc).pop() else {
        return Err(Error::InvalidInput("the document has no version".into()));
    };
    let hash = latest.file.hash;
    let signature = device.sign(&decision_message(space, item, &hash, approved, comment.trim()));
    // One flat key per version and validator: two validators deciding offline each
    // write their own key. (A nested map per version, created by whoever decides
    // first, would be created twice concurrently, and Automerge would keep one.)
    let decisions = map(doc, "decisions")?;
    let record = serde_json::json!({
        "approved": approved,
        "comment": comment.trim(),
        "at": utc(now),
        "signature": hex::encode(signature),
    });
    doc.put(
        &decisions,
        format!("{hash}/{}", device.device_id()),
        record.to_string(),
    )?;
    stamp(doc, by, now)
}

fn map(doc: &mut AutoCommit, key: &str) -> Result<automerge::ObjId, Error> {
    Ok(match doc.get(ROOT, key)? {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => doc.put_object(ROOT, key, ObjType::Map)?,
    })
}

fn str_of(value: &Value<'_>) -> Option<String> {
    match value {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        Value::Object(_) => None,
    }
}

/// The versions, oldest first (unreadable entries skipped).
pub(crate) fn versions(doc: &AutoCommit) -> Vec<Version> {
    let Ok(Some((Value::Object(ObjType::List), list))) = doc.get(ROOT, "versions") else {
        return Vec::new();
    };
    (0..doc.length(&list))
        .filter_map(|i| doc.get(&list, i).ok().flatten())
        .filter_map(|(v, _)| str_of(&v))
        .filter_map(|json| serde_json::from_str::<Version>(&json).ok())
        .map(|mut v| {
            v.openable = opens_with_system(&v.name);
            v
        })
        .collect()
}

/// Raw decisions recorded for `hash` (keys `hash/device`): device hex → JSON.
fn raw_decisions(doc: &AutoCommit, hash: &str) -> BTreeMap<String, String> {
    let Ok(Some((Value::Object(ObjType::Map), decisions))) = doc.get(ROOT, "decisions") else {
        return BTreeMap::new();
    };
    let prefix = format!("{hash}/");
    doc.keys(&decisions)
        .filter_map(|key| {
            let device = key.strip_prefix(&prefix)?.to_owned();
            let (value, _) = doc.get(&decisions, key.as_str()).ok().flatten()?;
            str_of(&value).map(|v| (device, v))
        })
        .collect()
}

fn submission(doc: &AutoCommit, hash: &str) -> Option<String> {
    let Ok(Some((Value::Object(ObjType::Map), submissions))) = doc.get(ROOT, "submissions") else {
        return None;
    };
    doc.get(&submissions, hash)
        .ok()
        .flatten()
        .and_then(|(v, _)| str_of(&v))
}

/// What the projection keeps: the document with its raw approval data, judged when
/// read (judging needs the membership log).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Stored {
    pub(crate) title: String,
    pub(crate) folder: String,
    pub(crate) tags: Vec<String>,
    pub(crate) description: String,
    pub(crate) versions: Vec<Version>,
    /// For each version hash that was submitted: "all" or member ids.
    pub(crate) submissions: BTreeMap<String, String>,
    /// For each version hash: device hex → decision JSON.
    pub(crate) decisions: BTreeMap<String, BTreeMap<String, String>>,
    pub(crate) deleted: bool,
    /// Emptied for good by an admin.
    #[serde(default)]
    pub(crate) purged: bool,
    pub(crate) updated_at: String,
}

/// Reads a document into what the projection keeps.
pub(crate) fn read(doc: &AutoCommit) -> Stored {
    let versions = versions(doc);
    let mut submissions = BTreeMap::new();
    let mut decisions = BTreeMap::new();
    for version in &versions {
        let hash = &version.file.hash;
        if let Some(s) = submission(doc, hash) {
            submissions.insert(hash.clone(), s);
        }
        let raw = raw_decisions(doc, hash);
        if !raw.is_empty() {
            decisions.insert(hash.clone(), raw);
        }
    }
    Stored {
        title: get_str(doc, "title").unwrap_or_default(),
        folder: get_str(doc, "folder").unwrap_or_default(),
        tags: get_str(doc, "tags")
            .unwrap_or_default()
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        description: get_str(doc, "description").unwrap_or_default(),
        versions,
        submissions,
        decisions,
        deleted: get_bool(doc, "deleted").unwrap_or(false),
        purged: get_bool(doc, "purged").unwrap_or(false),
        updated_at: get_str(doc, "updated_at").unwrap_or_default(),
    }
}

/// Writes a document into the projection.
pub(crate) async fn project(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
    stored: &Stored,
) -> Result<(), Error> {
    if stored.purged {
        sqlx::query("DELETE FROM documents WHERE item = ?")
            .bind(id.0.as_slice())
            .execute(conn)
            .await?;
        return Ok(());
    }
    let json = crate::fields::to_json(stored)?;
    sqlx::query(
        "INSERT INTO documents (item, space, title, folder, deleted, doc) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(item) DO UPDATE SET title = excluded.title, folder = excluded.folder,
           deleted = excluded.deleted, doc = excluded.doc",
    )
    .bind(id.0.as_slice())
    .bind(space.0.as_slice())
    .bind(&stored.title)
    .bind(&stored.folder)
    .bind(stored.deleted)
    .bind(json)
    .execute(conn)
    .await?;
    Ok(())
}

/// Judges the approval chain with the membership log and returns the view.
pub(crate) fn judge(space: SpaceId, id: ItemId, stored: Stored, members: &Membership) -> Document {
    let can_validate =
        |device: &DeviceId| matches!(members.role_of(device), Some(Role::Validator | Role::Admin));
    let name_of = |device: &DeviceId| members.name_of(device).unwrap_or_default().to_owned();
    let check = |hash: &str| -> Vec<Decision> {
        stored
            .decisions
            .get(hash)
            .into_iter()
            .flatten()
            .filter_map(|(device_hex, json)| {
                let device: DeviceId = device_hex.parse().ok()?;
                let record: serde_json::Value = serde_json::from_str(json).ok()?;
                let approved = record["approved"].as_bool()?;
                let comment = record["comment"].as_str().unwrap_or_default().to_owned();
                let signature = hex::decode(record["signature"].as_str()?).ok()?;
                let signed = device
                    .verify(&decision_message(space, id, hash, approved, &comment), &signature)
                    .is_ok();
                Some(Decision {
                    device: device_hex.clone(),
                    author: name_of(&device),
                    approved,
                    comment,
                    at: record["at"].as_str().unwrap_or_default().to_owned(),
                    valid: signed && can_validate(&device),
                })
            })
            .collect()
    };
    // Members whose valid approval of `hash` is needed, by member id.
    let needed = |hash: &str| -> Option<Vec<MemberId>> {
        let submitted = stored.submissions.get(hash)?;
        Some(if submitted == "all" {
            members
                .members()
                .iter()
                .filter(|(_, m)| !m.removed && m.role == Role::Validator)
                .map(|(id, _)| *id)
                .collect()
        } else {
            submitted.split(',').filter_map(|m| m.parse().ok()).collect()
        })
    };
    let approved_by = |decisions: &[Decision]| -> Vec<MemberId> {
        decisions
            .iter()
            .filter(|d| d.valid && d.approved)
            .filter_map(|d| d.device.parse::<DeviceId>().ok())
            .filter_map(|d| members.member_of(&d).map(|(m, _)| m))
            .collect()
    };
    let is_approved = |hash: &str| -> bool {
        match needed(hash) {
            Some(needed) if !needed.is_empty() => {
                let decisions = check(hash);
                let by = approved_by(&decisions);
                !decisions.iter().any(|d| d.valid && !d.approved) && needed.iter().all(|m| by.contains(m))
            }
            _ => false,
        }
    };
    let latest = stored
        .versions
        .last()
        .map(|v| v.file.hash.clone())
        .unwrap_or_default();
    let decisions = check(&latest);
    let validators = needed(&latest).unwrap_or_default();
    let status = if is_approved(&latest) {
        Status::Approved
    } else if decisions.iter().any(|d| d.valid && !d.approved) {
        Status::Refused
    } else if stored.submissions.contains_key(&latest) {
        Status::Awaiting
    } else if stored
        .versions
        .iter()
        .rev()
        .skip(1)
        .any(|v| is_approved(&v.file.hash))
    {
        Status::ChangedSinceApproval
    } else {
        Status::Draft
    };
    let validator_names = validators
        .iter()
        .map(|m| {
            members
                .members()
                .get(m)
                .map(|m| m.info.name.clone())
                .unwrap_or_default()
        })
        .collect();
    Document {
        id: id.to_string(),
        space: space.to_string(),
        title: stored.title,
        folder: stored.folder,
        tags: stored.tags,
        description: stored.description,
        versions: stored.versions,
        status,
        validators: validators.iter().map(ToString::to_string).collect(),
        validator_names,
        decisions,
        deleted: stored.deleted,
        updated_at: stored.updated_at,
    }
}

/// The stored form of a document from the projection.
pub(crate) async fn get(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
) -> Result<Option<Stored>, Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT doc FROM documents WHERE space = ? AND item = ?")
        .bind(space.0.as_slice())
        .bind(id.0.as_slice())
        .fetch_optional(conn)
        .await?;
    row.map(|(json,)| parse_stored(&json)).transpose()
}

/// A document's projection, with what the app may open worked out from the names.
fn parse_stored(json: &str) -> Result<Stored, Error> {
    let mut stored: Stored =
        serde_json::from_str(json).map_err(|e| Error::InvalidInput(format!("corrupt document: {e}")))?;
    for version in &mut stored.versions {
        version.openable = opens_with_system(&version.name);
    }
    Ok(stored)
}

/// Every document of a space (not in the trash), by folder then title.
pub(crate) async fn list(
    conn: &mut SqliteConnection,
    space: SpaceId,
    deleted: bool,
) -> Result<Vec<(ItemId, Stored)>, Error> {
    let rows: Vec<(Vec<u8>, String)> = sqlx::query_as(
        "SELECT item, doc FROM documents WHERE space = ? AND deleted = ? ORDER BY folder COLLATE NOCASE, title COLLATE NOCASE, item",
    )
    .bind(space.0.as_slice())
    .bind(deleted)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .filter_map(|(item, json)| Some((ItemId(item.try_into().ok()?), json)))
        .map(|(id, json)| parse_stored(&json).map(|s| (id, s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_documents_text_and_images_open_with_the_system() {
        for name in [
            "Délibération.PDF",
            "budget.ods",
            "note.docx",
            "liste.csv",
            "plan.jpeg",
            "a.txt",
        ] {
            assert!(opens_with_system(name), "{name}");
        }
        for name in [
            "facture.pdf.sh",
            "lanceur.desktop",
            "page.html",
            "dessin.svg",
            "setup.exe",
            "Makefile",
            ".pdf",
        ] {
            assert!(!opens_with_system(name), "{name}");
        }
    }

    #[test]
    fn names_from_others_become_plain_file_names() {
        assert_eq!(safe_file_name("Compte rendu.pdf"), "Compte rendu.pdf");
        assert_eq!(safe_file_name("../../.bashrc"), "_.._.bashrc");
        assert_eq!(safe_file_name(".."), "document");
        assert_eq!(safe_file_name(""), "document");
        assert_eq!(safe_file_name("a\\b\nc.txt"), "a_b_c.txt");
        assert_eq!(safe_file_name(".cache"), "cache");
    }
}
