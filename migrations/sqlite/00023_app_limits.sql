-- +goose Up
-- An app's calls per second hold for the whole installation, not per
-- process (issue 11): a one-second window counting the calls every
-- replica makes (0: no limit).
ALTER TABLE apps ADD COLUMN max_calls_per_second INTEGER NOT NULL DEFAULT 0;
CREATE TABLE app_call_windows (
    app_id    INTEGER PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
    window_ms INTEGER NOT NULL,
    calls     INTEGER NOT NULL
);

-- +goose Down
DROP TABLE app_call_windows;
ALTER TABLE apps DROP COLUMN max_calls_per_second;
