-- Versions with many files, added by separate requests over time (Maven's
-- jar, pom and sources; PyPI's sdist and wheels; OCI's manifests and blobs).
-- Each file row now keeps the name a client downloads it under, and when
-- and by whom it was added. Rows stored before this keep file_name '' (the
-- format derives the name then) and take their version's publication.
-- Keep in step with migrations/postgres.
ALTER TABLE package_files ADD COLUMN file_name TEXT NOT NULL DEFAULT '';
ALTER TABLE package_files ADD COLUMN added_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE package_files ADD COLUMN added_by TEXT NOT NULL DEFAULT '';
UPDATE package_files SET
    added_at = (SELECT p.published_at FROM packages p WHERE p.id = package_files.package_id),
    added_by = (SELECT p.published_by FROM packages p WHERE p.id = package_files.package_id);
