-- Projection of polls, rebuilt from `items` at any time. `author` is the device that
-- signed the poll's first change.
CREATE TABLE polls (
    item       BLOB PRIMARY KEY NOT NULL REFERENCES items(id),
    space      BLOB NOT NULL REFERENCES spaces(id),
    created_at TEXT NOT NULL,
    deleted    INTEGER NOT NULL,
    poll       TEXT NOT NULL
) STRICT;
CREATE INDEX polls_by_space ON polls(space, deleted, created_at);

-- Ballots as the relay forwarded them: sealed, without their voter. `replaces` is the
-- sequence number of the ballot this one replaces (the same member's previous vote,
-- as the relay knows), 0 for none. Opened when results are counted, so a ballot under
-- a key not yet held counts once the key arrives.
CREATE TABLE ballots (
    space    BLOB NOT NULL REFERENCES spaces(id),
    seq      INTEGER NOT NULL,
    poll     BLOB NOT NULL,
    key      INTEGER NOT NULL,
    replaces INTEGER NOT NULL,
    sealed   BLOB NOT NULL,
    PRIMARY KEY (space, seq)
) STRICT;
CREATE INDEX ballots_by_poll ON ballots(space, poll);

-- This profile's ballots not yet accepted by the relay: one per poll (a new vote
-- replaces the one waiting).
CREATE TABLE ballot_outbox (
    space  BLOB NOT NULL REFERENCES spaces(id),
    poll   BLOB NOT NULL,
    key    INTEGER NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (space, poll)
) STRICT;

-- Polls this profile voted in. Only that: in an anonymous poll, not the choice.
CREATE TABLE poll_voted (
    poll BLOB PRIMARY KEY NOT NULL
) STRICT;
