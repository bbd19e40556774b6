-- Schema v2: dial slots for pacing shared by every node: per pacing key (a caller ID, a campaign, a provider), the earliest
-- time (Unix ms, UTC) the next dial through it may start. One conditional upsert takes a slot.
CREATE TABLE pacing_slots (
    key     TEXT COLLATE "C" PRIMARY KEY,
    next_at BIGINT NOT NULL
);
