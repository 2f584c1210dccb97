-- +goose Up
-- A plan run is one request to re-plan people: after a sync run is
-- applied (inserted in the same transaction, with its jobs), after a rule
-- edit or a new organisation time zone, or by the periodic sweep. Its
-- jobs plan the people in batches and count them here, so the rules page
-- can show progress and nothing is lost when a process dies meanwhile.
CREATE TABLE plan_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    reason       TEXT NOT NULL,
    everyone     BOOLEAN NOT NULL DEFAULT 0,
    sync_run_id  INTEGER REFERENCES sync_runs (id) ON DELETE SET NULL,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'superseded', 'failed')),
    total        INTEGER NOT NULL DEFAULT 0,
    done         INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT '',
    requested_by TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    finished_at  DATETIME
);
CREATE INDEX plan_runs_open_idx ON plan_runs (status) WHERE status IN ('queued', 'running');

-- +goose Down
DROP TABLE plan_runs;
