-- Container registry content (Docker/OCI feeds). A repository of a feed
-- holds manifests by digest and blobs (layers, configs) by digest; tags are
-- package versions (name = repository, version = tag) whose files are the
-- whole image: the tagged manifest (qualifier '') and every manifest and
-- blob it reaches, referrers included. Promotion copies those file rows and
-- the rows below for the same digests: no byte is copied. Every digest maps
-- to the content-addressed blob (sha256) that holds its bytes.
-- Keep in step with migrations/sqlite.

-- A feed option: a tag, once pushed, cannot be moved to another manifest.
ALTER TABLE feeds ADD COLUMN immutable_tags BOOLEAN NOT NULL DEFAULT FALSE;

-- Manifests and indexes in a repository, by digest.
CREATE TABLE registry_manifests (
    feed_id        BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    repository     TEXT    NOT NULL,
    digest         TEXT    NOT NULL,
    media_type     TEXT    NOT NULL,
    artifact_type  TEXT    NOT NULL DEFAULT '',
    subject        TEXT    NOT NULL DEFAULT '',
    annotations    TEXT    NOT NULL DEFAULT '{}',
    sha256         TEXT    NOT NULL REFERENCES blobs (sha256),
    size           BIGINT NOT NULL,
    pushed_at      BIGINT NOT NULL,
    pushed_by      TEXT    NOT NULL,
    PRIMARY KEY (feed_id, repository, digest)
);
CREATE INDEX registry_manifests_by_blob ON registry_manifests (sha256);
CREATE INDEX registry_manifests_by_subject ON registry_manifests (feed_id, repository, subject);

-- Blobs in a repository: uploaded, mounted, or brought by a promotion.
CREATE TABLE registry_blobs (
    feed_id     BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    repository  TEXT    NOT NULL,
    digest      TEXT    NOT NULL,
    sha256      TEXT    NOT NULL REFERENCES blobs (sha256),
    size        BIGINT NOT NULL,
    linked_at   BIGINT NOT NULL,
    PRIMARY KEY (feed_id, repository, digest)
);
CREATE INDEX registry_blobs_by_blob ON registry_blobs (sha256);

-- What reaches what within a repository: a manifest its config, layers and
-- child manifests; a subject its referrers. A tag's image is what its
-- manifest reaches.
CREATE TABLE registry_edges (
    feed_id     BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    repository  TEXT    NOT NULL,
    parent      TEXT    NOT NULL,
    child       TEXT    NOT NULL,
    PRIMARY KEY (feed_id, repository, parent, child)
);
CREATE INDEX registry_edges_by_child ON registry_edges (feed_id, repository, child);

-- Blob upload sessions. Each PATCH (or the body of the closing PUT) is
-- stored as a content-addressed part, so a session survives a change of
-- node and a one-part upload becomes its blob without a copy.
CREATE TABLE registry_uploads (
    id          TEXT    PRIMARY KEY,
    feed_id     BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    repository  TEXT    NOT NULL,
    started_by  TEXT    NOT NULL,
    started_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    size        BIGINT NOT NULL DEFAULT 0,
    parts       BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE registry_upload_parts (
    upload_id  TEXT    NOT NULL REFERENCES registry_uploads (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    sha256     TEXT    NOT NULL REFERENCES blobs (sha256),
    size       BIGINT NOT NULL,
    PRIMARY KEY (upload_id, seq)
);
CREATE INDEX registry_upload_parts_by_blob ON registry_upload_parts (sha256);

-- Bearer tokens the registry's token endpoint hands out (the flow docker,
-- skopeo and oras clients follow). Only the SHA-256 of a token is kept. A
-- token stands for the credentials it was asked with: an API key (by its
-- hash, so deleting the key ends its tokens), a user (ended by a disabled
-- account or a password change, as web sessions are), or Anonymous.
CREATE TABLE registry_tokens (
    token_hash           TEXT    PRIMARY KEY,
    api_key_hash         TEXT,
    user_id              BIGINT REFERENCES users (id) ON DELETE CASCADE,
    password_changed_at  BIGINT NOT NULL DEFAULT 0,
    created_at           BIGINT NOT NULL,
    expires_at           BIGINT NOT NULL
);
CREATE INDEX registry_tokens_expiry ON registry_tokens (expires_at);
