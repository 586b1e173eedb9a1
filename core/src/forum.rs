//! Forums: topics, and posts replying to a topic or to another post. One Automerge
//! document per topic and per post, so replies written offline on several computers
//! never conflict: they merge by sitting side by side, in the order every computer
//! computes the same way (the author's creation time, then the post id).
//!
//! Who wrote a post is the device that signed its first entry (from the item's signed
//! history), named by the membership log; following a topic and having read a post
//! are this profile's own business and stay local.

use automerge::AutoCommit;
use automerge::ROOT;
use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use time::OffsetDateTime;

use crate::error::Error;
use crate::fields::{get_bool, get_str, put_text, stamp, utc};
use bastide_proto::{ItemId, MemberId, SpaceId};

/// The item kind of topics.
pub const TOPIC: &str = "forum.topic";
/// The item kind of posts.
pub const POST: &str = "forum.post";

/// Longest topic title.
const MAX_TITLE: usize = 300;
/// Longest post: a long message, well below the frame limit.
const MAX_BODY: usize = 50_000;
/// Longest quoted excerpt.
const MAX_EXCERPT: usize = 1_000;

/// A topic as the views show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Topic {
    /// Item id.
    pub id: String,
    /// Title.
    pub title: String,
    /// When it was opened (RFC 3339, UTC).
    pub created_at: String,
    /// Who opened it (member name, "" if unknown).
    pub author: String,
    /// Posts in it (not in the trash).
    pub posts: u32,
    /// Posts not read yet on this computer (others' only).
    pub unread: u32,
    /// Followed on this computer.
    pub followed: bool,
    /// Time of the latest post, or of the topic.
    pub last_activity: String,
}

/// A quoted passage of another post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// The quoted post.
    pub post: String,
    /// The passage.
    pub excerpt: String,
}

/// A post as the views show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Post {
    /// Item id.
    pub id: String,
    /// Its topic.
    pub topic: String,
    /// The post it answers ("" for a reply to the topic).
    pub parent: String,
    /// The text.
    pub body: String,
    /// A quoted passage, if any.
    pub quote: Option<Quote>,
    /// Members mentioned (@name), by member id.
    pub mentions: Vec<String>,
    /// When the author wrote it (RFC 3339, UTC).
    pub created_at: String,
    /// The author's name ("" if unknown).
    pub author: String,
    /// The device that signed it (hex).
    pub author_device: String,
    /// Written on this computer.
    pub mine: bool,
    /// Not read yet on this computer.
    pub unread: bool,
    /// Mentions this profile's member.
    pub mentions_me: bool,
    /// Withdrawn by its author.
    pub deleted: bool,
}

/// What a post says, checked.
pub(crate) struct NewPost {
    pub(crate) topic: ItemId,
    pub(crate) parent: Option<ItemId>,
    pub(crate) body: String,
    pub(crate) quote: Option<(ItemId, String)>,
    pub(crate) mentions: Vec<MemberId>,
}

/// Checks a topic title.
pub(crate) fn check_title(title: &str) -> Result<String, Error> {
    let title = title.trim();
    if title.is_empty() {
        return Err(Error::EmptyTitle);
    }
    if title.chars().count() > MAX_TITLE {
        return Err(Error::InvalidInput(format!(
            "a topic title is at most {MAX_TITLE} characters"
        )));
    }
    Ok(title.to_owned())
}

/// Checks a post's text.
pub(crate) fn check_body(body: &str) -> Result<String, Error> {
    let body = body.trim();
    if body.is_empty() {
        return Err(Error::InvalidInput("the message is empty".into()));
    }
    if body.chars().count() > MAX_BODY {
        return Err(Error::InvalidInput(format!(
            "a message is at most {MAX_BODY} characters"
        )));
    }
    Ok(body.to_owned())
}

/// Checks a quoted excerpt.
pub(crate) fn check_excerpt(excerpt: &str) -> Result<String, Error> {
    let excerpt = excerpt.trim();
    if excerpt.chars().count() > MAX_EXCERPT {
        return Err(Error::InvalidInput(format!(
            "a quotation is at most {MAX_EXCERPT} characters"
        )));
    }
    Ok(excerpt.to_owned())
}

/// Members whose name follows an `@` in `body` (the longest name that matches wins,
/// so "@Anne Roux" finds Anne Roux rather than Anne).
pub(crate) fn mentions(body: &str, members: &[(MemberId, String)]) -> Vec<MemberId> {
    let lower = body.to_lowercase();
    let mut found = Vec::new();
    for (at, _) in lower.match_indices('@') {
        let rest = &lower[at + 1..];
        let best = members
            .iter()
            .filter(|(_, name)| !name.is_empty() && rest.starts_with(&name.to_lowercase()))
            .max_by_key(|(_, name)| name.len());
        if let Some((id, _)) = best
            && !found.contains(id)
        {
            found.push(*id);
        }
    }
    found
}

/// Writes a new topic.
pub(crate) fn write_topic(
    doc: &mut AutoCommit,
    title: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    doc.put(ROOT, "type", TOPIC)?;
    put_text(doc, "title", title)?;
    doc.put(ROOT, "created_at", utc(now))?;
    doc.put(ROOT, "deleted", false)?;
    stamp(doc, by, now)
}

/// Writes a new post.
pub(crate) fn write_post(
    doc: &mut AutoCommit,
    post: &NewPost,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    doc.put(ROOT, "type", POST)?;
    doc.put(ROOT, "topic", post.topic.to_string())?;
    doc.put(
        ROOT,
        "parent",
        post.parent.map(|p| p.to_string()).unwrap_or_default(),
    )?;
    put_text(doc, "body", &post.body)?;
    if let Some((quoted, excerpt)) = &post.quote {
        doc.put(ROOT, "quote_post", quoted.to_string())?;
        doc.put(ROOT, "quote_excerpt", excerpt.as_str())?;
    }
    let mentions: Vec<String> = post.mentions.iter().map(ToString::to_string).collect();
    doc.put(ROOT, "mentions", mentions.join(","))?;
    doc.put(ROOT, "created_at", utc(now))?;
    doc.put(ROOT, "deleted", false)?;
    stamp(doc, by, now)
}

/// Writes a topic or a post into the projection. `author` is the device that signed
/// the item's first change.
pub(crate) async fn project(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
    kind: &str,
    doc: &AutoCommit,
    author: &[u8],
) -> Result<crate::modules::Projected, Error> {
    let s = |k| get_str(doc, k).unwrap_or_default();
    let deleted = get_bool(doc, "deleted").unwrap_or(false);
    if kind == TOPIC {
        sqlx::query(
            "INSERT INTO forum_topics (item, space, title, created_at, author, deleted) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT(item) DO UPDATE SET title = excluded.title, deleted = excluded.deleted",
        )
        .bind(id.0.as_slice())
        .bind(space.0.as_slice())
        .bind(s("title"))
        .bind(s("created_at"))
        .bind(author)
        .bind(deleted)
        .execute(&mut *conn)
        .await?;
        return Ok(crate::modules::Projected {
            title: s("title"),
            updated_by: s("updated_by"),
        });
    }
    let topic: Vec<u8> = s("topic")
        .parse::<ItemId>()
        .map(|t| t.0.to_vec())
        .unwrap_or_default();
    sqlx::query(
        "INSERT INTO forum_posts (item, space, topic, parent, body, quote_post, quote_excerpt, mentions, created_at, author, deleted)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(item) DO UPDATE SET body = excluded.body, deleted = excluded.deleted",
    )
    .bind(id.0.as_slice())
    .bind(space.0.as_slice())
    .bind(&topic)
    .bind(s("parent"))
    .bind(s("body"))
    .bind(s("quote_post"))
    .bind(s("quote_excerpt"))
    .bind(s("mentions"))
    .bind(s("created_at"))
    .bind(author)
    .bind(deleted)
    .execute(&mut *conn)
    .await?;
    let title: Option<(String,)> = sqlx::query_as("SELECT title FROM forum_topics WHERE item = ?")
        .bind(&topic)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(crate::modules::Projected {
        title: title.map(|(t,)| format!("Re : {t}")).unwrap_or_default(),
        updated_by: s("updated_by"),
    })
}

/// A post row of the projection.
#[derive(sqlx::FromRow)]
pub(crate) struct PostRow {
    pub(crate) item: Vec<u8>,
    pub(crate) topic: Vec<u8>,
    pub(crate) parent: String,
    pub(crate) body: String,
    pub(crate) quote_post: String,
    pub(crate) quote_excerpt: String,
    pub(crate) mentions: String,
    pub(crate) created_at: String,
    pub(crate) author: Vec<u8>,
    pub(crate) deleted: bool,
    pub(crate) read: bool,
}

impl PostRow {
    /// The post, with the author named by `name_of` and the flags for `me`.
    pub(crate) fn into_post(
        self,
        me_device: &[u8],
        me_member: Option<MemberId>,
        name_of: impl Fn(&[u8]) -> String,
    ) -> Post {
        let mentions: Vec<String> = self
            .mentions
            .split(',')
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .collect();
        let mine = self.author == me_device;
        Post {
            id: hex::encode(&self.item),
            topic: hex::encode(&self.topic),
            parent: self.parent,
            body: if self.deleted { String::new() } else { self.body },
            quote: (!self.quote_post.is_empty()).then_some(Quote {
                post: self.quote_post,
                excerpt: self.quote_excerpt,
            }),
            mentions_me: me_member.is_some_and(|m| mentions.contains(&m.to_string())),
            mentions,
            created_at: self.created_at,
            author: name_of(&self.author),
            author_device: hex::encode(&self.author),
            unread: !mine && !self.read,
            mine,
            deleted: self.deleted,
        }
    }
}

/// The posts of a topic (only `only`, if given), in the order every computer agrees on.
pub(crate) async fn posts(
    conn: &mut SqliteConnection,
    space: SpaceId,
    topic: ItemId,
    only: Option<ItemId>,
) -> Result<Vec<PostRow>, Error> {
    let only = only.map(|id| id.0.to_vec());
    Ok(sqlx::query_as(
        "SELECT p.item, p.topic, p.parent, p.body, p.quote_post, p.quote_excerpt, p.mentions, p.created_at,
                p.author, p.deleted, (r.post IS NOT NULL) AS read
         FROM forum_posts p LEFT JOIN forum_read r ON r.post = p.item
         WHERE p.space = ? AND p.topic = ? AND (? IS NULL OR p.item = ?) ORDER BY p.created_at, p.item",
    )
    .bind(space.0.as_slice())
    .bind(topic.0.as_slice())
    .bind(&only)
    .bind(&only)
    .fetch_all(conn)
    .await?)
}
