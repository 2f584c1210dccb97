-- +goose Up
-- The phone number as the HR source wrote it, beside its E.164 form in
-- phone: normalising a number is a third of checking a CSV row, and the
-- same input in the same country always gives the same number, so an
-- import looks up the inputs it has seen before instead (issue 10).
ALTER TABLE people ADD COLUMN phone_input TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE people DROP COLUMN phone_input;
