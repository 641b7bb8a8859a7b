-- The sweep's claim on a blob it is collecting (Unix milliseconds, NULL when
-- none). The sweep sets it before deleting the object and deletes the row
-- after; an upload that meets a fresh claim waits for the row to go, then
-- writes the object anew, so no package row ever points at bytes a sweep is
-- deleting. A claim older than 45 seconds is stale (its sweep died) and
-- may be taken over. Keep in step with migrations/sqlite.
ALTER TABLE blobs ADD COLUMN claimed_at BIGINT;
