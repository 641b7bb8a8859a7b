-- Named pointers to a version of a package in a feed: npm's dist-tags
-- (`latest`, `beta`, ...). A tag always names a version the feed holds:
-- deleting the version deletes its tags in the same transaction.
-- Keep in step with migrations/postgres.
CREATE TABLE dist_tags (
    feed_id      INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    group_key    TEXT    NOT NULL DEFAULT '',
    name_key     TEXT    NOT NULL,
    tag          TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    version_key  TEXT    NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (feed_id, group_key, name_key, tag)
);
