-- Schema v4: the operator. An account an operator disabled (Unix ms, UTC; NULL while enabled): its API keys stop
-- authenticating and its calls wait undialed until it is enabled again. Operator keys (/v1/admin): only the SHA-256 hash
-- of each secret and its visible prefix, like api_keys.
ALTER TABLE accounts ADD COLUMN disabled_at BIGINT;
CREATE TABLE operator_keys (
    id         TEXT COLLATE "C" PRIMARY KEY,
    prefix     TEXT NOT NULL,
    hash       TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
