-- Schema v11: named claims with an expiry (Unix ms, UTC): which node is doing work that must not be done twice at once — an
-- Idempotency-Key whose first request is in flight (scope 'idempotency:{account id}'), a campaign's contact feed (scope
-- 'campaign-feed'). Released when the work ends; a claim left by a node that died expires on its own.
CREATE TABLE claims (
    scope      TEXT NOT NULL,
    key        TEXT NOT NULL,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX ix_claims_expires ON claims(expires_at);
