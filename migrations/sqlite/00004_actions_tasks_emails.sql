-- +goose Up
CREATE TABLE actions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id        INTEGER NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    app_id           INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    op               TEXT NOT NULL CHECK (op IN ('create_account', 'grant', 'revoke', 'update', 'disable', 'delete')),
    entitlement_id   INTEGER REFERENCES entitlements (id) ON DELETE SET NULL,
    params           TEXT NOT NULL DEFAULT '{}',
    previous         TEXT NOT NULL DEFAULT '{}',
    seq              INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL CHECK (status IN ('scheduled', 'running', 'done', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    response_status  INTEGER NOT NULL DEFAULT 0,
    response_excerpt TEXT NOT NULL DEFAULT '',
    idempotency_key  TEXT NOT NULL UNIQUE,
    run_at           DATETIME NOT NULL,
    done_at          DATETIME,
    created_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX actions_change_idx ON actions (change_id, seq);
CREATE INDEX actions_status_idx ON actions (status, run_at);

CREATE TABLE tasks (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id         INTEGER NOT NULL UNIQUE REFERENCES actions (id) ON DELETE CASCADE,
    title             TEXT NOT NULL,
    details           TEXT NOT NULL DEFAULT '',
    assignee_admin_id INTEGER REFERENCES admins (id) ON DELETE SET NULL,
    assignee_email    TEXT NOT NULL DEFAULT '',
    due_at            DATETIME NOT NULL,
    done_by           TEXT NOT NULL DEFAULT '',
    done_at           DATETIME,
    created_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX tasks_open_idx ON tasks (due_at) WHERE done_at IS NULL;

CREATE TABLE emails (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    to_addrs    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    text_body   TEXT NOT NULL DEFAULT '',
    html_body   TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    dedupe_key  TEXT UNIQUE,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    sent_at     DATETIME
);
CREATE INDEX emails_status_idx ON emails (status, id);

-- +goose Down
DROP TABLE emails;
DROP TABLE tasks;
DROP TABLE actions;
