-- +goose Up
-- Store.PeopleVersion reads the newest change to people and accounts on
-- every rules preview; these make it an index lookup instead of a scan.
CREATE INDEX people_updated_at_idx ON people (updated_at);
CREATE INDEX accounts_updated_at_idx ON accounts (updated_at);

-- +goose Down
DROP INDEX accounts_updated_at_idx;
DROP INDEX people_updated_at_idx;
