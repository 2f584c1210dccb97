-- +goose Up
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE sources (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    kind                  TEXT NOT NULL CHECK (kind IN ('csv', 'merge', 'bamboohr', 'scim')),
    name                  TEXT NOT NULL UNIQUE,
    config                TEXT NOT NULL DEFAULT '',
    sync_interval_minutes INTEGER NOT NULL DEFAULT 0,
    brake_min_leavers     INTEGER NOT NULL DEFAULT 5,
    brake_percent         INTEGER NOT NULL DEFAULT 10,
    created_at            DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at            DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE sync_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id    INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    status       TEXT NOT NULL CHECK (status IN ('preview', 'running', 'succeeded', 'failed', 'held', 'discarded')),
    trigger      TEXT NOT NULL DEFAULT '',
    file_name    TEXT NOT NULL DEFAULT '',
    joiners      INTEGER NOT NULL DEFAULT 0,
    movers       INTEGER NOT NULL DEFAULT 0,
    leavers      INTEGER NOT NULL DEFAULT 0,
    rehires      INTEGER NOT NULL DEFAULT 0,
    unchanged    INTEGER NOT NULL DEFAULT 0,
    row_errors   TEXT NOT NULL DEFAULT '[]',
    error        TEXT NOT NULL DEFAULT '',
    held_reason  TEXT NOT NULL DEFAULT '',
    payload      TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL DEFAULT '',
    decided_by   TEXT NOT NULL DEFAULT '',
    decided_at   DATETIME,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    finished_at  DATETIME
);
CREATE INDEX sync_runs_source_idx ON sync_runs (source_id, id);
CREATE INDEX sync_runs_held_idx ON sync_runs (status) WHERE status = 'held';

CREATE TABLE people (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id           INTEGER NOT NULL REFERENCES sources (id) ON DELETE RESTRICT,
    external_id         TEXT NOT NULL,
    first_name          TEXT NOT NULL DEFAULT '',
    last_name           TEXT NOT NULL DEFAULT '',
    preferred_name      TEXT NOT NULL DEFAULT '',
    work_email          TEXT NOT NULL DEFAULT '',
    personal_email      TEXT NOT NULL DEFAULT '',
    phone               TEXT NOT NULL DEFAULT '',
    title               TEXT NOT NULL DEFAULT '',
    department          TEXT NOT NULL DEFAULT '',
    team                TEXT NOT NULL DEFAULT '',
    division            TEXT NOT NULL DEFAULT '',
    cost_center         TEXT NOT NULL DEFAULT '',
    manager_external_id TEXT NOT NULL DEFAULT '',
    location            TEXT NOT NULL DEFAULT '',
    country             TEXT NOT NULL DEFAULT '',
    timezone            TEXT NOT NULL DEFAULT '',
    employment_type     TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL CHECK (status IN ('pending', 'active', 'leave', 'terminated')),
    start_date          TEXT NOT NULL DEFAULT '',
    termination_date    TEXT NOT NULL DEFAULT '',
    groups              TEXT NOT NULL DEFAULT '[]',
    custom              TEXT NOT NULL DEFAULT '{}',
    hash                TEXT NOT NULL DEFAULT '',
    duplicate_of_id     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at          DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at          DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (source_id, external_id)
);
CREATE INDEX people_work_email_idx ON people (lower(work_email));
CREATE INDEX people_phone_idx ON people (phone) WHERE phone <> '';
CREATE INDEX people_status_idx ON people (status);
CREATE INDEX people_department_idx ON people (department);

CREATE TABLE person_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    sync_run_id INTEGER REFERENCES sync_runs (id) ON DELETE SET NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('joined', 'changed', 'left', 'rehired', 'leave')),
    diff        TEXT NOT NULL DEFAULT '[]',
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX person_events_person_idx ON person_events (person_id, id);

-- +goose Down
DROP TABLE person_events;
DROP TABLE people;
DROP TABLE sync_runs;
DROP TABLE sources;
DROP TABLE settings;
