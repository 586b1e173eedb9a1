-- Membership: space keys now arrive as key shares in each space's membership log and
-- are opened with the device key when needed; nothing stores them in the clear.
ALTER TABLE spaces DROP COLUMN space_key;
ALTER TABLE spaces DROP COLUMN epoch;
-- This profile's member id in the space.
ALTER TABLE spaces ADD COLUMN member BLOB;

-- Membership ops of each space: `seq` is the op's place in the relay's log, NULL while
-- the op was made here and not yet acknowledged.
CREATE TABLE ops (
    ord   INTEGER PRIMARY KEY AUTOINCREMENT,
    id    BLOB NOT NULL UNIQUE,
    space BLOB NOT NULL REFERENCES spaces(id),
    seq   INTEGER,
    bytes BLOB NOT NULL
) STRICT;
CREATE INDEX ops_by_space ON ops(space, ord);

-- Invitation keys this device redeemed, sealed to the device's own key: the space
-- keys shared with the invitation open with them.
CREATE TABLE invitation_keys (
    space  BLOB NOT NULL REFERENCES spaces(id),
    sealed BLOB NOT NULL
) STRICT;

-- Entries from the relay sealed under a key this device does not hold yet (its share
-- is on the way): applied as soon as it does.
CREATE TABLE locked_entries (
    space BLOB NOT NULL,
    seq   INTEGER NOT NULL,
    key   INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (space, seq)
) STRICT;

-- 0: a sealed entry; 1: a membership op.
ALTER TABLE outbox ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
