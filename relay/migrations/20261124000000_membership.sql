-- Membership moves into each space's log: a space is created by its genesis op and
-- its members are whoever the replayed ops say. The access-key scheme goes.
DROP TABLE members;
ALTER TABLE spaces DROP COLUMN access_key;
-- 0: a sealed entry; 1: a membership op (readable by the relay).
ALTER TABLE entries ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
CREATE INDEX entries_ops ON entries(space, kind, seq);
