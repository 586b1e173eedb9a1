-- The id of every record of each space's log this profile applied, at its sequence
-- number (and the item, for entries): to notice a relay that lost records (restored
-- from an older backup) or serves other records at the same numbers, and to know
-- what to send it again.
CREATE TABLE log_ids (
    space BLOB NOT NULL REFERENCES spaces(id),
    seq   INTEGER NOT NULL,
    id    BLOB NOT NULL,
    item  BLOB,
    PRIMARY KEY (space, seq)
) STRICT, WITHOUT ROWID;
