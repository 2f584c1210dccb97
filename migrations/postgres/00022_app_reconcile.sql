-- +goose Up
-- Reconciling an app from the app itself (issue 11): how often (minutes;
-- 0 only when asked), when it last ran, and what it found or why it
-- failed.
ALTER TABLE apps ADD COLUMN reconcile_every_minutes INTEGER NOT NULL DEFAULT 60;
ALTER TABLE apps ADD COLUMN reconciled_at TIMESTAMPTZ;
ALTER TABLE apps ADD COLUMN reconcile_summary TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN reconcile_error TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE apps DROP COLUMN reconcile_error;
ALTER TABLE apps DROP COLUMN reconcile_summary;
ALTER TABLE apps DROP COLUMN reconciled_at;
ALTER TABLE apps DROP COLUMN reconcile_every_minutes;
