-- +goose Up
-- Baseline for an existing company (issue 11): a source's first sync takes
-- the people already employed as current staff rather than joiners. The
-- person keeps when that happened; the run keeps whether it was a
-- baseline and how many it took so; a change says why it exists beyond
-- its kind ("missing access", "changed outside Roster"). Person history
-- gains the baseline event and the outside-change event.
ALTER TABLE people ADD COLUMN baseline_at TIMESTAMPTZ;
ALTER TABLE sync_runs ADD COLUMN baseline BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sync_runs ADD COLUMN existing INTEGER NOT NULL DEFAULT 0;
ALTER TABLE changes ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE person_events DROP CONSTRAINT person_events_kind_check;
ALTER TABLE person_events ADD CONSTRAINT person_events_kind_check
    CHECK (kind IN ('joined', 'changed', 'left', 'rehired', 'leave', 'baseline', 'outside_change'));

-- +goose Down
DELETE FROM person_events WHERE kind IN ('baseline', 'outside_change');
ALTER TABLE person_events DROP CONSTRAINT person_events_kind_check;
ALTER TABLE person_events ADD CONSTRAINT person_events_kind_check
    CHECK (kind IN ('joined', 'changed', 'left', 'rehired', 'leave'));
ALTER TABLE changes DROP COLUMN reason;
ALTER TABLE sync_runs DROP COLUMN existing;
ALTER TABLE sync_runs DROP COLUMN baseline;
ALTER TABLE people DROP COLUMN baseline_at;
