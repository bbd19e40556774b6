-- Outdial schema v1 (SQLite). Times are INTEGER Unix milliseconds, UTC.
-- Documents (doc) hold the full domain record as JSON; columns duplicate what queries and conditions need.

CREATE TABLE accounts (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    require_consent      INTEGER NOT NULL,
    max_concurrent_calls INTEGER NOT NULL,
    created_at           INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX ix_api_keys_account ON api_keys(account_id, id);

CREATE TABLE agents (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    key        TEXT NOT NULL,
    is_default INTEGER NOT NULL,
    doc        TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER
);
CREATE UNIQUE INDEX ux_agents_key ON agents(account_id, key) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX ux_agents_default ON agents(account_id) WHERE is_default = 1 AND deleted_at IS NULL;

CREATE TABLE phone_numbers (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts(id),
    number           TEXT NOT NULL,
    label            TEXT,
    provider         TEXT NOT NULL,
    agent_id         TEXT,
    calls_per_second REAL NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX ux_phone_numbers_number ON phone_numbers(account_id, number);

CREATE TABLE calls (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    status        TEXT NOT NULL,
    outcome       TEXT,
    to_number     TEXT NOT NULL,
    agent_id      TEXT NOT NULL,
    campaign_id   TEXT,
    due_at        INTEGER NOT NULL,
    expires_at    INTEGER,
    lease_token   TEXT,
    lease_until   INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    doc           TEXT NOT NULL
);
CREATE INDEX ix_calls_due ON calls(due_at) WHERE status IN ('scheduled', 'queued');
CREATE INDEX ix_calls_account ON calls(account_id, id);
CREATE INDEX ix_calls_active ON calls(account_id) WHERE status IN ('dialing', 'ringing', 'in_progress');

CREATE TABLE call_attempts (
    id               TEXT PRIMARY KEY,
    call_id          TEXT NOT NULL REFERENCES calls(id),
    number           INTEGER NOT NULL,
    provider         TEXT NOT NULL,
    provider_call_id TEXT,
    status           TEXT NOT NULL,
    updated_at       INTEGER NOT NULL,
    version          INTEGER NOT NULL,
    doc              TEXT NOT NULL,
    UNIQUE (call_id, number)
);
CREATE UNIQUE INDEX ux_attempts_provider ON call_attempts(provider, provider_call_id) WHERE provider_call_id IS NOT NULL;
CREATE INDEX ix_attempts_open ON call_attempts(updated_at) WHERE status <> 'completed';

CREATE TABLE call_events (
    id         TEXT PRIMARY KEY,
    call_id    TEXT NOT NULL REFERENCES calls(id),
    account_id TEXT NOT NULL,
    sequence   INTEGER NOT NULL,
    type       TEXT NOT NULL,
    at         INTEGER NOT NULL,
    data       TEXT NOT NULL,
    UNIQUE (call_id, sequence)
);

-- Idempotency-Key per account, kept 24 h (the primary key is what enforces it).
CREATE TABLE idempotency_keys (
    account_id      TEXT NOT NULL,
    key             TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body   TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
);

-- Duplicate guard: one row per account, number and campaign ('' outside campaigns) while a call is pending or
-- active. Its primary key is what refuses a second call; the row moves to another live call or goes away when
-- its call reaches a terminal state.
CREATE TABLE active_call_guard (
    account_id   TEXT NOT NULL,
    to_number    TEXT NOT NULL,
    campaign_key TEXT NOT NULL,
    call_id      TEXT NOT NULL,
    PRIMARY KEY (account_id, to_number, campaign_key)
);
CREATE INDEX ix_guard_call ON active_call_guard(call_id);

CREATE TABLE dnc_entries (
    account_id TEXT NOT NULL,
    number     TEXT NOT NULL,
    reason     TEXT,
    source     TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, number)
);
