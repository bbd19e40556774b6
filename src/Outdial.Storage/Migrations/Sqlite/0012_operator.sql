-- Schema v12: the operator, and the account event stream. An account an operator disabled (Unix ms, UTC; NULL while enabled): its API keys stop
-- authenticating and its calls wait undialed until it is enabled again. Operator keys (/v1/admin): only the SHA-256 hash
-- of each secret and its visible prefix, like api_keys.
ALTER TABLE accounts ADD COLUMN disabled_at INTEGER;
CREATE TABLE operator_keys (
    id         TEXT PRIMARY KEY,
    prefix     TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
-- The account's event stream (GET /v1/events/stream, the dashboard's live view): events of one account after an id.
CREATE INDEX ix_call_events_account ON call_events(account_id, id);
