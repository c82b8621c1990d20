-- forgedb schema 0002: Gerrit and Phabricator mirrors, keyed by instance (the name given with
-- --gerrit NAME=URL / --phabricator NAME=URL), crawl watermarks, and the instance of a logged
-- webhook delivery. Forge times are stored at second precision, like GitHub's.

CREATE TABLE gerrit_account (
    instance TEXT NOT NULL,
    account_id INTEGER NOT NULL,
    username TEXT,
    name TEXT,
    display_name TEXT,
    email TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT,
    PRIMARY KEY (instance, account_id)
);
CREATE INDEX gerrit_account_username ON gerrit_account (instance, username);

CREATE TABLE gerrit_change (
    instance TEXT NOT NULL,
    number INTEGER NOT NULL,
    change_id TEXT,
    triplet_id TEXT,
    project TEXT,
    branch TEXT,
    topic TEXT,
    subject TEXT,
    status TEXT,
    owner_account_id INTEGER,
    owner_username TEXT,
    owner_name TEXT,
    created_at TEXT,
    updated_at TEXT,
    submitted_at TEXT,
    insertions INTEGER,
    deletions INTEGER,
    current_revision TEXT,
    current_patch_set INTEGER,
    work_in_progress INTEGER,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT,
    PRIMARY KEY (instance, number)
);
CREATE INDEX gerrit_change_owner ON gerrit_change (instance, owner_account_id, created_at);
CREATE INDEX gerrit_change_owner_username ON gerrit_change (instance, owner_username, created_at);
CREATE INDEX gerrit_change_change_id ON gerrit_change (change_id);
CREATE INDEX gerrit_change_project ON gerrit_change (instance, project, updated_at);
CREATE INDEX gerrit_change_updated ON gerrit_change (instance, updated_at);

CREATE TABLE gerrit_revision (
    instance TEXT NOT NULL,
    change_number INTEGER NOT NULL,
    revision TEXT NOT NULL,
    patch_set INTEGER,
    ref TEXT,
    kind TEXT,
    uploader_account_id INTEGER,
    created_at TEXT,
    commit_subject TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT,
    PRIMARY KEY (instance, change_number, revision)
);
CREATE INDEX gerrit_revision_uploader ON gerrit_revision (instance, uploader_account_id, created_at);

CREATE TABLE phabricator_user (
    instance TEXT NOT NULL,
    phid TEXT NOT NULL,
    id INTEGER,
    username TEXT,
    real_name TEXT,
    roles TEXT,
    created_at TEXT,
    modified_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT,
    PRIMARY KEY (instance, phid)
);
CREATE INDEX phabricator_user_username ON phabricator_user (instance, username);

CREATE TABLE phabricator_task (
    instance TEXT NOT NULL,
    id INTEGER NOT NULL,
    phid TEXT,
    title TEXT,
    status TEXT,
    status_name TEXT,
    priority TEXT,
    priority_value INTEGER,
    subtype TEXT,
    author_phid TEXT,
    owner_phid TEXT,
    closer_phid TEXT,
    created_at TEXT,
    modified_at TEXT,
    closed_at TEXT,
    projects TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT,
    PRIMARY KEY (instance, id)
);
CREATE UNIQUE INDEX phabricator_task_phid ON phabricator_task (instance, phid);
CREATE INDEX phabricator_task_author ON phabricator_task (instance, author_phid, created_at);
CREATE INDEX phabricator_task_owner ON phabricator_task (instance, owner_phid, created_at);
CREATE INDEX phabricator_task_modified ON phabricator_task (instance, modified_at);

CREATE TABLE phabricator_revision (
    instance TEXT NOT NULL,
    id INTEGER NOT NULL,
    phid TEXT,
    title TEXT,
    status TEXT,
    status_name TEXT,
    closed INTEGER,
    author_phid TEXT,
    repository_phid TEXT,
    diff_phid TEXT,
    created_at TEXT,
    modified_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT,
    PRIMARY KEY (instance, id)
);
CREATE UNIQUE INDEX phabricator_revision_phid ON phabricator_revision (instance, phid);
CREATE INDEX phabricator_revision_author ON phabricator_revision (instance, author_phid, created_at);

-- How far an incremental crawl has read: one row per source and scope, e.g.
-- ('gerrit:wikimedia', 'owner:alice') -> the greatest `updated` seen by the last complete crawl.
CREATE TABLE crawl_watermark (
    source TEXT NOT NULL,
    scope TEXT NOT NULL,
    watermark TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (source, scope)
);

-- Deliveries of the Gerrit and Phabricator endpoints name the instance they came from.
ALTER TABLE webhook_delivery ADD COLUMN instance TEXT;
