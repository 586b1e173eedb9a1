-- Changes made here under a key from an op of ours the relay then refused (two
-- admins acting offline at once): nobody else will ever hold that key, so the change
-- waits here, opened, to be sealed again under a key the space has once this device
-- has caught up with the log.
CREATE TABLE stranded (
    ord   INTEGER PRIMARY KEY AUTOINCREMENT,
    space BLOB NOT NULL REFERENCES spaces(id),
    item  BLOB NOT NULL,
    body  BLOB NOT NULL
) STRICT;
