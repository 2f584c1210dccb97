-- +goose Up
-- What each app says exists (issue 11): its accounts as last seen, each
-- matched to a person, ambiguous, or not in HR. A matched row is linked
-- to the person's account in accounts, whose grants are then what the
-- app reported. A person is never deleted with their app's accounts: the
-- row loses its person and reads as not in HR.
CREATE TABLE app_accounts (
    id              BIGSERIAL PRIMARY KEY,
    app_id          BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    remote_id       TEXT NOT NULL,
    email           TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    employee_number TEXT NOT NULL DEFAULT '',
    name            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'deleted')),
    entitlements    TEXT NOT NULL DEFAULT '[]',
    verdict         TEXT NOT NULL CHECK (verdict IN ('matched', 'ambiguous', 'not_in_hr')),
    matched_by      TEXT NOT NULL DEFAULT '',
    person_id       BIGINT REFERENCES people (id) ON DELETE SET NULL,
    candidates      TEXT NOT NULL DEFAULT '[]',
    reason          TEXT NOT NULL DEFAULT '',
    first_seen_at   TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (app_id, remote_id)
);
CREATE INDEX app_accounts_person_idx ON app_accounts (person_id);
CREATE INDEX app_accounts_verdict_idx ON app_accounts (app_id, verdict, remote_id);

-- Where a grant came from: Roster carried it out ('roster'), or the app
-- reported it ('app'). Planning revokes only what Roster granted, unless
-- the person leaves.
ALTER TABLE grants ADD COLUMN origin TEXT NOT NULL DEFAULT 'roster' CHECK (origin IN ('roster', 'app'));

-- An accounts file uploaded for preview, until it is applied or
-- discarded: one per app (a new upload replaces the last), its accounts
-- one row each in file order.
CREATE TABLE account_uploads (
    id          BIGSERIAL PRIMARY KEY,
    app_id      BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    file_name   TEXT NOT NULL DEFAULT '',
    rows        INTEGER NOT NULL DEFAULT 0,
    uploaded_by TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX account_uploads_app_idx ON account_uploads (app_id);
CREATE TABLE account_upload_records (
    upload_id BIGINT NOT NULL REFERENCES account_uploads (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    record    TEXT NOT NULL,
    PRIMARY KEY (upload_id, position)
);

-- +goose Down
DROP TABLE account_upload_records;
DROP TABLE account_uploads;
ALTER TABLE grants DROP COLUMN origin;
DROP TABLE app_accounts;
