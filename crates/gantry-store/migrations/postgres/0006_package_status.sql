-- Deprecation, beside the existing `listed` flag: a deprecated version still
-- installs, but clients warn about it. Keep in step with migrations/sqlite.
ALTER TABLE packages ADD COLUMN deprecated BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE packages ADD COLUMN deprecation_reason TEXT NOT NULL DEFAULT '';
