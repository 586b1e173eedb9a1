//! Forums: opening topics, posting and replying, following, reading.

use bastide_proto::{ItemId, MemberId, SpaceId};

use super::Profile;
use crate::error::Error;
use crate::forum::{self, NewPost, Post, Topic};

/// item, title, created_at, author, posts, unread, last post time, followed.
type TopicRow = (Vec<u8>, String, String, Vec<u8>, i64, i64, Option<String>, bool);

impl Profile {
    /// Opens a topic, with a first message if `body` is not empty; follows it.
    pub async fn create_topic(&self, space: SpaceId, title: &str, body: &str) -> Result<Topic, Error> {
        let title = forum::check_title(title)?;
        let body = body.trim();
        if !body.is_empty() {
            forum::check_body(body)?;
        }
        let id = self
            .create_item(space, forum::TOPIC, |doc, by, now| {
                forum::write_topic(doc, &title, by, now)
            })
            .await?;
        self.follow_topic(space, id, true).await?;
        if !body.is_empty() {
            self.post(space, id, body, None, None).await?;
        }
        self.topic(space, id).await
    }

    /// Posts in `topic`, answering `parent` if given, quoting `quote` (a post and a
    /// passage of it) if given. Mentions (@name) are resolved against the members.
    /// Follows the topic.
    pub async fn post(
        &self,
        space: SpaceId,
        topic: ItemId,
        body: &str,
        parent: Option<ItemId>,
        quote: Option<(ItemId, &str)>,
    ) -> Result<Post, Error> {
        let body = forum::check_body(body)?;
        self.topic(space, topic).await?;
        for post in parent.iter().chain(quote.as_ref().map(|(q, _)| q)) {
            let known = self.post_topic(space, *post).await?;
            if known != Some(topic) {
                return Err(Error::ItemNotFound(post.to_string()));
            }
        }
        let quote = match quote {
            Some((post, excerpt)) => Some((post, forum::check_excerpt(excerpt)?)),
            None => None,
        };
        let names: Vec<(MemberId, String)> = self
            .members(space)
            .await?
            .into_iter()
            .filter(|m| !m.removed)
            .filter_map(|m| Some((m.id.parse().ok()?, m.name)))
            .collect();
        let new = NewPost {
            topic,
            parent,
            mentions: forum::mentions(&body, &names),
            body,
            quote,
        };
        let id = self
            .create_item(space, forum::POST, |doc, by, now| {
                forum::write_post(doc, &new, by, now)
            })
            .await?;
        self.follow_topic(space, topic, true).await?;
        self.forum_post(space, id).await
    }

    /// The topic a post belongs to, if the post is in `space`.
    async fn post_topic(&self, space: SpaceId, post: ItemId) -> Result<Option<ItemId>, Error> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT topic FROM forum_posts WHERE space = ? AND item = ?")
                .bind(space.0.as_slice())
                .bind(post.0.as_slice())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|(t,)| <[u8; 16]>::try_from(t).ok()).map(ItemId))
    }

    /// Follows a topic (notifications for its replies), or stops.
    pub async fn follow_topic(&self, space: SpaceId, topic: ItemId, follow: bool) -> Result<(), Error> {
        if follow {
            sqlx::query("INSERT OR IGNORE INTO forum_follow (topic, space) VALUES (?, ?)")
                .bind(topic.0.as_slice())
                .bind(space.0.as_slice())
                .execute(&self.pool)
                .await?;
        } else {
            sqlx::query("DELETE FROM forum_follow WHERE topic = ?")
                .bind(topic.0.as_slice())
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Marks every post of a topic read on this computer.
    pub async fn mark_topic_read(&self, space: SpaceId, topic: ItemId) -> Result<(), Error> {
        sqlx::query("INSERT OR IGNORE INTO forum_read (post) SELECT item FROM forum_posts WHERE space = ? AND topic = ?")
            .bind(space.0.as_slice())
            .bind(topic.0.as_slice())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The topics of a space, latest activity first.
    pub async fn topics(&self, space: SpaceId) -> Result<Vec<Topic>, Error> {
        self.topics_matching(space, None).await
    }

    /// One topic.
    pub async fn topic(&self, space: SpaceId, id: ItemId) -> Result<Topic, Error> {
        self.topics_matching(space, Some(id))
            .await?
            .pop()
            .ok_or_else(|| Error::ItemNotFound(id.to_string()))
    }

    /// The topics of a space (only `only`, if given), latest activity first.
    async fn topics_matching(&self, space: SpaceId, only: Option<ItemId>) -> Result<Vec<Topic>, Error> {
        self.space(space).await?;
        let only = only.map(|id| id.0.to_vec());
        let rows: Vec<TopicRow> = sqlx::query_as(
            "SELECT t.item, t.title, t.created_at, t.author,
                    (SELECT COUNT(*) FROM forum_posts p WHERE p.topic = t.item AND p.deleted = 0),
                    (SELECT COUNT(*) FROM forum_posts p WHERE p.topic = t.item AND p.deleted = 0 AND p.author != ?
                        AND NOT EXISTS (SELECT 1 FROM forum_read r WHERE r.post = p.item)),
                    (SELECT MAX(created_at) FROM forum_posts p WHERE p.topic = t.item),
                    EXISTS (SELECT 1 FROM forum_follow f WHERE f.topic = t.item)
             FROM forum_topics t WHERE t.space = ? AND t.deleted = 0 AND (? IS NULL OR t.item = ?)",
        )
        .bind(self.device_id().0.as_slice())
        .bind(space.0.as_slice())
        .bind(&only)
        .bind(&only)
        .fetch_all(&self.pool)
        .await?;
        let name_of = self.author_names(space).await?;
        let mut topics: Vec<Topic> = rows
            .into_iter()
            .map(
                |(item, title, created_at, author, posts, unread, last, followed)| Topic {
                    id: hex::encode(item),
                    title,
                    author: name_of(&author),
                    posts: u32::try_from(posts).unwrap_or(0),
                    unread: u32::try_from(unread).unwrap_or(0),
                    followed,
                    last_activity: last.unwrap_or_else(|| created_at.clone()).max(created_at.clone()),
                    created_at,
                },
            )
            .collect();
        topics.sort_by(|a, b| {
            b.last_activity
                .cmp(&a.last_activity)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(topics)
    }

    /// The posts of a topic, in the order every computer agrees on.
    pub async fn topic_posts(&self, space: SpaceId, topic: ItemId) -> Result<Vec<Post>, Error> {
        self.topic(space, topic).await?;
        self.posts_matching(space, topic, None).await
    }

    /// The posts of `topic` (only `only`, if given), named and flagged for this profile.
    async fn posts_matching(
        &self,
        space: SpaceId,
        topic: ItemId,
        only: Option<ItemId>,
    ) -> Result<Vec<Post>, Error> {
        let rows = {
            let mut conn = self.pool.acquire().await?;
            forum::posts(&mut conn, space, topic, only).await?
        };
        let name_of = self.author_names(space).await?;
        let me = self.device_id();
        let member = self.space(space).await?.member;
        Ok(rows
            .into_iter()
            .map(|row| row.into_post(me.0.as_slice(), member, &name_of))
            .collect())
    }

    /// One post.
    pub async fn forum_post(&self, space: SpaceId, id: ItemId) -> Result<Post, Error> {
        let topic = self
            .post_topic(space, id)
            .await?
            .ok_or_else(|| Error::ItemNotFound(id.to_string()))?;
        self.posts_matching(space, topic, Some(id))
            .await?
            .pop()
            .ok_or_else(|| Error::ItemNotFound(id.to_string()))
    }

    /// Names devices by the membership log of `space`.
    async fn author_names(&self, space: SpaceId) -> Result<impl Fn(&[u8]) -> String + use<>, Error> {
        let members = self.members_of(space).await?;
        Ok(move |device: &[u8]| {
            <[u8; 32]>::try_from(device)
                .ok()
                .and_then(|d| members.state.name_of(&bastide_proto::DeviceId(d)))
                .unwrap_or_default()
                .to_owned()
        })
    }
}
