-- +goose Up
-- Team Updates at 50,000 pending changes (issue 10). A queue tab reads one
-- page by keyset (status, kind, then effective_at and id from a cursor),
-- and its counts are one grouped query over the same index, so neither
-- sorts nor scans the table. changes_queue_idx replaces
-- changes_status_kind_idx, which it extends with id, and with person_id
-- so that a page or count under people filters tests each change's person
-- from the index alone.
DROP INDEX changes_status_kind_idx;
CREATE INDEX changes_queue_idx ON changes (status, kind, effective_at, id, person_id);
-- To Invite holds two kinds (join, rehire): in (status, kind, ...) they are
-- two ranges, which only a sort can merge; this index keeps them in one.
CREATE INDEX changes_invite_idx ON changes (effective_at, id, person_id)
    WHERE status = 'pending' AND kind IN ('join', 'rehire');
-- The decided tabs sort by date too: Scheduled soonest first, History most
-- recent first.
CREATE INDEX changes_scheduled_idx ON changes (effective_at, id)
    WHERE status IN ('approved', 'scheduled', 'running');
CREATE INDEX changes_history_idx ON changes (updated_at, id)
    WHERE status IN ('done', 'rejected', 'superseded');
-- The dashboard's starts and leaves of the week read a range of dates.
CREATE INDEX people_start_date_idx ON people (start_date);
CREATE INDEX people_termination_date_idx ON people (termination_date);

-- Searching names, emails and employee IDs for a substring (LIKE '%x%')
-- uses trigrams. pg_trgm ships with PostgreSQL but creating it needs a
-- privilege Roster's role may lack; without it search still works, by
-- scanning people, and this says so in the server log.
-- The extension goes into public where it may, so that it outlives any
-- one schema (tests use a schema each).
-- +goose StatementBegin
DO $$
DECLARE
    ext_schema text;
BEGIN
    SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NULL THEN
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') AND has_schema_privilege('public', 'CREATE') THEN
                CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
            ELSE
                CREATE EXTENSION IF NOT EXISTS pg_trgm;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            -- Not allowed, or another migration created it meanwhile.
            RAISE NOTICE 'pg_trgm not created (%): Team Updates search scans people', SQLERRM;
        END;
        SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
         WHERE e.extname = 'pg_trgm';
    END IF;
    IF ext_schema IS NULL THEN
        RETURN;
    END IF;
    EXECUTE format('CREATE INDEX people_search_idx ON people USING gin ('
        'lower(first_name || '' '' || last_name) %1$I.gin_trgm_ops, lower(preferred_name) %1$I.gin_trgm_ops, '
        'lower(work_email) %1$I.gin_trgm_ops, lower(external_id) %1$I.gin_trgm_ops)', ext_schema);
END
$$;
-- +goose StatementEnd

-- +goose Down
-- The extension stays: something else may use it.
DROP INDEX IF EXISTS people_search_idx;
DROP INDEX people_termination_date_idx;
DROP INDEX people_start_date_idx;
DROP INDEX changes_history_idx;
DROP INDEX changes_scheduled_idx;
DROP INDEX changes_invite_idx;
DROP INDEX changes_queue_idx;
CREATE INDEX changes_status_kind_idx ON changes (status, kind, effective_at);
