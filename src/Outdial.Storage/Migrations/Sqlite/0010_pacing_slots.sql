-- Schema v10: dial slots for pacing shared by every node on the database: per pacing key (a caller ID, a campaign, a
-- provider), the earliest time (Unix ms, UTC) the next dial through it may start. One conditional upsert takes a slot.
CREATE TABLE pacing_slots (
    key     TEXT PRIMARY KEY,
    next_at INTEGER NOT NULL
);
