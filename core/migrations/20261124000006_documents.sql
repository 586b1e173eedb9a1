-- Encrypted file chunks (in the profile's blobs/ folder) not yet on the relay.
CREATE TABLE chunk_uploads (
    space BLOB NOT NULL,
    id    TEXT NOT NULL,
    PRIMARY KEY (space, id)
) STRICT;

-- Projection of documents, rebuilt from `items` at any time. `doc` holds the
-- document with its versions and raw approval data (judged when read, against the
-- membership log).
CREATE TABLE documents (
    item    BLOB PRIMARY KEY NOT NULL REFERENCES items(id),
    space   BLOB NOT NULL REFERENCES spaces(id),
    title   TEXT NOT NULL,
    folder  TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    doc     TEXT NOT NULL
) STRICT;
CREATE INDEX documents_by_folder ON documents(space, deleted, folder);
