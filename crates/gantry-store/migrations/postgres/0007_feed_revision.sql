-- A counter raised in the same transaction as every change to a feed's
-- packages (publish, delete, status, promotion into it). Servers keep
-- rendered protocol documents (NuGet registrations, version lists) keyed by
-- it: the feed row they read on each request tells them whether a kept
-- document is still current, on every node. Keep in step with migrations/sqlite.
ALTER TABLE feeds ADD COLUMN package_revision BIGINT NOT NULL DEFAULT 0;
