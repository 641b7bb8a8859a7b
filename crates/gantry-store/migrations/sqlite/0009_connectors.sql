-- Connectors: upstream registries a feed proxies. A feed lists its
-- connectors in order (feed_connectors.position); the first one that knows a
-- version serves it. The password is kept as given because it is sent
-- upstream; the API never returns it. Health columns are written when a
-- node sees the connector's state change, so every node shows the same.
-- Keep in step with migrations/postgres.
CREATE TABLE connectors (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    name                    TEXT    NOT NULL,
    name_key                TEXT    NOT NULL UNIQUE,
    feed_type               TEXT    NOT NULL,
    url                     TEXT    NOT NULL,
    timeout_secs            INTEGER NOT NULL DEFAULT 30,
    metadata_cache_enabled  INTEGER NOT NULL DEFAULT 1,
    metadata_cache_minutes  INTEGER NOT NULL DEFAULT 30,
    metadata_cache_count    INTEGER NOT NULL DEFAULT 100,
    username                TEXT,
    password                TEXT,
    filters                 TEXT    NOT NULL DEFAULT '[]',
    created_at              INTEGER NOT NULL,
    health_status           TEXT    NOT NULL DEFAULT 'unknown',
    last_error              TEXT,
    last_error_at           INTEGER,
    last_success_at         INTEGER
);

CREATE TABLE feed_connectors (
    feed_id       INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    connector_id  INTEGER NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    PRIMARY KEY (feed_id, connector_id)
);
CREATE INDEX feed_connectors_by_connector ON feed_connectors (connector_id);

-- cache_connectors: store what a connector serves on first download.
-- offline: serve only what the feed stores; never contact a connector.
ALTER TABLE feeds ADD COLUMN cache_connectors INTEGER NOT NULL DEFAULT 1;
ALTER TABLE feeds ADD COLUMN offline INTEGER NOT NULL DEFAULT 0;
