-- +goose Up
-- The records of a preview or held run, one row each in file order,
-- instead of one JSON array in sync_runs.payload: an upload of 100,000
-- people is written and read back in batches, never held as one string
-- (issue 10). The runs still waiting have their payload moved here.
CREATE TABLE sync_run_records (
    sync_run_id BIGINT NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    record      TEXT NOT NULL,
    PRIMARY KEY (sync_run_id, position)
);

INSERT INTO sync_run_records (sync_run_id, position, record)
SELECT r.id, e.ord - 1, e.value::text
FROM sync_runs r, jsonb_array_elements(r.payload::jsonb) WITH ORDINALITY AS e(value, ord)
WHERE r.status IN ('preview', 'held') AND r.payload <> '';

UPDATE sync_runs SET payload = '' WHERE payload <> '';

-- +goose Down
UPDATE sync_runs SET payload = COALESCE((SELECT '[' || string_agg(record, ',' ORDER BY position) || ']'
    FROM sync_run_records WHERE sync_run_id = sync_runs.id), '[]')
WHERE status IN ('preview', 'held');
DROP TABLE sync_run_records;
