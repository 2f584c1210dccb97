-- +goose Up
-- What an admin decided about an app's account (issue 11): linked to a
-- person by hand (kept over matching at every reconciliation), or a
-- service account (kept, ignored, audited).
ALTER TABLE app_accounts ADD COLUMN decision TEXT NOT NULL DEFAULT '' CHECK (decision IN ('', 'linked', 'service'));
ALTER TABLE app_accounts ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
ALTER TABLE app_accounts ADD COLUMN decided_at DATETIME;

-- +goose Down
ALTER TABLE app_accounts DROP COLUMN decided_at;
ALTER TABLE app_accounts DROP COLUMN decided_by;
ALTER TABLE app_accounts DROP COLUMN decision;
