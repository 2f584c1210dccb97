-- +goose Up
-- What each app says exists (issue 11): its accounts as last seen, each
-- matched to a person, ambiguous, or not in HR. A matched row is linked
-- to the person's account in accounts, whose grants are then what the
-- app reported. A person is never deleted with their app's accounts: the
-- row loses its person and reads as not in HR.
CREATE TABLE app_accounts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id          INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    remote_id       TEXT NOT NULL,
    email           TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    employee_number TEXT NOT NULL DEFAULT '',
    name            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'deleted')),
    entitlements    TEXT NOT NULL DEFAULT '[]',
    verdict         TEXT NOT NULL CHECK (verdict IN ('matched', 'ambiguous', 'not_in_hr')),
    matched_by      TEXT NOT NULL DEFAULT '',
    person_id       INTEGER REFERENCES people (id) ON DELETE SET NULL,
    candidates      TEXT NOT NULL DEFAULT '[]',
    reason          TEXT NOT NULL DEFAULT '',
    first_seen_at   DATETIME NOT NULL,
    last_seen_at    DATETIME NOT NULL,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (app_id, remote_id)
);
CREATE INDEX app_accounts_person_idx ON app_accounts (person_id);
CREATE INDEX app_accounts_verdict_idx ON app_accounts (app_id, verdict, remote_id);

-- Where a grant came from: Roster carried it out ('roster'), or the app
-- reported it ('app'). Planning revokes only what Roster granted, unless
-- the person leaves.
ALTER TABLE grants ADD COLUMN origin TEXT NOT NULL DEFAULT 'roster' CHECK (origin IN ('roster', 'app'));

-- +goose Down
ALTER TABLE grants DROP COLUMN origin;
DROP TABLE app_accounts;
