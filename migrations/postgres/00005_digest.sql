-- +goose Up
ALTER TABLE admins ADD COLUMN digest_opt_out BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE admins DROP COLUMN digest_opt_out;
