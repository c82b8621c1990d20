-- forgedb schema 0001: GitHub mirror, webhook delivery log, job queue.
-- Timestamps from GitHub are stored at second precision; forgedb's own stamps at microseconds.
-- Every replicated table carries: raw (latest JSON of the object), last_replicated_via_webhook_at,
-- last_replicated_via_api_at, deleted_at (tombstone; NULL while the object exists).

CREATE TABLE github_user (
    id BIGINT PRIMARY KEY,
    login TEXT,
    type TEXT,
    site_admin BOOLEAN,
    name TEXT,
    company TEXT,
    blog TEXT,
    location TEXT,
    email TEXT,
    hireable BOOLEAN,
    bio TEXT,
    public_repos_count BIGINT,
    public_gists_count BIGINT,
    followers_count BIGINT,
    following_count BIGINT,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    repos_last_scanned_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX github_user_login ON github_user (login);

CREATE TABLE github_repository (
    id BIGINT PRIMARY KEY,
    name TEXT,
    full_name TEXT,
    owner_id BIGINT,
    owner_login TEXT,
    organization_id BIGINT,
    organization_login TEXT,
    private BOOLEAN,
    fork BOOLEAN,
    archived BOOLEAN,
    disabled BOOLEAN,
    description TEXT,
    homepage TEXT,
    size BIGINT,
    stargazers_count BIGINT,
    watchers_count BIGINT,
    forks_count BIGINT,
    open_issues_count BIGINT,
    language TEXT,
    has_issues BOOLEAN,
    has_downloads BOOLEAN,
    has_wiki BOOLEAN,
    has_pages BOOLEAN,
    default_branch TEXT,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    pushed_at TIMESTAMPTZ,
    hooks_last_scanned_at TIMESTAMPTZ,
    issues_last_scanned_at TIMESTAMPTZ,
    pull_requests_last_scanned_at TIMESTAMPTZ,
    labels_last_scanned_at TIMESTAMPTZ,
    milestones_last_scanned_at TIMESTAMPTZ,
    issues_refreshed_at TIMESTAMPTZ,
    pulls_refreshed_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX github_repository_owner ON github_repository (owner_login, name);
CREATE INDEX github_repository_owner_id ON github_repository (owner_id);

CREATE TABLE github_user_repository_association (
    user_id BIGINT NOT NULL,
    repo_id BIGINT NOT NULL,
    can_pull BOOLEAN,
    can_push BOOLEAN,
    can_admin BOOLEAN,
    permission TEXT,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ,
    PRIMARY KEY (user_id, repo_id)
);
CREATE INDEX github_user_repository_association_repo ON github_user_repository_association (repo_id);

CREATE TABLE github_repository_hook (
    id BIGINT PRIMARY KEY,
    repo_id BIGINT,
    name TEXT,
    url TEXT,
    config JSON,
    events JSON,
    active BOOLEAN,
    last_response JSON,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX github_repository_hook_repo ON github_repository_hook (repo_id);

CREATE TABLE github_milestone (
    id BIGINT PRIMARY KEY,
    repo_id BIGINT,
    number BIGINT,
    state TEXT,
    title TEXT,
    description TEXT,
    creator_id BIGINT,
    creator_login TEXT,
    open_issues_count BIGINT,
    closed_issues_count BIGINT,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    due_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX github_milestone_repo_number ON github_milestone (repo_id, number);

CREATE TABLE github_pull_request (
    id BIGINT PRIMARY KEY,
    number BIGINT,
    state TEXT,
    locked BOOLEAN,
    draft BOOLEAN,
    title TEXT,
    body TEXT,
    user_id BIGINT,
    user_login TEXT,
    assignee_id BIGINT,
    assignee_login TEXT,
    base_repo_id BIGINT,
    base_ref TEXT,
    base_sha TEXT,
    head_repo_id BIGINT,
    head_ref TEXT,
    head_sha TEXT,
    milestone_id BIGINT,
    milestone_number BIGINT,
    merged BOOLEAN,
    mergeable BOOLEAN,
    mergeable_state TEXT,
    merge_commit_sha TEXT,
    merged_by_id BIGINT,
    merged_by_login TEXT,
    comments_count BIGINT,
    review_comments_count BIGINT,
    commits_count BIGINT,
    additions BIGINT,
    deletions BIGINT,
    changed_files BIGINT,
    author_association TEXT,
    html_url TEXT,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    merged_at TIMESTAMPTZ,
    files_last_scanned_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX github_pull_request_base ON github_pull_request (base_repo_id, number);
CREATE INDEX github_pull_request_user ON github_pull_request (user_id);
CREATE INDEX github_pull_request_updated ON github_pull_request (updated_at);

CREATE TABLE github_pull_request_file (
    pull_request_id BIGINT NOT NULL,
    filename TEXT NOT NULL,
    sha TEXT,
    status TEXT,
    additions BIGINT,
    deletions BIGINT,
    changes BIGINT,
    patch TEXT,
    previous_filename TEXT,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ,
    PRIMARY KEY (pull_request_id, filename)
);

CREATE TABLE github_pull_request_label_association (
    pull_request_id BIGINT NOT NULL,
    label_id BIGINT NOT NULL,
    PRIMARY KEY (pull_request_id, label_id)
);
CREATE INDEX github_pull_request_label_association_label ON github_pull_request_label_association (label_id);

CREATE TABLE github_issue (
    id BIGINT PRIMARY KEY,
    repo_id BIGINT,
    number BIGINT,
    state TEXT,
    state_reason TEXT,
    locked BOOLEAN,
    title TEXT,
    body TEXT,
    user_id BIGINT,
    user_login TEXT,
    assignee_id BIGINT,
    assignee_login TEXT,
    milestone_id BIGINT,
    milestone_number BIGINT,
    comments_count BIGINT,
    is_pull_request BOOLEAN,
    author_association TEXT,
    html_url TEXT,
    closed_by_id BIGINT,
    closed_by_login TEXT,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX github_issue_repo_number ON github_issue (repo_id, number);
CREATE INDEX github_issue_user ON github_issue (user_id);
CREATE INDEX github_issue_updated ON github_issue (updated_at);

CREATE TABLE github_issue_label (
    id BIGINT PRIMARY KEY,
    repo_id BIGINT,
    name TEXT,
    color TEXT,
    description TEXT,
    is_default BOOLEAN,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX github_issue_label_repo_name ON github_issue_label (repo_id, name);

CREATE TABLE github_issue_label_association (
    issue_id BIGINT NOT NULL,
    label_id BIGINT NOT NULL,
    PRIMARY KEY (issue_id, label_id)
);
CREATE INDEX github_issue_label_association_label ON github_issue_label_association (label_id);

CREATE TABLE github_issue_comment (
    id BIGINT PRIMARY KEY,
    repo_id BIGINT,
    issue_id BIGINT,
    issue_number BIGINT,
    user_id BIGINT,
    user_login TEXT,
    body TEXT,
    author_association TEXT,
    html_url TEXT,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX github_issue_comment_issue ON github_issue_comment (issue_id);
CREATE INDEX github_issue_comment_user ON github_issue_comment (user_id);

CREATE TABLE github_pull_request_review (
    id BIGINT PRIMARY KEY,
    pull_request_id BIGINT,
    repo_id BIGINT,
    user_id BIGINT,
    user_login TEXT,
    body TEXT,
    state TEXT,
    commit_id TEXT,
    author_association TEXT,
    html_url TEXT,
    submitted_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX github_pull_request_review_pr ON github_pull_request_review (pull_request_id);

CREATE TABLE github_pull_request_review_comment (
    id BIGINT PRIMARY KEY,
    pull_request_id BIGINT,
    repo_id BIGINT,
    review_id BIGINT,
    in_reply_to_id BIGINT,
    user_id BIGINT,
    user_login TEXT,
    path TEXT,
    position BIGINT,
    original_position BIGINT,
    line BIGINT,
    original_line BIGINT,
    side TEXT,
    commit_id TEXT,
    original_commit_id TEXT,
    diff_hunk TEXT,
    body TEXT,
    author_association TEXT,
    html_url TEXT,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX github_pull_request_review_comment_pr ON github_pull_request_review_comment (pull_request_id);

-- Every webhook delivery, as received, with the outcome of processing it.
CREATE TABLE webhook_delivery (
    forge TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    event TEXT NOT NULL,
    action TEXT,
    received_at TIMESTAMPTZ NOT NULL,
    headers JSON NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    processed_at TIMESTAMPTZ,
    PRIMARY KEY (forge, delivery_id)
);
CREATE INDEX webhook_delivery_received ON webhook_delivery (received_at);
CREATE INDEX webhook_delivery_status ON webhook_delivery (status);

-- The durable job queue (webhook processing, crawls).
CREATE TABLE job (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    args JSON NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_after TIMESTAMPTZ NOT NULL,
    lease_owner TEXT,
    lease_expires_at TIMESTAMPTZ,
    last_error TEXT,
    parent_id BIGINT,
    unique_key TEXT,
    progress_done BIGINT NOT NULL DEFAULT 0,
    progress_total BIGINT,
    items BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
CREATE INDEX job_ready ON job (state, run_after, id);
CREATE INDEX job_lease ON job (state, lease_expires_at);
CREATE INDEX job_parent ON job (parent_id);
-- At most one live (queued or running) job per unique key, e.g. one pull request crawl per
-- repository; the key is free again when that job finishes. A holder that crashed keeps it only
-- until its expired lease is taken over, or the job is declared dead.
CREATE UNIQUE INDEX job_unique_live ON job (unique_key) WHERE state IN ('queued', 'running');

-- What the GitHub API last said about each token's primary rate limit, per resource; shared by
-- every worker so that they choose tokens from one picture. Tokens appear only as a token_id
-- (a hash), never in clear.
CREATE TABLE github_rate_limit (
    token_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    rate_limit INTEGER NOT NULL,
    remaining INTEGER NOT NULL,
    reset_at TIMESTAMPTZ NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (token_id, resource)
);

-- The last ETag and body of each API URL per token, for conditional requests (a 304 is not
-- charged to the rate limit).
CREATE TABLE github_api_etag (
    url TEXT NOT NULL,
    token_id TEXT NOT NULL,
    etag TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT NOT NULL DEFAULT '',
    fetched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (url, token_id)
);
