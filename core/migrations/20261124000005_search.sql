-- One full-text index over every module's items, rebuilt with the projections.
-- unicode61 with remove_diacritics folds accents and case: "deliberation" finds
-- "Délibération".
CREATE VIRTUAL TABLE search_index USING fts5(
    space UNINDEXED,
    item UNINDEXED,
    kind UNINDEXED,
    title,
    body,
    tokenize = "unicode61 remove_diacritics 2"
);
