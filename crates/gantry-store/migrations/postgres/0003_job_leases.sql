-- Background work that must run on one node at a time across a cluster
-- (the blob sweep) takes a lease here. Keep in step with migrations/sqlite.
CREATE TABLE job_leases (
    name        TEXT    PRIMARY KEY,
    holder      TEXT    NOT NULL,
    expires_at  BIGINT  NOT NULL
);
