-- Webhooks: account endpoints, the account's default signing secret, the outbox of deliveries and their attempt log.
-- Times are INTEGER Unix milliseconds (UTC).

CREATE TABLE webhook_endpoints (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    enabled     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX ix_webhook_endpoints_account ON webhook_endpoints (account_id, enabled);

CREATE TABLE webhook_signing_secrets (
    account_id  TEXT PRIMARY KEY REFERENCES accounts(id),
    doc         TEXT NOT NULL
);

-- One row per (event, destination). destination is the endpoint id or 'call:{index}' for a per-call webhook;
-- per call and destination, a row is not claimed while a row with a lower sequence is still pending.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL,
    endpoint_id      TEXT,
    destination      TEXT NOT NULL,
    call_id          TEXT,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    sequence         INTEGER NOT NULL,
    url              TEXT NOT NULL,
    secret           TEXT,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL,
    series_attempts  INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    lease_token      TEXT,
    lease_until      INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX ix_webhook_deliveries_order ON webhook_deliveries (call_id, destination, sequence) WHERE status = 'pending';
CREATE INDEX ix_webhook_deliveries_account ON webhook_deliveries (account_id, id);
CREATE INDEX ix_webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, status, created_at);
CREATE INDEX ix_webhook_deliveries_call ON webhook_deliveries (call_id);

CREATE TABLE webhook_attempts (
    delivery_id       TEXT NOT NULL REFERENCES webhook_deliveries(id),
    number            INTEGER NOT NULL,
    at                INTEGER NOT NULL,
    status_code       INTEGER,
    latency_ms        INTEGER NOT NULL,
    response_excerpt  TEXT,
    error             TEXT,
    PRIMARY KEY (delivery_id, number)
);
