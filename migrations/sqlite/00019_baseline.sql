-- +goose Up
-- Baseline for an existing company (issue 11): a source's first sync takes
-- the people already employed as current staff rather than joiners. The
-- person keeps when that happened; the run keeps whether it was a
-- baseline and how many it took so; a change says why it exists beyond
-- its kind ("missing access", "changed outside Roster"). Person history
-- gains the baseline event and the outside-change event: SQLite cannot
-- change a CHECK, so person_events is rebuilt (nothing references it).
ALTER TABLE people ADD COLUMN baseline_at DATETIME;
ALTER TABLE sync_runs ADD COLUMN baseline BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN existing INTEGER NOT NULL DEFAULT 0;
ALTER TABLE changes ADD COLUMN reason TEXT NOT NULL DEFAULT '';
CREATE TABLE person_events_v19 (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    sync_run_id INTEGER REFERENCES sync_runs (id) ON DELETE SET NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('joined', 'changed', 'left', 'rehired', 'leave', 'baseline', 'outside_change')),
    diff        TEXT NOT NULL DEFAULT '[]',
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO person_events_v19 (id, person_id, sync_run_id, kind, diff, created_at)
    SELECT id, person_id, sync_run_id, kind, diff, created_at FROM person_events;
DROP TABLE person_events;
ALTER TABLE person_events_v19 RENAME TO person_events;
CREATE INDEX person_events_person_idx ON person_events (person_id, id);

-- +goose Down
CREATE TABLE person_events_v18 (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    sync_run_id INTEGER REFERENCES sync_runs (id) ON DELETE SET NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('joined', 'changed', 'left', 'rehired', 'leave')),
    diff        TEXT NOT NULL DEFAULT '[]',
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO person_events_v18 (id, person_id, sync_run_id, kind, diff, created_at)
    SELECT id, person_id, sync_run_id, kind, diff, created_at FROM person_events
    WHERE kind NOT IN ('baseline', 'outside_change');
DROP TABLE person_events;
ALTER TABLE person_events_v18 RENAME TO person_events;
CREATE INDEX person_events_person_idx ON person_events (person_id, id);
ALTER TABLE changes DROP COLUMN reason;
ALTER TABLE sync_runs DROP COLUMN existing;
ALTER TABLE sync_runs DROP COLUMN baseline;
ALTER TABLE people DROP COLUMN baseline_at;
