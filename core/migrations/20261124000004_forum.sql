-- Projections of forum topics and posts, rebuilt from `items` at any time. `author`
-- is the device that signed the item's first change.
CREATE TABLE forum_topics (
    item       BLOB PRIMARY KEY NOT NULL REFERENCES items(id),
    space      BLOB NOT NULL REFERENCES spaces(id),
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    author     BLOB NOT NULL,
    deleted    INTEGER NOT NULL
) STRICT;
CREATE INDEX forum_topics_by_space ON forum_topics(space, deleted);

CREATE TABLE forum_posts (
    item          BLOB PRIMARY KEY NOT NULL REFERENCES items(id),
    space         BLOB NOT NULL REFERENCES spaces(id),
    topic         BLOB NOT NULL,
    parent        TEXT NOT NULL,
    body          TEXT NOT NULL,
    quote_post    TEXT NOT NULL,
    quote_excerpt TEXT NOT NULL,
    mentions      TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    author        BLOB NOT NULL,
    deleted       INTEGER NOT NULL
) STRICT;
CREATE INDEX forum_posts_by_topic ON forum_posts(space, topic, created_at, item);

-- This computer's own: posts read, topics followed. Not synced.
CREATE TABLE forum_read (
    post BLOB PRIMARY KEY NOT NULL
) STRICT;
CREATE TABLE forum_follow (
    topic BLOB PRIMARY KEY NOT NULL,
    space BLOB NOT NULL
) STRICT;
