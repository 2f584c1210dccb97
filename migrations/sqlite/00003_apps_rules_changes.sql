-- +goose Up
CREATE TABLE apps (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL CHECK (kind IN ('webhook', 'manual', 'scim')),
    name             TEXT NOT NULL UNIQUE,
    description      TEXT NOT NULL DEFAULT '',
    config           TEXT NOT NULL DEFAULT '',
    deprovision_mode TEXT NOT NULL DEFAULT 'disable' CHECK (deprovision_mode IN ('disable', 'delete')),
    created_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE entitlements (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id     INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('role', 'group', 'license', 'attribute')),
    key        TEXT NOT NULL,
    name       TEXT NOT NULL,
    params     TEXT NOT NULL DEFAULT '[]',
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (app_id, key)
);

CREATE TABLE rules (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    name               TEXT NOT NULL UNIQUE,
    description        TEXT NOT NULL DEFAULT '',
    enabled            BOOLEAN NOT NULL DEFAULT 1,
    priority           INTEGER NOT NULL DEFAULT 0,
    match              TEXT NOT NULL DEFAULT 'all' CHECK (match IN ('all', 'any')),
    conditions         TEXT NOT NULL DEFAULT '[]',
    grants             TEXT NOT NULL DEFAULT '[]',
    joiner_offset_days INTEGER NOT NULL DEFAULT 0,
    joiner_time        TEXT NOT NULL DEFAULT '09:00',
    leaver_mode        TEXT NOT NULL DEFAULT 'at_date' CHECK (leaver_mode IN ('at_date', 'immediately', 'days_after')),
    leaver_days        INTEGER NOT NULL DEFAULT 0,
    leaver_time        TEXT NOT NULL DEFAULT '17:00',
    approval           TEXT NOT NULL DEFAULT 'review' CHECK (approval IN ('review', 'auto')),
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at         DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    app_id     INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    remote_id  TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'deleted')),
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (person_id, app_id)
);

CREATE TABLE grants (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    entitlement_id INTEGER NOT NULL REFERENCES entitlements (id) ON DELETE CASCADE,
    params         TEXT NOT NULL DEFAULT '{}',
    rule_id        INTEGER REFERENCES rules (id) ON DELETE SET NULL,
    created_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (account_id, entitlement_id)
);

CREATE TABLE changes (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id         INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL CHECK (kind IN ('join', 'move', 'leave', 'rehire')),
    status            TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'scheduled', 'running', 'done', 'failed', 'superseded')),
    plan              TEXT NOT NULL DEFAULT '[]',
    why               TEXT NOT NULL DEFAULT '{}',
    summary           TEXT NOT NULL DEFAULT '',
    rule_names        TEXT NOT NULL DEFAULT '',
    effective_at      DATETIME NOT NULL,
    auto_approved     BOOLEAN NOT NULL DEFAULT 0,
    decided_by        TEXT NOT NULL DEFAULT '',
    decided_at        DATETIME,
    comment           TEXT NOT NULL DEFAULT '',
    superseded_by_id  INTEGER REFERENCES changes (id) ON DELETE SET NULL,
    created_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
-- One open (undecided) change per person: newer data supersedes it.
CREATE UNIQUE INDEX changes_one_pending_idx ON changes (person_id) WHERE status = 'pending';
CREATE INDEX changes_status_kind_idx ON changes (status, kind, effective_at);

-- +goose Down
DROP TABLE changes;
DROP TABLE grants;
DROP TABLE accounts;
DROP TABLE rules;
DROP TABLE entitlements;
DROP TABLE apps;
