-- Projections of cantine sites and meal counts, rebuilt from `items` at any time.
-- `meal_counts` holds one row per cell with a count: the shown count, whether other
-- counts were entered concurrently, and every value (`cell`, JSON) with its device and
-- time. `item` is the month sheet the cell comes from.
CREATE TABLE cantine_sites (
    item    BLOB PRIMARY KEY NOT NULL REFERENCES items(id),
    space   BLOB NOT NULL REFERENCES spaces(id),
    name    TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    site    TEXT NOT NULL
) STRICT;
CREATE INDEX cantine_sites_by_space ON cantine_sites(space, deleted, name COLLATE NOCASE);

CREATE TABLE meal_counts (
    site     BLOB NOT NULL,
    day      TEXT NOT NULL,
    category TEXT NOT NULL,
    count    INTEGER NOT NULL,
    conflict INTEGER NOT NULL,
    item     BLOB NOT NULL,
    cell     TEXT NOT NULL,
    PRIMARY KEY (site, day, category)
) STRICT;
CREATE INDEX meal_counts_by_item ON meal_counts(item);
