-- Changes from other members set aside instead of applied: refused before Automerge
-- saw them (a compressed chunk, too many operations) or refused by Automerge. Kept, so
-- nothing is lost and a later version may apply them; the space's cursor moves past
-- them, so no single entry stops a space.
CREATE TABLE quarantine (
    space  BLOB NOT NULL REFERENCES spaces(id),
    seq    INTEGER NOT NULL,
    item   BLOB NOT NULL,
    author BLOB NOT NULL,
    reason TEXT NOT NULL,
    body   BLOB NOT NULL,
    at     TEXT NOT NULL,
    PRIMARY KEY (space, seq)
) STRICT;
