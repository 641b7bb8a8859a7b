-- Deployment records: which package version went to which target, by which
-- tool and person. Keep in step with migrations/postgres. Feed and package are
-- copied by name so that the record outlives them.
CREATE TABLE deployments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_name     TEXT    NOT NULL,
    feed_key      TEXT    NOT NULL,
    package_type  TEXT    NOT NULL,
    group_name    TEXT    NOT NULL DEFAULT '',
    group_key     TEXT    NOT NULL DEFAULT '',
    name          TEXT    NOT NULL,
    name_key      TEXT    NOT NULL,
    version       TEXT    NOT NULL,
    version_key   TEXT    NOT NULL,
    application   TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    target        TEXT    NOT NULL,
    target_key    TEXT    NOT NULL,
    user_name     TEXT    NOT NULL,
    url           TEXT,
    at            INTEGER NOT NULL
);
CREATE INDEX deployments_by_package ON deployments (feed_key, name_key, group_key, id);
CREATE INDEX deployments_by_target ON deployments (target_key, id);

-- The latest deployment (by date, then id) of each package to each target,
-- kept up to date in the same transaction as every record, so that "where
-- does each version run?" reads one row per target however long the history.
CREATE TABLE deployment_targets (
    feed_key       TEXT    NOT NULL,
    group_key      TEXT    NOT NULL,
    name_key       TEXT    NOT NULL,
    target_key     TEXT    NOT NULL,
    deployment_id  INTEGER NOT NULL REFERENCES deployments (id),
    at             INTEGER NOT NULL,
    PRIMARY KEY (feed_key, group_key, name_key, target_key)
);
