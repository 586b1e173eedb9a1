-- Projection of comments on documents, rebuilt from `items` at any time.
CREATE TABLE doc_comments (
    item       BLOB PRIMARY KEY NOT NULL REFERENCES items(id),
    space      BLOB NOT NULL REFERENCES spaces(id),
    document   BLOB NOT NULL,
    created_at TEXT NOT NULL,
    comment    TEXT NOT NULL
) STRICT;
CREATE INDEX doc_comments_by_document ON doc_comments(space, document, created_at, item);
