-- Projection of the board's announcements, rebuilt from `items` at any time.
CREATE TABLE board_ads (
    item       BLOB PRIMARY KEY NOT NULL REFERENCES items(id),
    space      BLOB NOT NULL REFERENCES spaces(id),
    category   TEXT NOT NULL,
    commune    TEXT NOT NULL,
    expires    TEXT NOT NULL,
    closed     INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    ad         TEXT NOT NULL
) STRICT;
CREATE INDEX board_ads_by_space ON board_ads(space, closed, expires);
