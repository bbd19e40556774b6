-- The call's write version: every write of a call increments it and is fenced on the value it read (optimistic
-- concurrency; Core decides the next state from a read, the store only persists it when nothing moved in between).
ALTER TABLE calls ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
