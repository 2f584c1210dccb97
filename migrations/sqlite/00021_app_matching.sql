-- +goose Up
-- How an app's accounts are matched to people (issue 11): the keys tried,
-- first first, comma-separated ('' for the default order: work email,
-- personal email, phone, employee number), and whether plus addressing
-- is folded (ada+github@ as ada@).
ALTER TABLE apps ADD COLUMN match_order TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN match_plus_addressing BOOLEAN NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE apps DROP COLUMN match_plus_addressing;
ALTER TABLE apps DROP COLUMN match_order;
