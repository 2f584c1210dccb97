-- +goose Up
-- How many of an app's actions one Roster process carries out at once, so
-- a slow app cannot take every worker from the others.
ALTER TABLE apps ADD COLUMN max_concurrency INTEGER NOT NULL DEFAULT 4;

-- +goose Down
ALTER TABLE apps DROP COLUMN max_concurrency;
