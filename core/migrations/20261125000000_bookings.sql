-- Projections of resources and bookings, rebuilt from `items` at any time. A booking
-- has one `booking_slots` row per occurrence; `holds` says whether it takes its time
-- (pending or confirmed, not in the trash). Times are UTC with a fixed fraction, so
-- they compare as text. `author` is the device that signed the booking's first change.
CREATE TABLE resources (
    item     BLOB PRIMARY KEY NOT NULL REFERENCES items(id),
    space    BLOB NOT NULL REFERENCES spaces(id),
    name     TEXT NOT NULL,
    deleted  INTEGER NOT NULL,
    resource TEXT NOT NULL
) STRICT;
CREATE INDEX resources_by_space ON resources(space, deleted, name COLLATE NOCASE);

CREATE TABLE bookings (
    item       BLOB PRIMARY KEY NOT NULL REFERENCES items(id),
    space      BLOB NOT NULL REFERENCES spaces(id),
    resource   BLOB NOT NULL,
    created_at TEXT NOT NULL,
    author     BLOB NOT NULL,
    booking    TEXT NOT NULL
) STRICT;

CREATE TABLE booking_slots (
    item     BLOB NOT NULL REFERENCES bookings(item),
    n        INTEGER NOT NULL,
    space    BLOB NOT NULL,
    resource BLOB NOT NULL,
    start    TEXT NOT NULL,
    end      TEXT NOT NULL,
    holds    INTEGER NOT NULL,
    PRIMARY KEY (item, n)
) STRICT;
CREATE INDEX booking_slots_by_resource ON booking_slots(resource, start);
CREATE INDEX booking_slots_by_space ON booking_slots(space, start);
