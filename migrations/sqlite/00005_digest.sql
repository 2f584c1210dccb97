-- +goose Up
ALTER TABLE admins ADD COLUMN digest_opt_out INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE admins DROP COLUMN digest_opt_out;
