-- A feed API key belongs to the feed itself, not to its name: deleting the
-- feed deletes its keys (so a new feed of the same name does not inherit
-- them), and renaming the feed keeps them. feed_name stays as the name at
-- creation, for the audit trail. Keys of feeds already deleted are removed.
-- Keep in step with migrations/sqlite.
ALTER TABLE api_keys ADD COLUMN feed_id BIGINT REFERENCES feeds (id) ON DELETE CASCADE;

UPDATE api_keys
   SET feed_id = (SELECT f.id FROM feeds f WHERE f.name_key = lower(api_keys.feed_name))
 WHERE feed_name IS NOT NULL;

DELETE FROM api_keys WHERE key_type = 'feed' AND feed_id IS NULL;

CREATE INDEX api_keys_feed ON api_keys (feed_id);
