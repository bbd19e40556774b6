-- Outdial schema v1 (PostgreSQL): the same tables, columns and indexes as the SQLite schema at its version 9, so one set of
-- statements (Outdial.Storage.Sql.SqlStore) serves both engines. Times are BIGINT Unix milliseconds (UTC); flags are 0/1
-- BIGINT; doc columns hold the domain record as JSON text. Text compares and sorts by code point (COLLATE "C"), as in SQLite,
-- so id order (ids are time-ordered) and cursors do not depend on the database's locale.

CREATE TABLE accounts (
    id                       TEXT COLLATE "C" PRIMARY KEY,
    name                     TEXT NOT NULL,
    require_consent          BIGINT NOT NULL,
    max_concurrent_calls     BIGINT NOT NULL,
    created_at               BIGINT NOT NULL,
    require_consent_record   BIGINT NOT NULL DEFAULT 0,
    frequency_cap_max        BIGINT,
    frequency_cap_window_sec BIGINT,
    dburl                    TEXT COLLATE "C",
    team_id                  TEXT COLLATE "C",
    ivr_tenant               TEXT COLLATE "C",
    api_access_enabled       BIGINT NOT NULL DEFAULT 1,
    strict_agent_refs        BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX ux_accounts_dburl ON accounts(dburl) WHERE dburl IS NOT NULL;
CREATE UNIQUE INDEX ux_accounts_team_id ON accounts(team_id) WHERE team_id IS NOT NULL;
CREATE UNIQUE INDEX ux_accounts_ivr_tenant ON accounts(ivr_tenant) WHERE ivr_tenant IS NOT NULL;

CREATE TABLE api_keys (
    id         TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id),
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    hash       TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX ix_api_keys_account ON api_keys(account_id, id);

CREATE TABLE agents (
    id         TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id),
    key        TEXT COLLATE "C" NOT NULL,
    is_default BIGINT NOT NULL,
    doc        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE UNIQUE INDEX ux_agents_key ON agents(account_id, key) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX ux_agents_default ON agents(account_id) WHERE is_default = 1 AND deleted_at IS NULL;

CREATE TABLE agent_refs (
    account_id TEXT COLLATE "C" NOT NULL,
    ref        TEXT COLLATE "C" NOT NULL,
    agent_id   TEXT COLLATE "C" NOT NULL REFERENCES agents(id),
    PRIMARY KEY (account_id, ref)
);
CREATE INDEX ix_agent_refs_agent ON agent_refs(agent_id);

CREATE TABLE phone_numbers (
    id               TEXT COLLATE "C" PRIMARY KEY,
    account_id       TEXT COLLATE "C" NOT NULL REFERENCES accounts(id),
    number           TEXT COLLATE "C" NOT NULL,
    label            TEXT,
    provider         TEXT NOT NULL,
    agent_id         TEXT COLLATE "C",
    calls_per_second DOUBLE PRECISION NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_phone_numbers_number ON phone_numbers(account_id, number);

CREATE TABLE calls (
    id            TEXT COLLATE "C" PRIMARY KEY,
    account_id    TEXT COLLATE "C" NOT NULL REFERENCES accounts(id),
    status        TEXT COLLATE "C" NOT NULL,
    outcome       TEXT COLLATE "C",
    to_number     TEXT COLLATE "C" NOT NULL,
    agent_id      TEXT COLLATE "C" NOT NULL,
    campaign_id   TEXT COLLATE "C",
    due_at        BIGINT NOT NULL,
    expires_at    BIGINT,
    lease_token   TEXT COLLATE "C",
    lease_until   BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    doc           TEXT NOT NULL,
    contact_id    TEXT COLLATE "C",
    is_test       BIGINT NOT NULL DEFAULT 0,
    status_reason TEXT COLLATE "C",
    version       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX ix_calls_due ON calls(due_at) WHERE status IN ('scheduled', 'queued');
CREATE INDEX ix_calls_account ON calls(account_id, id);
CREATE INDEX ix_calls_active ON calls(account_id) WHERE status IN ('dialing', 'ringing', 'in_progress');
CREATE INDEX ix_calls_campaign ON calls (campaign_id, status) WHERE campaign_id IS NOT NULL;

CREATE TABLE call_attempts (
    id               TEXT COLLATE "C" PRIMARY KEY,
    call_id          TEXT COLLATE "C" NOT NULL REFERENCES calls(id),
    number           BIGINT NOT NULL,
    provider         TEXT COLLATE "C" NOT NULL,
    provider_call_id TEXT COLLATE "C",
    status           TEXT COLLATE "C" NOT NULL,
    updated_at       BIGINT NOT NULL,
    version          BIGINT NOT NULL,
    doc              TEXT NOT NULL,
    awaits_recording BIGINT NOT NULL DEFAULT 0,
    UNIQUE (call_id, number)
);
CREATE UNIQUE INDEX ux_attempts_provider ON call_attempts(provider, provider_call_id) WHERE provider_call_id IS NOT NULL;
CREATE INDEX ix_attempts_open ON call_attempts(updated_at) WHERE status <> 'completed';
CREATE INDEX ix_attempts_awaiting_recording ON call_attempts(updated_at) WHERE awaits_recording = 1;

CREATE TABLE call_events (
    id         TEXT COLLATE "C" PRIMARY KEY,
    call_id    TEXT COLLATE "C" NOT NULL REFERENCES calls(id),
    account_id TEXT COLLATE "C" NOT NULL,
    sequence   BIGINT NOT NULL,
    type       TEXT NOT NULL,
    at         BIGINT NOT NULL,
    data       TEXT NOT NULL,
    UNIQUE (call_id, sequence)
);

-- Idempotency-Key per account (the primary key is what enforces it).
CREATE TABLE idempotency_keys (
    account_id      TEXT COLLATE "C" NOT NULL,
    key             TEXT COLLATE "C" NOT NULL,
    request_hash    TEXT NOT NULL,
    response_status BIGINT NOT NULL,
    response_body   TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX ix_idempotency_created ON idempotency_keys(created_at);

-- Duplicate guard: one row per account, number and campaign ('' outside campaigns) while a call is pending or active.
CREATE TABLE active_call_guard (
    account_id   TEXT COLLATE "C" NOT NULL,
    to_number    TEXT COLLATE "C" NOT NULL,
    campaign_key TEXT COLLATE "C" NOT NULL,
    call_id      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (account_id, to_number, campaign_key)
);
CREATE INDEX ix_guard_call ON active_call_guard(call_id);

CREATE TABLE dnc_entries (
    account_id TEXT COLLATE "C" NOT NULL,
    number     TEXT COLLATE "C" NOT NULL,
    reason     TEXT,
    source     TEXT,
    created_at BIGINT NOT NULL,
    opt_out    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, number)
);

CREATE TABLE webhook_endpoints (
    id          TEXT COLLATE "C" PRIMARY KEY,
    account_id  TEXT COLLATE "C" NOT NULL REFERENCES accounts(id),
    enabled     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX ix_webhook_endpoints_account ON webhook_endpoints (account_id, enabled);

CREATE TABLE webhook_signing_secrets (
    account_id  TEXT COLLATE "C" PRIMARY KEY REFERENCES accounts(id),
    doc         TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               TEXT COLLATE "C" PRIMARY KEY,
    account_id       TEXT COLLATE "C" NOT NULL,
    endpoint_id      TEXT COLLATE "C",
    destination      TEXT COLLATE "C" NOT NULL,
    call_id          TEXT COLLATE "C",
    event_id         TEXT COLLATE "C" NOT NULL,
    event_type       TEXT COLLATE "C" NOT NULL,
    sequence         BIGINT NOT NULL,
    url              TEXT NOT NULL,
    secret           TEXT,
    body             TEXT NOT NULL,
    status           TEXT COLLATE "C" NOT NULL,
    series_attempts  BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    lease_token      TEXT COLLATE "C",
    lease_until      BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    format           TEXT COLLATE "C",
    batched          BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX ix_webhook_deliveries_order ON webhook_deliveries (call_id, destination, sequence) WHERE status = 'pending';
CREATE INDEX ix_webhook_deliveries_account ON webhook_deliveries (account_id, id);
CREATE INDEX ix_webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, status, created_at);
CREATE INDEX ix_webhook_deliveries_call ON webhook_deliveries (call_id);

CREATE TABLE webhook_attempts (
    delivery_id       TEXT COLLATE "C" NOT NULL REFERENCES webhook_deliveries(id),
    number            BIGINT NOT NULL,
    at                BIGINT NOT NULL,
    status_code       BIGINT,
    latency_ms        BIGINT NOT NULL,
    response_excerpt  TEXT,
    error             TEXT,
    PRIMARY KEY (delivery_id, number)
);

CREATE TABLE consents (
    id          TEXT COLLATE "C" PRIMARY KEY,
    account_id  TEXT COLLATE "C" NOT NULL REFERENCES accounts(id),
    number      TEXT COLLATE "C" NOT NULL,
    purpose     TEXT,
    obtained_at BIGINT NOT NULL,
    expires_at  BIGINT,
    revoked_at  BIGINT,
    created_at  BIGINT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX ix_consents_number ON consents (account_id, number, id);
CREATE INDEX ix_consents_account ON consents (account_id, id);

CREATE TABLE dial_log (
    account_id TEXT COLLATE "C" NOT NULL,
    number     TEXT COLLATE "C" NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX ix_dial_log_number ON dial_log (account_id, number, at);

CREATE TABLE campaigns (
    id         TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id),
    name       TEXT COLLATE "C" NOT NULL,
    status     TEXT COLLATE "C" NOT NULL,
    deleted_at BIGINT,
    version    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_campaigns_name ON campaigns (account_id, name) WHERE deleted_at IS NULL;
CREATE INDEX ix_campaigns_account ON campaigns (account_id, id);
CREATE INDEX ix_campaigns_active ON campaigns (status) WHERE deleted_at IS NULL;

-- seq is the insertion order: contacts are dialed in the order they were added (file order within an import).
CREATE TABLE campaign_contacts (
    seq         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    id          TEXT COLLATE "C" NOT NULL UNIQUE,
    account_id  TEXT COLLATE "C" NOT NULL,
    campaign_id TEXT COLLATE "C" NOT NULL,
    phone       TEXT COLLATE "C" NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,
    call_id     TEXT COLLATE "C",
    skip_reason TEXT COLLATE "C",
    import_id   TEXT COLLATE "C",
    created_at  BIGINT NOT NULL,
    doc         TEXT,
    UNIQUE (campaign_id, phone)
);
CREATE INDEX ix_contacts_status ON campaign_contacts (campaign_id, status, seq);

CREATE TABLE contact_imports (
    id          TEXT COLLATE "C" PRIMARY KEY,
    account_id  TEXT COLLATE "C" NOT NULL,
    campaign_id TEXT COLLATE "C" NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX ix_imports_campaign ON contact_imports (campaign_id, id);
CREATE INDEX ix_imports_running ON contact_imports (id) WHERE status = 'running';

CREATE TABLE transcript_turns (
    call_id    TEXT COLLATE "C" NOT NULL REFERENCES calls(id),
    turn_index BIGINT NOT NULL,
    doc        TEXT NOT NULL,
    PRIMARY KEY (call_id, turn_index)
);

CREATE TABLE insight_analyses (
    id              TEXT COLLATE "C" PRIMARY KEY,
    call_id         TEXT COLLATE "C" NOT NULL REFERENCES calls(id),
    account_id      TEXT COLLATE "C" NOT NULL,
    status          TEXT COLLATE "C" NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_token     TEXT COLLATE "C",
    lease_until     BIGINT,
    created_at      BIGINT NOT NULL,
    doc             TEXT NOT NULL
);
CREATE INDEX ix_insight_analyses_due ON insight_analyses (next_attempt_at) WHERE status IN ('pending', 'running');
CREATE INDEX ix_insight_analyses_call ON insight_analyses (call_id, created_at, id);
