-- forgedb schema 0010: the GitLab mirror, keyed by instance (the name given with
-- --gitlab NAME=URL). Forge times are stored at second precision, like the other forges.
-- Merge requests, issues, notes and milestones refuse an older updated_at (the stale check);
-- users, projects and labels, which GitLab sends without one, an older seen_at (the time of the
-- payload that carried them);
-- assignee_ids, reviewer_ids and labels are JSON arrays (ids, and label names).

-- a GitLab account (users, authors, assignees, reviewers)
CREATE TABLE gitlab_user (
    instance TEXT NOT NULL,
    id INTEGER NOT NULL,
    username TEXT,
    name TEXT,
    state TEXT,
    avatar_url TEXT,
    web_url TEXT,
    seen_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    last_replicated_at TEXT GENERATED ALWAYS AS (
        CASE WHEN last_replicated_via_webhook_at IS NULL THEN last_replicated_via_api_at
             WHEN last_replicated_via_api_at IS NULL
                  OR last_replicated_via_webhook_at > last_replicated_via_api_at
             THEN last_replicated_via_webhook_at
             ELSE last_replicated_via_api_at END) VIRTUAL,
    deleted_at TEXT,
    PRIMARY KEY (instance, id)
);
CREATE INDEX gitlab_user_username ON gitlab_user (instance, username);

-- a project (repository)
CREATE TABLE gitlab_project (
    instance TEXT NOT NULL,
    id INTEGER NOT NULL,
    path_with_namespace TEXT,
    name TEXT,
    namespace_path TEXT,
    visibility TEXT,
    default_branch TEXT,
    web_url TEXT,
    created_at TEXT,
    last_activity_at TEXT,
    seen_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    last_replicated_at TEXT GENERATED ALWAYS AS (
        CASE WHEN last_replicated_via_webhook_at IS NULL THEN last_replicated_via_api_at
             WHEN last_replicated_via_api_at IS NULL
                  OR last_replicated_via_webhook_at > last_replicated_via_api_at
             THEN last_replicated_via_webhook_at
             ELSE last_replicated_via_api_at END) VIRTUAL,
    deleted_at TEXT,
    PRIMARY KEY (instance, id)
);
CREATE INDEX gitlab_project_path ON gitlab_project (instance, path_with_namespace);

-- a merge request; id is global, iid per project
CREATE TABLE gitlab_merge_request (
    instance TEXT NOT NULL,
    id INTEGER NOT NULL,
    iid INTEGER,
    project_id INTEGER,
    title TEXT,
    state TEXT,
    draft INTEGER,
    author_id INTEGER,
    author_username TEXT,
    assignee_ids TEXT,
    reviewer_ids TEXT,
    labels TEXT,
    milestone_id INTEGER,
    source_branch TEXT,
    target_branch TEXT,
    source_project_id INTEGER,
    target_project_id INTEGER,
    sha TEXT,
    merge_commit_sha TEXT,
    merged_by_id INTEGER,
    created_at TEXT,
    updated_at TEXT,
    merged_at TEXT,
    closed_at TEXT,
    web_url TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    last_replicated_at TEXT GENERATED ALWAYS AS (
        CASE WHEN last_replicated_via_webhook_at IS NULL THEN last_replicated_via_api_at
             WHEN last_replicated_via_api_at IS NULL
                  OR last_replicated_via_webhook_at > last_replicated_via_api_at
             THEN last_replicated_via_webhook_at
             ELSE last_replicated_via_api_at END) VIRTUAL,
    deleted_at TEXT,
    PRIMARY KEY (instance, id)
);
CREATE INDEX gitlab_merge_request_iid ON gitlab_merge_request (instance, project_id, iid);
CREATE INDEX gitlab_merge_request_author ON gitlab_merge_request (instance, author_id, created_at);
CREATE INDEX gitlab_merge_request_updated ON gitlab_merge_request (instance, project_id, updated_at);

-- an issue; id is global, iid per project
CREATE TABLE gitlab_issue (
    instance TEXT NOT NULL,
    id INTEGER NOT NULL,
    iid INTEGER,
    project_id INTEGER,
    title TEXT,
    state TEXT,
    confidential INTEGER,
    author_id INTEGER,
    author_username TEXT,
    assignee_ids TEXT,
    labels TEXT,
    milestone_id INTEGER,
    created_at TEXT,
    updated_at TEXT,
    closed_at TEXT,
    web_url TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    last_replicated_at TEXT GENERATED ALWAYS AS (
        CASE WHEN last_replicated_via_webhook_at IS NULL THEN last_replicated_via_api_at
             WHEN last_replicated_via_api_at IS NULL
                  OR last_replicated_via_webhook_at > last_replicated_via_api_at
             THEN last_replicated_via_webhook_at
             ELSE last_replicated_via_api_at END) VIRTUAL,
    deleted_at TEXT,
    PRIMARY KEY (instance, id)
);
CREATE INDEX gitlab_issue_iid ON gitlab_issue (instance, project_id, iid);
CREATE INDEX gitlab_issue_author ON gitlab_issue (instance, author_id, created_at);
CREATE INDEX gitlab_issue_updated ON gitlab_issue (instance, project_id, updated_at);

-- a comment on a merge request, an issue or a commit
CREATE TABLE gitlab_note (
    instance TEXT NOT NULL,
    id INTEGER NOT NULL,
    project_id INTEGER,
    noteable_type TEXT,
    noteable_id INTEGER,
    noteable_iid INTEGER,
    commit_sha TEXT,
    author_id INTEGER,
    body TEXT,
    system INTEGER,
    created_at TEXT,
    updated_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    last_replicated_at TEXT GENERATED ALWAYS AS (
        CASE WHEN last_replicated_via_webhook_at IS NULL THEN last_replicated_via_api_at
             WHEN last_replicated_via_api_at IS NULL
                  OR last_replicated_via_webhook_at > last_replicated_via_api_at
             THEN last_replicated_via_webhook_at
             ELSE last_replicated_via_api_at END) VIRTUAL,
    deleted_at TEXT,
    PRIMARY KEY (instance, id)
);
CREATE INDEX gitlab_note_noteable ON gitlab_note (instance, noteable_type, noteable_id);

-- a commit of a project, from push events and crawls
CREATE TABLE gitlab_commit (
    instance TEXT NOT NULL,
    project_id INTEGER NOT NULL,
    sha TEXT NOT NULL,
    title TEXT,
    message TEXT,
    author_name TEXT,
    author_email TEXT,
    authored_at TEXT,
    committed_at TEXT,
    web_url TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    last_replicated_at TEXT GENERATED ALWAYS AS (
        CASE WHEN last_replicated_via_webhook_at IS NULL THEN last_replicated_via_api_at
             WHEN last_replicated_via_api_at IS NULL
                  OR last_replicated_via_webhook_at > last_replicated_via_api_at
             THEN last_replicated_via_webhook_at
             ELSE last_replicated_via_api_at END) VIRTUAL,
    deleted_at TEXT,
    PRIMARY KEY (instance, project_id, sha)
);
CREATE INDEX gitlab_commit_author ON gitlab_commit (instance, author_email, authored_at);

-- a project or group label
CREATE TABLE gitlab_label (
    instance TEXT NOT NULL,
    id INTEGER NOT NULL,
    project_id INTEGER,
    group_id INTEGER,
    name TEXT,
    color TEXT,
    description TEXT,
    seen_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    last_replicated_at TEXT GENERATED ALWAYS AS (
        CASE WHEN last_replicated_via_webhook_at IS NULL THEN last_replicated_via_api_at
             WHEN last_replicated_via_api_at IS NULL
                  OR last_replicated_via_webhook_at > last_replicated_via_api_at
             THEN last_replicated_via_webhook_at
             ELSE last_replicated_via_api_at END) VIRTUAL,
    deleted_at TEXT,
    PRIMARY KEY (instance, id)
);
CREATE INDEX gitlab_label_project ON gitlab_label (instance, project_id, name);

-- a project or group milestone
CREATE TABLE gitlab_milestone (
    instance TEXT NOT NULL,
    id INTEGER NOT NULL,
    iid INTEGER,
    project_id INTEGER,
    group_id INTEGER,
    title TEXT,
    state TEXT,
    due_date TEXT,
    created_at TEXT,
    updated_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    last_replicated_at TEXT GENERATED ALWAYS AS (
        CASE WHEN last_replicated_via_webhook_at IS NULL THEN last_replicated_via_api_at
             WHEN last_replicated_via_api_at IS NULL
                  OR last_replicated_via_webhook_at > last_replicated_via_api_at
             THEN last_replicated_via_webhook_at
             ELSE last_replicated_via_api_at END) VIRTUAL,
    deleted_at TEXT,
    PRIMARY KEY (instance, id)
);
CREATE INDEX gitlab_milestone_project ON gitlab_milestone (instance, project_id, iid);
