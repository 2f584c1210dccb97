-- +goose Up
-- When an action being retried is tried next, for "Retrying (attempt N,
-- next at T)"; NULL unless it is waiting to be tried again.
ALTER TABLE actions ADD COLUMN next_attempt_at TIMESTAMPTZ;

-- One row per outbound call to an app (actions' webhook calls and
-- "Test connection"), for the app's last call and recent error rate.
-- Pruned after 30 days.
CREATE TABLE app_calls (
    id         BIGSERIAL PRIMARY KEY,
    app_id     BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    action_id  BIGINT REFERENCES actions (id) ON DELETE SET NULL,
    test       BOOLEAN NOT NULL DEFAULT FALSE,
    ok         BOOLEAN NOT NULL,
    status     INTEGER NOT NULL DEFAULT 0,
    excerpt    TEXT NOT NULL DEFAULT '',
    error      TEXT NOT NULL DEFAULT '',
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX app_calls_app_at_idx ON app_calls (app_id, at);

-- An app's current failing streak and whether IT/security were told of
-- it: one alert per streak, none again until a call succeeds.
ALTER TABLE apps ADD COLUMN failed_calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE apps ADD COLUMN failing_since TIMESTAMPTZ;
ALTER TABLE apps ADD COLUMN alerted_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE apps DROP COLUMN alerted_at;
ALTER TABLE apps DROP COLUMN failing_since;
ALTER TABLE apps DROP COLUMN failed_calls;
DROP TABLE app_calls;
ALTER TABLE actions DROP COLUMN next_attempt_at;
