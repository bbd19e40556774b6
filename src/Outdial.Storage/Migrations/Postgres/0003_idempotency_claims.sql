-- Schema v3: Idempotency-Keys whose first request is in flight, claimed by the node processing it until expires_at (Unix ms,
-- UTC), so that a duplicate sent to any node gets 409 while the first is processed. Rows are deleted when the request ends;
-- a claim left by a node that died expires on its own.
CREATE TABLE idempotency_claims (
    account_id TEXT COLLATE "C" NOT NULL,
    key        TEXT COLLATE "C" NOT NULL,
    holder     TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);
