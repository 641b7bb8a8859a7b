-- Deprecation, beside the existing `listed` flag: a deprecated version still
-- installs, but clients warn about it. Keep in step with migrations/postgres.
ALTER TABLE packages ADD COLUMN deprecated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE packages ADD COLUMN deprecation_reason TEXT NOT NULL DEFAULT '';
