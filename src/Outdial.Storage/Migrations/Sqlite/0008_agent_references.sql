-- Schema v8: external references of agents (a scenario path, a Vodex project id, a BuildVoice agent id, an aicaller call
-- template id), each naming at most one live agent of its account; and the account's rule for a reference that names none
-- (0: the default agent answers and the call records the reference; 1: strict, the request is refused).
CREATE TABLE agent_refs (
    account_id TEXT NOT NULL,
    ref        TEXT NOT NULL,
    agent_id   TEXT NOT NULL REFERENCES agents(id),
    PRIMARY KEY (account_id, ref)
);
CREATE INDEX ix_agent_refs_agent ON agent_refs(agent_id);
ALTER TABLE accounts ADD COLUMN strict_agent_refs INTEGER NOT NULL DEFAULT 0;
