-- Profile settings (display name, ...).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- Spaces this profile belongs to. The space key stays on this computer.
CREATE TABLE spaces (
    id         BLOB PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    relay      TEXT NOT NULL,
    space_key  BLOB NOT NULL,
    epoch      INTEGER NOT NULL DEFAULT 0,
    -- Last relay sequence number applied here.
    cursor     INTEGER NOT NULL DEFAULT 0,
    joined_at  TEXT NOT NULL
) STRICT;

-- One Automerge document per item: a compacted snapshot (`save()`) in `doc`, plus the
-- incremental changes saved since in `item_changes` (`n_changes` of them).
CREATE TABLE items (
    id         BLOB PRIMARY KEY NOT NULL,
    space      BLOB NOT NULL REFERENCES spaces(id),
    kind       TEXT NOT NULL,
    doc        BLOB NOT NULL,
    n_changes  INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX items_by_space ON items(space, kind);

CREATE TABLE item_changes (
    ord   INTEGER PRIMARY KEY AUTOINCREMENT,
    item  BLOB NOT NULL REFERENCES items(id),
    bytes BLOB NOT NULL
) STRICT;
CREATE INDEX item_changes_by_item ON item_changes(item, ord);

-- Sealed entries made here, in the order they were made. `acked_seq` is set when the
-- relay acknowledges one; the row goes when the entry comes back from the relay (so
-- this profile knows not to apply its own change twice) or the cursor passes it.
CREATE TABLE outbox (
    ord       INTEGER PRIMARY KEY AUTOINCREMENT,
    id        BLOB NOT NULL UNIQUE,
    space     BLOB NOT NULL REFERENCES spaces(id),
    bytes     BLOB NOT NULL,
    acked_seq INTEGER
) STRICT;
CREATE INDEX outbox_unacked ON outbox(space, acked_seq, ord);

-- Projection of agenda events, rebuilt from `items` at any time.
CREATE TABLE events (
    item        BLOB PRIMARY KEY NOT NULL REFERENCES items(id),
    space       BLOB NOT NULL REFERENCES spaces(id),
    title       TEXT NOT NULL,
    start       TEXT NOT NULL,
    end         TEXT NOT NULL,
    -- UTC forms of start and end, for ordering and range queries.
    start_utc   TEXT NOT NULL,
    end_utc     TEXT NOT NULL,
    all_day     INTEGER NOT NULL,
    place       TEXT NOT NULL,
    theme       TEXT NOT NULL,
    description TEXT NOT NULL,
    deleted     INTEGER NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_start ON events(space, deleted, start_utc);

-- Changes received before changes they depend on (possible when entries arrive out of
-- causal order): fed again to the document with every later entry of the item, until
-- nothing is missing.
CREATE TABLE pending_changes (
    item  BLOB NOT NULL,
    body  BLOB NOT NULL
) STRICT;
CREATE INDEX pending_by_item ON pending_changes(item);
