-- Schema v6: conversation transcripts, turn by turn, and insight analyses (a job queue with leases, and its results).
-- Times are INTEGER Unix milliseconds (UTC). doc holds the domain record as JSON; columns duplicate what queries need.

-- One row per turn; a rewritten turn (an interrupted agent turn) replaces its row. Read by call in index order.
CREATE TABLE transcript_turns (
    call_id    TEXT NOT NULL REFERENCES calls(id),
    turn_index INTEGER NOT NULL,
    doc        TEXT NOT NULL,
    PRIMARY KEY (call_id, turn_index)
) WITHOUT ROWID;

-- Every analysis is kept (a rerun adds a row). status: pending, running (leased), completed, failed. A running row
-- whose lease_until has passed belonged to a crashed worker and is claimed again.
CREATE TABLE insight_analyses (
    id              TEXT PRIMARY KEY,
    call_id         TEXT NOT NULL REFERENCES calls(id),
    account_id      TEXT NOT NULL,
    status          TEXT NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_token     TEXT,
    lease_until     INTEGER,
    created_at      INTEGER NOT NULL,
    doc             TEXT NOT NULL
);
-- The claim reads only unfinished rows, in due order.
CREATE INDEX ix_insight_analyses_due ON insight_analyses (next_attempt_at) WHERE status IN ('pending', 'running');
-- A call's analyses, newest first.
CREATE INDEX ix_insight_analyses_call ON insight_analyses (call_id, created_at, id);
