-- Admission tokens an operator issues (`bastide-relay token create`): on a relay that
-- is not open to all, creating a space spends one use of a token. Only a hash of each
-- token is kept, so this file does not hold usable tokens.
CREATE TABLE tokens (
    hash       BLOB PRIMARY KEY NOT NULL,
    label      TEXT NOT NULL,
    uses_left  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
) STRICT;
