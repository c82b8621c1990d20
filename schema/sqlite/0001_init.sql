-- forgedb schema 0001: GitHub mirror, webhook delivery log, job queue.
-- Timestamps from GitHub are stored at second precision; forgedb's own stamps at microseconds.
-- Every replicated table carries: raw (latest JSON of the object), last_replicated_via_webhook_at,
-- last_replicated_via_api_at, deleted_at (tombstone; NULL while the object exists).

CREATE TABLE github_user (
    id INTEGER PRIMARY KEY,
    login TEXT,
    type TEXT,
    site_admin INTEGER,
    name TEXT,
    company TEXT,
    blog TEXT,
    location TEXT,
    email TEXT,
    hireable INTEGER,
    bio TEXT,
    public_repos_count INTEGER,
    public_gists_count INTEGER,
    followers_count INTEGER,
    following_count INTEGER,
    created_at TEXT,
    updated_at TEXT,
    repos_last_scanned_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT
);
CREATE INDEX github_user_login ON github_user (login);

CREATE TABLE github_repository (
    id INTEGER PRIMARY KEY,
    name TEXT,
    full_name TEXT,
    owner_id INTEGER,
    owner_login TEXT,
    organization_id INTEGER,
    organization_login TEXT,
    private INTEGER,
    fork INTEGER,
    archived INTEGER,
    disabled INTEGER,
    description TEXT,
    homepage TEXT,
    size INTEGER,
    stargazers_count INTEGER,
    watchers_count INTEGER,
    forks_count INTEGER,
    open_issues_count INTEGER,
    language TEXT,
    has_issues INTEGER,
    has_downloads INTEGER,
    has_wiki INTEGER,
    has_pages INTEGER,
    default_branch TEXT,
    created_at TEXT,
    updated_at TEXT,
    pushed_at TEXT,
    hooks_last_scanned_at TEXT,
    issues_last_scanned_at TEXT,
    pull_requests_last_scanned_at TEXT,
    labels_last_scanned_at TEXT,
    milestones_last_scanned_at TEXT,
    issues_refreshed_at TEXT,
    pulls_refreshed_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT
);
CREATE INDEX github_repository_owner ON github_repository (owner_login, name);
CREATE INDEX github_repository_owner_id ON github_repository (owner_id);

CREATE TABLE github_user_repository_association (
    user_id INTEGER NOT NULL,
    repo_id INTEGER NOT NULL,
    can_pull INTEGER,
    can_push INTEGER,
    can_admin INTEGER,
    permission TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT,
    PRIMARY KEY (user_id, repo_id)
);
CREATE INDEX github_user_repository_association_repo ON github_user_repository_association (repo_id);

CREATE TABLE github_repository_hook (
    id INTEGER PRIMARY KEY,
    repo_id INTEGER,
    name TEXT,
    url TEXT,
    config TEXT,
    events TEXT,
    active INTEGER,
    last_response TEXT,
    created_at TEXT,
    updated_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT
);
CREATE INDEX github_repository_hook_repo ON github_repository_hook (repo_id);

CREATE TABLE github_milestone (
    id INTEGER PRIMARY KEY,
    repo_id INTEGER,
    number INTEGER,
    state TEXT,
    title TEXT,
    description TEXT,
    creator_id INTEGER,
    creator_login TEXT,
    open_issues_count INTEGER,
    closed_issues_count INTEGER,
    created_at TEXT,
    updated_at TEXT,
    closed_at TEXT,
    due_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT
);
CREATE INDEX github_milestone_repo_number ON github_milestone (repo_id, number);

CREATE TABLE github_pull_request (
    id INTEGER PRIMARY KEY,
    number INTEGER,
    state TEXT,
    locked INTEGER,
    draft INTEGER,
    title TEXT,
    body TEXT,
    user_id INTEGER,
    user_login TEXT,
    assignee_id INTEGER,
    assignee_login TEXT,
    base_repo_id INTEGER,
    base_ref TEXT,
    base_sha TEXT,
    head_repo_id INTEGER,
    head_ref TEXT,
    head_sha TEXT,
    milestone_id INTEGER,
    milestone_number INTEGER,
    merged INTEGER,
    mergeable INTEGER,
    mergeable_state TEXT,
    merge_commit_sha TEXT,
    merged_by_id INTEGER,
    merged_by_login TEXT,
    comments_count INTEGER,
    review_comments_count INTEGER,
    commits_count INTEGER,
    additions INTEGER,
    deletions INTEGER,
    changed_files INTEGER,
    author_association TEXT,
    html_url TEXT,
    created_at TEXT,
    updated_at TEXT,
    closed_at TEXT,
    merged_at TEXT,
    files_last_scanned_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT
);
CREATE INDEX github_pull_request_base ON github_pull_request (base_repo_id, number);
CREATE INDEX github_pull_request_user ON github_pull_request (user_id);
CREATE INDEX github_pull_request_updated ON github_pull_request (updated_at);

CREATE TABLE github_pull_request_file (
    pull_request_id INTEGER NOT NULL,
    filename TEXT NOT NULL,
    sha TEXT,
    status TEXT,
    additions INTEGER,
    deletions INTEGER,
    changes INTEGER,
    patch TEXT,
    previous_filename TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT,
    PRIMARY KEY (pull_request_id, filename)
);

CREATE TABLE github_pull_request_label_association (
    pull_request_id INTEGER NOT NULL,
    label_id INTEGER NOT NULL,
    PRIMARY KEY (pull_request_id, label_id)
);
CREATE INDEX github_pull_request_label_association_label ON github_pull_request_label_association (label_id);

CREATE TABLE github_issue (
    id INTEGER PRIMARY KEY,
    repo_id INTEGER,
    number INTEGER,
    state TEXT,
    state_reason TEXT,
    locked INTEGER,
    title TEXT,
    body TEXT,
    user_id INTEGER,
    user_login TEXT,
    assignee_id INTEGER,
    assignee_login TEXT,
    milestone_id INTEGER,
    milestone_number INTEGER,
    comments_count INTEGER,
    is_pull_request INTEGER,
    author_association TEXT,
    html_url TEXT,
    closed_by_id INTEGER,
    closed_by_login TEXT,
    created_at TEXT,
    updated_at TEXT,
    closed_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT
);
CREATE INDEX github_issue_repo_number ON github_issue (repo_id, number);
CREATE INDEX github_issue_user ON github_issue (user_id);
CREATE INDEX github_issue_updated ON github_issue (updated_at);

CREATE TABLE github_issue_label (
    id INTEGER PRIMARY KEY,
    repo_id INTEGER,
    name TEXT,
    color TEXT,
    description TEXT,
    is_default INTEGER,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT
);
CREATE INDEX github_issue_label_repo_name ON github_issue_label (repo_id, name);

CREATE TABLE github_issue_label_association (
    issue_id INTEGER NOT NULL,
    label_id INTEGER NOT NULL,
    PRIMARY KEY (issue_id, label_id)
);
CREATE INDEX github_issue_label_association_label ON github_issue_label_association (label_id);

CREATE TABLE github_issue_comment (
    id INTEGER PRIMARY KEY,
    repo_id INTEGER,
    issue_id INTEGER,
    issue_number INTEGER,
    user_id INTEGER,
    user_login TEXT,
    body TEXT,
    author_association TEXT,
    html_url TEXT,
    created_at TEXT,
    updated_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT
);
CREATE INDEX github_issue_comment_issue ON github_issue_comment (issue_id);
CREATE INDEX github_issue_comment_user ON github_issue_comment (user_id);

CREATE TABLE github_pull_request_review (
    id INTEGER PRIMARY KEY,
    pull_request_id INTEGER,
    repo_id INTEGER,
    user_id INTEGER,
    user_login TEXT,
    body TEXT,
    state TEXT,
    commit_id TEXT,
    author_association TEXT,
    html_url TEXT,
    submitted_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT
);
CREATE INDEX github_pull_request_review_pr ON github_pull_request_review (pull_request_id);

CREATE TABLE github_pull_request_review_comment (
    id INTEGER PRIMARY KEY,
    pull_request_id INTEGER,
    repo_id INTEGER,
    review_id INTEGER,
    in_reply_to_id INTEGER,
    user_id INTEGER,
    user_login TEXT,
    path TEXT,
    position INTEGER,
    original_position INTEGER,
    line INTEGER,
    original_line INTEGER,
    side TEXT,
    commit_id TEXT,
    original_commit_id TEXT,
    diff_hunk TEXT,
    body TEXT,
    author_association TEXT,
    html_url TEXT,
    created_at TEXT,
    updated_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT
);
CREATE INDEX github_pull_request_review_comment_pr ON github_pull_request_review_comment (pull_request_id);

-- Every webhook delivery, as received, with the outcome of processing it.
CREATE TABLE webhook_delivery (
    forge TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    event TEXT NOT NULL,
    action TEXT,
    received_at TEXT NOT NULL,
    headers TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    processed_at TEXT,
    PRIMARY KEY (forge, delivery_id)
);
CREATE INDEX webhook_delivery_received ON webhook_delivery (received_at);
CREATE INDEX webhook_delivery_status ON webhook_delivery (status);

-- The durable job queue (webhook processing, crawls).
CREATE TABLE job (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    args TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_after TEXT NOT NULL,
    lease_owner TEXT,
    lease_expires_at TEXT,
    last_error TEXT,
    parent_id INTEGER,
    unique_key TEXT,
    progress_done INTEGER NOT NULL DEFAULT 0,
    progress_total INTEGER,
    items INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
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
    reset_at TEXT NOT NULL,
    observed_at TEXT NOT NULL,
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
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (url, token_id)
);
