-- Versions with many files, added by separate requests over time (Maven's
-- jar, pom and sources; PyPI's sdist and wheels; OCI's manifests and blobs).
-- Each file row now keeps the name a client downloads it under, and when
-- and by whom it was added. Rows stored before this keep file_name '' (the
-- format derives the name then) and take their version's publication.
-- Keep in step with migrations/sqlite.
ALTER TABLE package_files ADD COLUMN file_name TEXT NOT NULL DEFAULT '';
ALTER TABLE package_files ADD COLUMN added_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE package_files ADD COLUMN added_by TEXT NOT NULL DEFAULT '';
UPDATE package_files f SET added_at = p.published_at, added_by = p.published_by
    FROM packages p WHERE p.id = f.package_id;
