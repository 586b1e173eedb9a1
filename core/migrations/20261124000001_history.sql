-- Who changed which item: one row per change applied here, with the device that
-- signed its entry and the time the author's change records (sealed and signed with
-- it). `seq` is the relay's sequence for others' changes, NULL for this device's.
CREATE TABLE item_history (
    ord    INTEGER PRIMARY KEY AUTOINCREMENT,
    item   BLOB NOT NULL,
    author BLOB NOT NULL,
    seq    INTEGER,
    at     TEXT NOT NULL
) STRICT;
CREATE INDEX item_history_by_item ON item_history(item, ord);
