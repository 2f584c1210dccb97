-- +goose Up
-- The brake counts everyone who would lose access, and each threshold holds
-- a run on its own (issue 8). The old minimum of leavers only kept small
-- runs from tripping the percentage; as a threshold of its own it would hold
-- a large company's normal day. It becomes the people threshold: one more
-- than the old minimum (that held "more than", this holds "at least"), and
-- no less than the new default of 500, so an admin who raised the minimum
-- keeps a count at least that high. The percentage keeps its value.
-- SQLite cannot change a column's default in place; the store always
-- writes all three thresholds, so brake_people keeps its old default of 5.
ALTER TABLE sources RENAME COLUMN brake_min_leavers TO brake_people;
UPDATE sources SET brake_people = max(brake_people + 1, 500);
ALTER TABLE sources ADD COLUMN brake_revocations INTEGER NOT NULL DEFAULT 5000;

-- +goose Down
ALTER TABLE sources DROP COLUMN brake_revocations;
UPDATE sources SET brake_people = CASE WHEN brake_people = 500 THEN 5 ELSE brake_people - 1 END;
ALTER TABLE sources RENAME COLUMN brake_people TO brake_min_leavers;
