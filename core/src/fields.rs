//! Reading and writing the fields of item documents, shared by every module.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use time::OffsetDateTime;

use crate::error::Error;

/// `date` in UTC, RFC 3339 with a fixed number of fraction digits, so that such
/// strings sort as the times they name (a variable-length fraction would put
/// "…:01Z" after "…:01.5Z").
pub(crate) fn utc(date: OffsetDateTime) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    date.to_offset(time::UtcOffset::UTC)
        .format(FORMAT)
        .unwrap_or_default()
}

/// Stamps the document (who, when) if it changed since `before`: saving without a
/// change signs and sends nothing.
pub(crate) fn stamp_if_changed(
    doc: &mut AutoCommit,
    before: &[automerge::ChangeHash],
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    if doc.get_heads() != before {
        stamp(doc, by, now)?;
    }
    Ok(())
}

/// Gives a new document its `deleted: false` (nothing for an existing one).
pub(crate) fn init_deleted(doc: &mut AutoCommit) -> Result<(), Error> {
    if get_bool(doc, "deleted").is_none() {
        doc.put(ROOT, "deleted", false)?;
    }
    Ok(())
}

/// Names typed in a list (people, shifts, meal categories): trimmed, blanks and repeats
/// dropped, each at most `max_len` characters without `|` or a line break (they make
/// keys in documents), at most `max_count` of them. `what` names one in errors.
pub(crate) fn clean_names(
    items: &[String],
    what: &str,
    max_len: usize,
    max_count: usize,
) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let item = item.trim();
        if item.is_empty() || out.iter().any(|o| o == item) {
            continue;
        }
        if item.chars().count() > max_len || item.contains(['|', '\n']) {
            return Err(Error::InvalidInput(format!(
                "a {what} is at most {max_len} characters, without '|'"
            )));
        }
        out.push(item.to_owned());
    }
    if out.len() > max_count {
        return Err(Error::InvalidInput(format!("at most {max_count} of: {what}")));
    }
    Ok(out)
}

/// A value as the JSON a projection row keeps.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::InvalidInput(e.to_string()))
}

/// A value from the JSON a projection row keeps.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, Error> {
    serde_json::from_str(json).map_err(|e| Error::InvalidInput(format!("corrupt projection: {e}")))
}

/// An item id every computer derives the same way from `label` and `parts` (a site's
/// month sheet, a team's week), so items started offline on two computers are one.
pub(crate) fn derived_id(label: &str, parts: &[&[u8]]) -> bastide_proto::ItemId {
    let mut hasher = blake3::Hasher::new();
    hasher.update(label.as_bytes());
    hasher.update(&[0]);
    for part in parts {
        hasher.update(part);
    }
    let mut id = [0u8; 16];
    id.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    bastide_proto::ItemId(id)
}

/// Records who changed the document last, and when.
pub(crate) fn stamp(doc: &mut AutoCommit, by: &str, now: OffsetDateTime) -> Result<(), Error> {
    doc.put(ROOT, "updated_at", utc(now))?;
    doc.put(ROOT, "updated_by", by)?;
    Ok(())
}

/// Moves an item to the trash, or back (nothing if it is there already).
pub(crate) fn set_deleted(
    doc: &mut AutoCommit,
    deleted: bool,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    if get_bool(doc, "deleted") == Some(deleted) {
        return Ok(());
    }
    doc.put(ROOT, "deleted", deleted)?;
    stamp(doc, by, now)
}

/// Writes a string register, if it differs.
pub(crate) fn put_str_if_changed(doc: &mut AutoCommit, key: &str, value: &str) -> Result<(), Error> {
    if get_str(doc, key).as_deref() != Some(value) {
        doc.put(ROOT, key, value)?;
    }
    Ok(())
}

/// Makes the text at `key` read `value`, with the smallest edit (concurrent edits of
/// other parts of the text survive).
pub(crate) fn put_text(doc: &mut AutoCommit, key: &str, value: &str) -> Result<(), Error> {
    match doc.get(ROOT, key)? {
        Some((Value::Object(ObjType::Text), id)) => doc.update_text(&id, value)?,
        _ => {
            let id = doc.put_object(ROOT, key, ObjType::Text)?;
            doc.splice_text(&id, 0, 0, value)?;
        }
    }
    Ok(())
}

/// A string register or a text, as a string.
pub(crate) fn get_str(doc: &AutoCommit, key: &str) -> Option<String> {
    match doc.get(ROOT, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        (Value::Object(ObjType::Text), id) => doc.text(&id).ok(),
        _ => None,
    }
}

/// A boolean register.
pub(crate) fn get_bool(doc: &AutoCommit, key: &str) -> Option<bool> {
    match doc.get(ROOT, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Boolean(b) => Some(*b),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_times_sort_as_strings() {
        let whole = time::macros::datetime!(2026-11-23 21:55:01 UTC);
        let later = whole + time::Duration::milliseconds(500);
        let (a, b) = (super::utc(whole), super::utc(later));
        assert_eq!(a, "2026-11-23T21:55:01.000000Z");
        assert!(a < b, "{a} sorts before {b}");
        assert!(time::OffsetDateTime::parse(&a, &time::format_description::well_known::Rfc3339).is_ok());
    }
}
