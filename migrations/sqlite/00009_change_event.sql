-- +goose Up
-- The HR event a change was planned from. A rejected change stays rejected
-- while a re-plan finds the same event and the same steps: only new HR
-- data or a new outcome of the rules brings it back to review.
ALTER TABLE changes ADD COLUMN person_event_id INTEGER;

-- +goose Down
ALTER TABLE changes DROP COLUMN person_event_id;
