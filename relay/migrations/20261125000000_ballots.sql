-- Each member's current ballot per poll, so a member votes at most once and a new
-- vote replaces the previous one. `voter` is a keyed hash of the member (the key is
-- the relay's `ballot.key`), so this file alone does not say who voted; ballots in
-- `entries` (kind 2) carry no author at all. The relay never learns what a ballot says.
CREATE TABLE ballots (
    space       BLOB NOT NULL REFERENCES spaces(id),
    poll        BLOB NOT NULL,
    voter       BLOB NOT NULL,
    seq         INTEGER NOT NULL,
    sealed_hash BLOB NOT NULL,
    PRIMARY KEY (space, poll, voter)
) STRICT;
