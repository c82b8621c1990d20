-- forgedb schema 0004: the contributor view's saved queries (their people and filter), the crawls
-- views queued per account and window (coverage), and chunks of CSV uploads in progress.

CREATE TABLE contrib_query (
    hash TEXT PRIMARY KEY,
    from_csv BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE contrib_query_user (
    query_hash TEXT NOT NULL,
    position BIGINT NOT NULL,
    fullname TEXT NOT NULL,
    gerrit_username TEXT NOT NULL DEFAULT '',
    phabricator_username TEXT NOT NULL DEFAULT '',
    github_username TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (query_hash, position)
);
CREATE UNIQUE INDEX contrib_query_user_fullname ON contrib_query_user (query_hash, fullname);

CREATE TABLE contrib_query_filter (
    hash TEXT PRIMARY KEY,
    start_time TIMESTAMPTZ NOT NULL,
    end_time TIMESTAMPTZ NOT NULL,
    statuses TEXT NOT NULL
);

CREATE TABLE contrib_coverage (
    id BIGSERIAL PRIMARY KEY,
    platform TEXT NOT NULL,
    instance TEXT NOT NULL,
    account TEXT NOT NULL,
    part TEXT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    job_id BIGINT NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contrib_coverage_account
    ON contrib_coverage (platform, instance, account, part, requested_at);

CREATE TABLE contrib_upload_chunk (
    upload_hash TEXT NOT NULL,
    chunk BIGINT NOT NULL,
    replace_hash TEXT,
    data TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (upload_hash, chunk)
);
CREATE INDEX contrib_upload_chunk_received ON contrib_upload_chunk (received_at);
