-- Gantry's metadata schema, SQLite flavour. Keep in step with migrations/postgres.
-- Times are Unix milliseconds (UTC) so that both backends store and compare them alike.
-- Flags are INTEGER 0/1 here (BOOLEAN in PostgreSQL): sqlx's Any driver cannot decode
-- SQLite's BOOLEAN declared type.

CREATE TABLE feeds (
    id                          INTEGER PRIMARY KEY AUTOINCREMENT,
    name                        TEXT    NOT NULL,
    name_key                    TEXT    NOT NULL UNIQUE,
    feed_type                   TEXT    NOT NULL,
    description                 TEXT    NOT NULL DEFAULT '',
    active                      INTEGER NOT NULL DEFAULT 1,
    usage                       TEXT    NOT NULL DEFAULT 'mixed',
    promote_to_feed_id          INTEGER REFERENCES feeds (id),
    deployment_records_enabled  INTEGER NOT NULL DEFAULT 1,
    alternate_names             TEXT    NOT NULL DEFAULT '[]',
    created_at                  INTEGER NOT NULL
);

-- One row per stored blob. last_used_at is a lease: the sweep leaves a blob
-- alone for a grace period after an upload or promotion last touched it.
CREATE TABLE blobs (
    sha256        TEXT    PRIMARY KEY,
    size          INTEGER NOT NULL,
    md5           TEXT    NOT NULL,
    sha1          TEXT    NOT NULL,
    sha512        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL
);

-- One row per package version in a feed. The *_key columns hold the
-- format's normalised form, which identity and look-ups compare.
CREATE TABLE packages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_id       INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    group_name    TEXT    NOT NULL DEFAULT '',
    group_key     TEXT    NOT NULL DEFAULT '',
    name          TEXT    NOT NULL,
    name_key      TEXT    NOT NULL,
    version       TEXT    NOT NULL,
    version_key   TEXT    NOT NULL,
    published_at  INTEGER NOT NULL,
    published_by  TEXT    NOT NULL,
    listed        INTEGER NOT NULL DEFAULT 1,
    downloads     INTEGER NOT NULL DEFAULT 0,
    metadata      TEXT    NOT NULL DEFAULT '{}',
    UNIQUE (feed_id, group_key, name_key, version_key)
);
CREATE INDEX packages_by_name ON packages (feed_id, name_key, group_key);

-- The files of a package version (one for most formats); promotion copies
-- these rows, never the bytes.
CREATE TABLE package_files (
    package_id  INTEGER NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    qualifier   TEXT    NOT NULL DEFAULT '',
    sha256      TEXT    NOT NULL REFERENCES blobs (sha256),
    PRIMARY KEY (package_id, qualifier)
);
CREATE INDEX package_files_by_blob ON package_files (sha256);

-- The history of every package version, written in the same transaction as
-- the change it records. Feed and package are copied by name so that the
-- history outlives them.
CREATE TABLE package_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_name     TEXT    NOT NULL,
    package_type  TEXT    NOT NULL,
    group_key     TEXT    NOT NULL DEFAULT '',
    name_key      TEXT    NOT NULL,
    version_key   TEXT    NOT NULL,
    group_name    TEXT    NOT NULL DEFAULT '',
    name          TEXT    NOT NULL,
    version       TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    at            INTEGER NOT NULL,
    user_name     TEXT    NOT NULL,
    details       TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX package_events_by_package ON package_events (name_key, group_key, version_key);

-- API keys are stored as SHA-256 of the secret: keys are random and long,
-- so a slow password hash would only slow every request down.
CREATE TABLE api_keys (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    key_hash             TEXT    NOT NULL UNIQUE,
    key_type             TEXT    NOT NULL,
    display_name         TEXT    NOT NULL DEFAULT '',
    description          TEXT    NOT NULL DEFAULT '',
    system_apis          TEXT    NOT NULL DEFAULT '[]',
    package_permissions  TEXT    NOT NULL DEFAULT '[]',
    feed_name            TEXT,
    user_name            TEXT,
    expires_at           INTEGER,
    created_at           INTEGER NOT NULL
);
