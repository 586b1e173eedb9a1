-- Where each item sits in the full-text index, so that re-indexing an item finds its
-- row by key instead of scanning the index (FTS5 columns are not indexed for lookup).
CREATE TABLE search_rows (
    item BLOB PRIMARY KEY NOT NULL,
    row  INTEGER NOT NULL
) STRICT;
