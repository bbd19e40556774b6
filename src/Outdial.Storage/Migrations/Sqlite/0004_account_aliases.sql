-- Schema v4: the names by which the seed dialects address an account (each unique across accounts), and the API-access
-- switch of seed 003.
ALTER TABLE accounts ADD COLUMN dburl TEXT;
ALTER TABLE accounts ADD COLUMN team_id TEXT;
ALTER TABLE accounts ADD COLUMN ivr_tenant TEXT;
ALTER TABLE accounts ADD COLUMN api_access_enabled INTEGER NOT NULL DEFAULT 1;
CREATE UNIQUE INDEX ux_accounts_dburl ON accounts(dburl) WHERE dburl IS NOT NULL;
CREATE UNIQUE INDEX ux_accounts_team_id ON accounts(team_id) WHERE team_id IS NOT NULL;
CREATE UNIQUE INDEX ux_accounts_ivr_tenant ON accounts(ivr_tenant) WHERE ivr_tenant IS NOT NULL;
