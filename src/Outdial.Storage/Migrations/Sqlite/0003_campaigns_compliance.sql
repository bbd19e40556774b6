-- Campaigns, contacts, imports; DNC opt-outs, consent records and the dial log behind frequency caps.
-- Times are INTEGER Unix milliseconds (UTC). doc holds the domain record as JSON; columns duplicate what queries need.

ALTER TABLE accounts ADD COLUMN require_consent_record INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN frequency_cap_max INTEGER;
ALTER TABLE accounts ADD COLUMN frequency_cap_window_sec INTEGER;

ALTER TABLE calls ADD COLUMN contact_id TEXT;
ALTER TABLE calls ADD COLUMN is_test INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN status_reason TEXT;
UPDATE calls SET status_reason = json_extract(doc, '$.statusReason') WHERE json_extract(doc, '$.statusReason') IS NOT NULL;
CREATE INDEX ix_calls_campaign ON calls (campaign_id, status) WHERE campaign_id IS NOT NULL;

-- opt_out = 1: the callee's own request; never overwritten by a plain entry.
ALTER TABLE dnc_entries ADD COLUMN opt_out INTEGER NOT NULL DEFAULT 0;

CREATE TABLE consents (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    number      TEXT NOT NULL,
    purpose     TEXT,
    obtained_at INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_at  INTEGER,
    created_at  INTEGER NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX ix_consents_number ON consents (account_id, number, id);
CREATE INDEX ix_consents_account ON consents (account_id, id);

-- One row per attempt (written with the attempt), across campaigns and single calls.
CREATE TABLE dial_log (
    account_id TEXT NOT NULL,
    number     TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX ix_dial_log_number ON dial_log (account_id, number, at);

CREATE TABLE campaigns (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name       TEXT NOT NULL,
    status     TEXT NOT NULL,
    deleted_at INTEGER,
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    doc        TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_campaigns_name ON campaigns (account_id, name) WHERE deleted_at IS NULL;
CREATE INDEX ix_campaigns_account ON campaigns (account_id, id);
CREATE INDEX ix_campaigns_active ON campaigns (status) WHERE deleted_at IS NULL;

-- Up to 1,000,000 rows per import: kept narrow. doc holds only the contact's time zone and fields (NULL when neither).
-- seq is the insertion order (the rowid): contacts are dialed in the order they were added, i.e. file order within an
-- import (ids share a millisecond across a batch, and their random part does not keep that order).
CREATE TABLE campaign_contacts (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    account_id  TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    phone       TEXT NOT NULL,
    status      TEXT NOT NULL,
    call_id     TEXT,
    skip_reason TEXT,
    import_id   TEXT,
    created_at  INTEGER NOT NULL,
    doc         TEXT,
    UNIQUE (campaign_id, phone)
);
CREATE INDEX ix_contacts_status ON campaign_contacts (campaign_id, status, seq);

CREATE TABLE contact_imports (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX ix_imports_campaign ON contact_imports (campaign_id, id);
CREATE INDEX ix_imports_running ON contact_imports (id) WHERE status = 'running';
