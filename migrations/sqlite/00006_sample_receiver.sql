-- +goose Up
-- Calls the built-in sample receiver got from the "Sample app" webhook
-- app, one row per idempotency key (sample data only).
CREATE TABLE sample_receiver_calls (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    op              TEXT NOT NULL DEFAULT '',
    person          TEXT NOT NULL DEFAULT '',
    entitlement     TEXT NOT NULL DEFAULT '',
    duplicates      INTEGER NOT NULL DEFAULT 0,
    received_at     DATETIME NOT NULL,
    last_at         DATETIME NOT NULL
);

-- +goose Down
DROP TABLE sample_receiver_calls;
