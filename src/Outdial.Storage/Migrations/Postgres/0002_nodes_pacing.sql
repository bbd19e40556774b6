-- Schema v2: node heartbeats, and dial slots for pacing shared by every node: per pacing key (a caller ID, a campaign, a provider), the earliest
-- time (Unix ms, UTC) the next dial through it may start. One conditional upsert takes a slot.
CREATE TABLE pacing_slots (
    key     TEXT COLLATE "C" PRIMARY KEY,
    next_at BIGINT NOT NULL
);

-- The nodes sharing this database (one per server process start), with their heartbeats; a node whose heartbeat is stale
-- is reaped by another node's watchdog (its leases handed back). Times are Unix ms, UTC.
CREATE TABLE nodes (
    id           TEXT COLLATE "C" PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          BIGINT NOT NULL,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    stopped_at   BIGINT,
    reaped_at    BIGINT
);
-- Leases handed back by token (a node's shutdown, a watchdog's reap).
CREATE INDEX ix_calls_lease ON calls(lease_token) WHERE lease_token IS NOT NULL;
CREATE INDEX ix_webhook_deliveries_lease ON webhook_deliveries(lease_token) WHERE lease_token IS NOT NULL;
CREATE INDEX ix_insight_analyses_lease ON insight_analyses(lease_token) WHERE lease_token IS NOT NULL;

-- Counters shared by the nodes (a campaign's caller-ID round robin): one conditional upsert per turn.
CREATE TABLE counters (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value BIGINT NOT NULL
);

-- The claim's second read: calls not yet due whose expiry has passed (the first read, due calls in due order, uses ix_calls_due).
CREATE INDEX ix_calls_expiring ON calls(expires_at) WHERE status IN ('scheduled', 'queued') AND expires_at IS NOT NULL;

-- A call's calls to one number: the duplicate guard's hand-over when a call ends (another live call to the same number)
-- and GET /v1/calls?to=…; without it the hand-over read every call of the account at every call's end.
CREATE INDEX ix_calls_to ON calls(account_id, to_number, id);
