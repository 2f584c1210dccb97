-- +goose Up
-- The records of a preview or held run, one row each in file order,
-- instead of one JSON array in sync_runs.payload: an upload of 100,000
-- people is written and read back in batches, never held as one string
-- (issue 10). The runs still waiting have their payload moved here
-- (json_each numbers an array's elements from 0 in key).
CREATE TABLE sync_run_records (
    sync_run_id INTEGER NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    record      TEXT NOT NULL,
    PRIMARY KEY (sync_run_id, position)
);

INSERT INTO sync_run_records (sync_run_id, position, record)
SELECT r.id, e.key, e.value
FROM sync_runs r, json_each(r.payload) AS e
WHERE r.status IN ('preview', 'held') AND r.payload <> '';

UPDATE sync_runs SET payload = '' WHERE payload <> '';

-- +goose Down
UPDATE sync_runs SET payload = COALESCE((SELECT '[' || group_concat(record, ',') || ']'
    FROM (SELECT record FROM sync_run_records WHERE sync_run_id = sync_runs.id ORDER BY position)), '[]')
WHERE status IN ('preview', 'held');
DROP TABLE sync_run_records;
