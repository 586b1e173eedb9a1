-- Teams and on-call rosters by space, rebuilt from `items` at any time. Their views
-- are computed from their (small) documents; a team's weeks are items of their own.
CREATE TABLE planning (
    item    BLOB PRIMARY KEY NOT NULL REFERENCES items(id),
    space   BLOB NOT NULL REFERENCES spaces(id),
    kind    TEXT NOT NULL,
    name    TEXT NOT NULL,
    deleted INTEGER NOT NULL
) STRICT;
CREATE INDEX planning_by_space ON planning(space, kind, deleted, name COLLATE NOCASE);
