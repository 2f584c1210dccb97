-- +goose Up
CREATE TABLE actions (
    id               BIGSERIAL PRIMARY KEY,
    change_id        BIGINT NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    app_id           BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    op               TEXT NOT NULL CHECK (op IN ('create_account', 'grant', 'revoke', 'update', 'disable', 'delete')),
    entitlement_id   BIGINT REFERENCES entitlements (id) ON DELETE SET NULL,
    params           TEXT NOT NULL DEFAULT '{}',
    previous         TEXT NOT NULL DEFAULT '{}',
    seq              INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL CHECK (status IN ('scheduled', 'running', 'done', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    response_status  INTEGER NOT NULL DEFAULT 0,
    response_excerpt TEXT NOT NULL DEFAULT '',
    idempotency_key  TEXT NOT NULL UNIQUE,
    run_at           TIMESTAMPTZ NOT NULL,
    done_at          TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX actions_change_idx ON actions (change_id, seq);
CREATE INDEX actions_status_idx ON actions (status, run_at);

CREATE TABLE tasks (
    id                BIGSERIAL PRIMARY KEY,
    action_id         BIGINT NOT NULL UNIQUE REFERENCES actions (id) ON DELETE CASCADE,
    title             TEXT NOT NULL,
    details           TEXT NOT NULL DEFAULT '',
    assignee_admin_id BIGINT REFERENCES admins (id) ON DELETE SET NULL,
    assignee_email    TEXT NOT NULL DEFAULT '',
    due_at            TIMESTAMPTZ NOT NULL,
    done_by           TEXT NOT NULL DEFAULT '',
    done_at           TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX tasks_open_idx ON tasks (due_at) WHERE done_at IS NULL;

CREATE TABLE emails (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL,
    to_addrs    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    text_body   TEXT NOT NULL DEFAULT '',
    html_body   TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    dedupe_key  TEXT UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at     TIMESTAMPTZ
);
CREATE INDEX emails_status_idx ON emails (status, id);

-- +goose Down
DROP TABLE emails;
DROP TABLE tasks;
DROP TABLE actions;
