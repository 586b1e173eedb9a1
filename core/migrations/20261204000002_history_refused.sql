-- A change another member made that breaks an item's rule (a poll closed by someone
-- who may not, say): kept in the item's history, marked refused, with why.
ALTER TABLE item_history ADD COLUMN refused TEXT;
