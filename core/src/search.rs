//! Search across modules on the local full-text index (SQLite FTS5): offline, accents
//! and case folded. Every projection keeps the index in step with its table.

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::error::Error;
use bastide_proto::{ItemId, SpaceId};

/// Hits returned at most.
const LIMIT: i64 = 50;
/// Longest query accepted.
const MAX_QUERY: usize = 200;

/// One search result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hit {
    /// The space (hex).
    pub space: String,
    /// The item (hex).
    pub item: String,
    /// Its kind (`agenda.event`, `directory.card`, `forum.post`...).
    pub kind: String,
    /// Its title.
    pub title: String,
    /// A passage around the match (from the title or the text, whichever matched
    /// best), matches between « and ».
    pub snippet: String,
}

/// Replaces what the index holds for an item (nothing when `title` and `body` are
/// both empty, e.g. an item in the trash).
pub(crate) async fn index(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
    kind: &str,
    title: &str,
    body: &str,
) -> Result<(), Error> {
    let previous: Option<(i64,)> = sqlx::query_as("SELECT row FROM search_rows WHERE item = ?")
        .bind(id.0.as_slice())
        .fetch_optional(&mut *conn)
        .await?;
    if let Some((row,)) = previous {
        sqlx::query("DELETE FROM search_index WHERE rowid = ?")
            .bind(row)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM search_rows WHERE item = ?")
            .bind(id.0.as_slice())
            .execute(&mut *conn)
            .await?;
    }
    if title.is_empty() && body.is_empty() {
        return Ok(());
    }
    let row = sqlx::query("INSERT INTO search_index (space, item, kind, title, body) VALUES (?, ?, ?, ?, ?)")
        .bind(space.to_string())
        .bind(id.to_string())
        .bind(kind)
        .bind(title)
        .bind(body)
        .execute(&mut *conn)
        .await?
        .last_insert_rowid();
    sqlx::query("INSERT INTO search_rows (item, row) VALUES (?, ?)")
        .bind(id.0.as_slice())
        .bind(row)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Empties the index, before a rebuild.
pub(crate) async fn clear(conn: &mut SqliteConnection) -> Result<(), Error> {
    sqlx::query("DELETE FROM search_index")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM search_rows").execute(&mut *conn).await?;
    Ok(())
}

/// The FTS5 query for what a person typed: every word must appear, as a word or the
/// start of one; FTS5's own syntax characters are taken literally.
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Items matching `text`, best first, in `space` or in every space.
pub(crate) async fn search(
    conn: &mut SqliteConnection,
    space: Option<SpaceId>,
    text: &str,
) -> Result<Vec<Hit>, Error> {
    if text.chars().count() > MAX_QUERY {
        return Err(Error::InvalidInput(format!(
            "a search is at most {MAX_QUERY} characters"
        )));
    }
    let Some(query) = fts_query(text) else {
        return Ok(Vec::new());
    };
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT space, item, kind, title, snippet(search_index, -1, '«', '»', ' … ', 12)
         FROM search_index WHERE search_index MATCH ? AND (? IS NULL OR space = ?)
         ORDER BY bm25(search_index, 0, 0, 0, 5.0, 1.0) LIMIT ?",
    )
    .bind(query)
    .bind(space.map(|s| s.to_string()))
    .bind(space.map(|s| s.to_string()))
    .bind(LIMIT)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(space, item, kind, title, snippet)| Hit {
            space,
            item,
            kind,
            title,
            snippet,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_becomes_a_safe_prefix_query() {
        assert_eq!(
            fts_query("délibé conseil").as_deref(),
            Some("\"délibé\"* \"conseil\"*")
        );
        assert_eq!(
            fts_query("NEAR(\"x\") OR -y").as_deref(),
            Some("\"NEAR\"* \"x\"* \"OR\"* \"y\"*")
        );
        assert_eq!(fts_query("  ** "), None);
    }
}
