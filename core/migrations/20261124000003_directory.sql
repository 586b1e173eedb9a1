-- Projection of directory cards, rebuilt from `items` at any time. `card` is the card
-- as the views show it (JSON, concurrent values included); the other columns are for
-- filtering and sorting.
CREATE TABLE contacts (
    item         BLOB PRIMARY KEY NOT NULL REFERENCES items(id),
    space        BLOB NOT NULL REFERENCES spaces(id),
    name         TEXT NOT NULL,
    organisation TEXT NOT NULL,
    commune      TEXT NOT NULL,
    discipline   TEXT NOT NULL,
    deleted      INTEGER NOT NULL,
    card         TEXT NOT NULL
) STRICT;
CREATE INDEX contacts_by_name ON contacts(space, deleted, name COLLATE NOCASE);
