-- Promotion records and validated-feed overrides. Keep in step with migrations/postgres.

-- A validated feed accepts packages only by promotion unless this is set.
ALTER TABLE feeds ADD COLUMN allow_direct_uploads INTEGER NOT NULL DEFAULT 0;

-- One row per promotion, never updated. Feeds and package are copied by name
-- so that the record outlives them; ids only ever increase.
CREATE TABLE promotions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    package_type   TEXT    NOT NULL,
    group_name     TEXT    NOT NULL DEFAULT '',
    group_key      TEXT    NOT NULL DEFAULT '',
    name           TEXT    NOT NULL,
    name_key       TEXT    NOT NULL,
    version        TEXT    NOT NULL,
    version_key    TEXT    NOT NULL,
    from_feed      TEXT    NOT NULL,
    from_feed_key  TEXT    NOT NULL,
    to_feed        TEXT    NOT NULL,
    to_feed_key    TEXT    NOT NULL,
    user_name      TEXT    NOT NULL,
    at             INTEGER NOT NULL,
    comments       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX promotions_by_package ON promotions (name_key, id);
CREATE INDEX promotions_by_from_feed ON promotions (from_feed_key, id);
CREATE INDEX promotions_by_to_feed ON promotions (to_feed_key, id);
