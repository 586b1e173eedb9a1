//! Comments on documents: one Automerge document per comment, replying to the
//! document or to another comment, so threads written offline on several computers
//! merge; a comment's text is Automerge text, merged character by character when its
//! author edits it from two computers. Ordered everywhere the same way: by the
//! author's creation time, then id.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use time::OffsetDateTime;

use crate::error::Error;
use crate::fields::{get_bool, get_str, put_text, stamp, utc};
use bastide_proto::{ItemId, SpaceId};

/// The item kind of comments.
pub const KIND: &str = "doc.comment";

/// Longest comment: a long remark, not a document.
pub const MAX_BODY: usize = 20_000;

/// A comment as the views show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// Item id.
    pub id: String,
    /// The document.
    pub document: String,
    /// The comment it answers, or empty for one on the document itself.
    pub parent: String,
    /// The text.
    pub body: String,
    /// When its author wrote it (RFC 3339, UTC).
    pub created_at: String,
    /// Its author's name (filled by the views).
    pub author: String,
    /// The device that wrote it (hex).
    pub author_device: String,
    /// Written from this profile's member (filled by the views).
    pub mine: bool,
    /// Withdrawn by its author.
    pub deleted: bool,
}

/// Checks a comment's text.
pub(crate) fn check_body(body: &str) -> Result<String, Error> {
    let body = body.trim();
    if body.is_empty() {
        return Err(Error::InvalidInput("the comment is empty".into()));
    }
    if body.chars().count() > MAX_BODY {
        return Err(Error::InvalidInput(format!(
            "a comment is limited to {MAX_BODY} characters"
        )));
    }
    Ok(body.to_owned())
}

/// Writes a new comment.
pub(crate) fn write_new(
    doc: &mut AutoCommit,
    document: ItemId,
    parent: Option<ItemId>,
    body: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    doc.put(ROOT, "type", KIND)?;
    doc.put(ROOT, "document", document.to_string())?;
    doc.put(ROOT, "parent", parent.map(|p| p.to_string()).unwrap_or_default())?;
    put_text(doc, "body", body)?;
    doc.put(ROOT, "created_at", utc(now))?;
    doc.put(ROOT, "deleted", false)?;
    stamp(doc, by, now)
}

/// Writes a projection row for a comment; `author` signed its first change.
pub(crate) async fn project(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
    doc: &AutoCommit,
    author: &[u8],
) -> Result<Comment, Error> {
    let s = |k| get_str(doc, k).unwrap_or_default();
    let comment = Comment {
        id: id.to_string(),
        document: s("document"),
        parent: s("parent"),
        body: s("body"),
        created_at: s("created_at"),
        author: String::new(),
        author_device: hex::encode(author),
        mine: false,
        deleted: get_bool(doc, "deleted").unwrap_or(false),
    };
    let document = comment
        .document
        .parse::<ItemId>()
        .map(|d| d.0.to_vec())
        .unwrap_or_default();
    sqlx::query(
        "INSERT INTO doc_comments (item, space, document, created_at, comment) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(item) DO UPDATE SET document = excluded.document, created_at = excluded.created_at,
           comment = excluded.comment",
    )
    .bind(id.0.as_slice())
    .bind(space.0.as_slice())
    .bind(document)
    .bind(&comment.created_at)
    .bind(crate::fields::to_json(&comment)?)
    .execute(conn)
    .await?;
    Ok(comment)
}

/// The comments of a document (or the one comment `only`), by creation time then id
/// (the views nest replies under their parent).
pub(crate) async fn list(
    conn: &mut SqliteConnection,
    space: SpaceId,
    document: Option<ItemId>,
    only: Option<ItemId>,
) -> Result<Vec<Comment>, Error> {
    let document = document.map(|d| d.0.to_vec());
    let only = only.map(|d| d.0.to_vec());
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT comment FROM doc_comments WHERE space = ? AND (? IS NULL OR document = ?)
           AND (? IS NULL OR item = ?) ORDER BY created_at, item",
    )
    .bind(space.0.as_slice())
    .bind(document.as_deref())
    .bind(document.as_deref())
    .bind(only.as_deref())
    .bind(only.as_deref())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|(json,)| crate::fields::from_json(json))
        .collect()
}
