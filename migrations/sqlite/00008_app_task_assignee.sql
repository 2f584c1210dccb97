-- +goose Up
-- Who a manual app's tasks go to: an admin (cleared when the admin is
-- deleted) or any email address; neither leaves its tasks unassigned. The
-- store keeps at most one of the two set.
ALTER TABLE apps ADD COLUMN task_assignee_admin_id INTEGER REFERENCES admins (id) ON DELETE SET NULL;
ALTER TABLE apps ADD COLUMN task_assignee_email TEXT NOT NULL DEFAULT '';

-- The Tasks page's "Mine" view looks tasks up by assignee.
CREATE INDEX tasks_assignee_admin_idx ON tasks (assignee_admin_id) WHERE done_at IS NULL;

-- +goose Down
DROP INDEX tasks_assignee_admin_idx;
ALTER TABLE apps DROP COLUMN task_assignee_email;
ALTER TABLE apps DROP COLUMN task_assignee_admin_id;
