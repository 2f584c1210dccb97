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
-- SQLite uses a partial index only for a query whose WHERE repeats these
-- terms as written (models.queueWhere writes them so).
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
-- SQLite has no trigram index: a search reads every person's names,
-- email and employee ID, from this narrower copy rather than the table
-- (models.ReadQueue reads them once per page).
CREATE INDEX people_search_idx ON people (first_name, last_name, work_email, external_id);

-- +goose Down
DROP INDEX people_search_idx;
DROP INDEX people_termination_date_idx;
DROP INDEX people_start_date_idx;
DROP INDEX changes_history_idx;
DROP INDEX changes_scheduled_idx;
DROP INDEX changes_invite_idx;
DROP INDEX changes_queue_idx;
CREATE INDEX changes_status_kind_idx ON changes (status, kind, effective_at);
