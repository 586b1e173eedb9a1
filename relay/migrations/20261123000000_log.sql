-- Spaces the relay knows: only their id and public access key.
CREATE TABLE spaces (
    id         BLOB PRIMARY KEY NOT NULL,
    access_key BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- Devices that proved knowledge of a space's key.
CREATE TABLE members (
    space     BLOB NOT NULL REFERENCES spaces(id),
    device    BLOB NOT NULL,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (space, device)
) STRICT;

-- Each space's append-only log of sealed entries, exactly as pushed.
CREATE TABLE entries (
    space  BLOB NOT NULL REFERENCES spaces(id),
    seq    INTEGER NOT NULL,
    id     BLOB NOT NULL UNIQUE,
    author BLOB NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (space, seq)
) STRICT;
