-- This computer's notifications, for the in-app list (not synced: each member's
-- own), and per-space settings (muting desktop notifications).
CREATE TABLE notifications (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    space  BLOB NOT NULL REFERENCES spaces(id),
    item   BLOB NOT NULL,
    module TEXT NOT NULL,
    body   TEXT NOT NULL,
    at     TEXT NOT NULL,
    read   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX notifications_unread ON notifications(read, id);

CREATE TABLE space_settings (
    space BLOB PRIMARY KEY NOT NULL REFERENCES spaces(id),
    muted INTEGER NOT NULL
) STRICT;
