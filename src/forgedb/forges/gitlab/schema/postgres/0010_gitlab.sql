-- forgedb schema 0010: the GitLab mirror, keyed by instance (the name given with
-- --gitlab NAME=URL). Forge times are stored at second precision, like the other forges.
-- Merge requests, issues, notes and milestones refuse an older updated_at (the stale check);
-- users, projects and labels, which GitLab sends without one, an older seen_at (the time of the
-- payload that carried them);
-- assignee_ids, reviewer_ids and labels are JSON arrays (ids, and label names).

-- a GitLab account (users, authors, assignees, reviewers)
CREATE TABLE gitlab_user (
    instance TEXT NOT NULL,
    id BIGINT NOT NULL,
    username TEXT,
    name TEXT,
    state TEXT,
    avatar_url TEXT,
    web_url TEXT,
    seen_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
        GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED,
    deleted_at TIMESTAMPTZ,
    PRIMARY KEY (instance, id)
);
CREATE INDEX gitlab_user_username ON gitlab_user (instance, username);

-- a project (repository)
CREATE TABLE gitlab_project (
    instance TEXT NOT NULL,
    id BIGINT NOT NULL,
    path_with_namespace TEXT,
    name TEXT,
    namespace_path TEXT,
    visibility TEXT,
    default_branch TEXT,
    web_url TEXT,
    created_at TIMESTAMPTZ,
    last_activity_at TIMESTAMPTZ,
    seen_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
        GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED,
    deleted_at TIMESTAMPTZ,
    PRIMARY KEY (instance, id)
);
CREATE INDEX gitlab_project_path ON gitlab_project (instance, path_with_namespace);

-- a merge request; id is global, iid per project
CREATE TABLE gitlab_merge_request (
    instance TEXT NOT NULL,
    id BIGINT NOT NULL,
    iid BIGINT,
    project_id BIGINT,
    title TEXT,
    state TEXT,
    draft BOOLEAN,
    author_id BIGINT,
    author_username TEXT,
    assignee_ids JSON,
    reviewer_ids JSON,
    labels JSON,
    milestone_id BIGINT,
    source_branch TEXT,
    target_branch TEXT,
    source_project_id BIGINT,
    target_project_id BIGINT,
    sha TEXT,
    merge_commit_sha TEXT,
    merged_by_id BIGINT,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    merged_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    web_url TEXT,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
        GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED,
    deleted_at TIMESTAMPTZ,
    PRIMARY KEY (instance, id)
);
CREATE INDEX gitlab_merge_request_iid ON gitlab_merge_request (instance, project_id, iid);
CREATE INDEX gitlab_merge_request_author ON gitlab_merge_request (instance, author_id, created_at);
CREATE INDEX gitlab_merge_request_updated ON gitlab_merge_request (instance, project_id, updated_at);

-- an issue; id is global, iid per project
CREATE TABLE gitlab_issue (
    instance TEXT NOT NULL,
    id BIGINT NOT NULL,
    iid BIGINT,
    project_id BIGINT,
    title TEXT,
    state TEXT,
    confidential BOOLEAN,
    author_id BIGINT,
    author_username TEXT,
    assignee_ids JSON,
    labels JSON,
    milestone_id BIGINT,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    web_url TEXT,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
        GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED,
    deleted_at TIMESTAMPTZ,
    PRIMARY KEY (instance, id)
);
CREATE INDEX gitlab_issue_iid ON gitlab_issue (instance, project_id, iid);
CREATE INDEX gitlab_issue_author ON gitlab_issue (instance, author_id, created_at);
CREATE INDEX gitlab_issue_updated ON gitlab_issue (instance, project_id, updated_at);

-- a comment on a merge request, an issue or a commit
CREATE TABLE gitlab_note (
    instance TEXT NOT NULL,
    id BIGINT NOT NULL,
    project_id BIGINT,
    noteable_type TEXT,
    noteable_id BIGINT,
    noteable_iid BIGINT,
    commit_sha TEXT,
    author_id BIGINT,
    body TEXT,
    system BOOLEAN,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
        GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED,
    deleted_at TIMESTAMPTZ,
    PRIMARY KEY (instance, id)
);
CREATE INDEX gitlab_note_noteable ON gitlab_note (instance, noteable_type, noteable_id);

-- a commit of a project, from push events and crawls
CREATE TABLE gitlab_commit (
    instance TEXT NOT NULL,
    project_id BIGINT NOT NULL,
    sha TEXT NOT NULL,
    title TEXT,
    message TEXT,
    author_name TEXT,
    author_email TEXT,
    authored_at TIMESTAMPTZ,
    committed_at TIMESTAMPTZ,
    web_url TEXT,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
        GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED,
    deleted_at TIMESTAMPTZ,
    PRIMARY KEY (instance, project_id, sha)
);
CREATE INDEX gitlab_commit_author ON gitlab_commit (instance, author_email, authored_at);

-- a project or group label
CREATE TABLE gitlab_label (
    instance TEXT NOT NULL,
    id BIGINT NOT NULL,
    project_id BIGINT,
    group_id BIGINT,
    name TEXT,
    color TEXT,
    description TEXT,
    seen_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
        GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED,
    deleted_at TIMESTAMPTZ,
    PRIMARY KEY (instance, id)
);
CREATE INDEX gitlab_label_project ON gitlab_label (instance, project_id, name);

-- a project or group milestone
CREATE TABLE gitlab_milestone (
    instance TEXT NOT NULL,
    id BIGINT NOT NULL,
    iid BIGINT,
    project_id BIGINT,
    group_id BIGINT,
    title TEXT,
    state TEXT,
    due_date TEXT,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
        GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED,
    deleted_at TIMESTAMPTZ,
    PRIMARY KEY (instance, id)
);
CREATE INDEX gitlab_milestone_project ON gitlab_milestone (instance, project_id, iid);
