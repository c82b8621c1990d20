-- forgedb schema 0004: the contributor view's saved queries (their people and filter), the crawls
-- views queued per account and window (coverage), and chunks of CSV uploads in progress.

CREATE TABLE contrib_query (
    hash TEXT PRIMARY KEY,
    from_csv INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE contrib_query_user (
    query_hash TEXT NOT NULL,
    position INTEGER NOT NULL,
    fullname TEXT NOT NULL,
    gerrit_username TEXT NOT NULL DEFAULT '',
    phabricator_username TEXT NOT NULL DEFAULT '',
    github_username TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (query_hash, position)
);
CREATE UNIQUE INDEX contrib_query_user_fullname ON contrib_query_user (query_hash, fullname);

CREATE TABLE contrib_query_filter (
    hash TEXT PRIMARY KEY,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    statuses TEXT NOT NULL
);

CREATE TABLE contrib_coverage (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    instance TEXT NOT NULL,
    account TEXT NOT NULL,
    part TEXT NOT NULL,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    job_id INTEGER NOT NULL,
    requested_at TEXT NOT NULL
);
CREATE INDEX contrib_coverage_account
    ON contrib_coverage (platform, instance, account, part, requested_at);

CREATE TABLE contrib_upload_chunk (
    upload_hash TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    replace_hash TEXT,
    data TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (upload_hash, chunk)
);
CREATE INDEX contrib_upload_chunk_received ON contrib_upload_chunk (received_at);
