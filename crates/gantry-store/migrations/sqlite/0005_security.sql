-- Security: users, groups, tasks, permissions, the audit trail of security
-- changes, and a version number every node watches to rebuild its cached
-- permission model. Keep in step with migrations/postgres.

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    name                 TEXT    NOT NULL,
    name_key             TEXT    NOT NULL UNIQUE,
    display_name         TEXT    NOT NULL DEFAULT '',
    email                TEXT    NOT NULL DEFAULT '',
    -- An argon2id PHC string; never the password.
    password_hash        TEXT    NOT NULL,
    disabled             INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER  NOT NULL,
    password_changed_at  INTEGER  NOT NULL
);

CREATE TABLE user_groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL UNIQUE,
    created_at  INTEGER  NOT NULL
);

CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (user_id);

-- Named sets of attributes (a JSON list of attribute ids). The built-in
-- tasks are rows too, so that permissions refer to every task alike.
CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    name_key     TEXT    NOT NULL UNIQUE,
    description  TEXT    NOT NULL DEFAULT '',
    attributes   TEXT    NOT NULL,
    built_in     INTEGER NOT NULL DEFAULT 0
);

-- A task granted or denied (deny) to exactly one of a user, a group or a
-- virtual principal (Anonymous, Authenticated, Everyone), on one feed or,
-- with feed_id NULL, on all feeds. Deleting the user, group or feed deletes
-- its permissions; a task in use cannot be deleted.
CREATE TABLE permissions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER REFERENCES users (id) ON DELETE CASCADE,
    group_id      INTEGER REFERENCES user_groups (id) ON DELETE CASCADE,
    virtual_name  TEXT,
    task_id       INTEGER NOT NULL REFERENCES tasks (id),
    feed_id       INTEGER REFERENCES feeds (id) ON DELETE CASCADE,
    deny          INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER  NOT NULL,
    CHECK ((user_id IS NOT NULL)  + (group_id IS NOT NULL)  + (virtual_name IS NOT NULL)  = 1)
);

-- Who changed what in security, and when; readable by administrators.
CREATE TABLE security_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER  NOT NULL,
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    subject  TEXT    NOT NULL,
    detail   TEXT    NOT NULL DEFAULT ''
);

-- One row. version goes up in the same transaction as every change to
-- users, groups, tasks or permissions; seeded records that the defaults
-- (the first start's permissions) were written once.
CREATE TABLE security_state (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  INTEGER NOT NULL,
    seeded   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO security_state (id, version) VALUES (1, 0);

INSERT INTO tasks (id, name, name_key, description, attributes, built_in) VALUES (1, 'View & Download Packages', 'view & download packages', 'See feeds and their packages, and download them.', '["Feeds_ViewFeed","Feeds_DownloadPackage"]', 1);
INSERT INTO tasks (id, name, name_key, description, attributes, built_in) VALUES (2, 'Publish Packages', 'publish packages', 'View, download and publish new package versions.', '["Feeds_ViewFeed","Feeds_DownloadPackage","Feeds_AddPackage"]', 1);
INSERT INTO tasks (id, name, name_key, description, attributes, built_in) VALUES (3, 'Promote Packages', 'promote packages', 'View, download, publish, and accept promotions into a feed.', '["Feeds_ViewFeed","Feeds_DownloadPackage","Feeds_AddPackage","Feeds_AcceptPackagePromotions"]', 1);
INSERT INTO tasks (id, name, name_key, description, attributes, built_in) VALUES (4, 'Manage Feed', 'manage feed', 'Everything on a feed''s packages (delete, overwrite, unlist), its connectors and its settings.', '["Feeds_ViewFeed","Feeds_DownloadPackage","Feeds_AddPackage","Feeds_AcceptPackagePromotions","Feeds_DeletePackage","Feeds_OverwritePackage","Feeds_UnlistPackage","Feeds_ManageConnector","Feeds_ManageFeed"]', 1);
INSERT INTO tasks (id, name, name_key, description, attributes, built_in) VALUES (5, 'Administer', 'administer', 'Everything, including users, groups, permissions and API keys.', '["Feeds_ViewFeed","Feeds_DownloadPackage","Feeds_AddPackage","Feeds_AcceptPackagePromotions","Feeds_DeletePackage","Feeds_OverwritePackage","Feeds_UnlistPackage","Feeds_ManageConnector","Feeds_ManageFeed","Admin_Administer"]', 1);
UPDATE sqlite_sequence SET seq = 100 WHERE name = 'tasks';
