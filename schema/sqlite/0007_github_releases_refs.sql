-- forgedb schema 0007: GitHub releases, branches and tags (`release`, `create` and `delete`
-- events, and the releases, tags and branches lists of a repository). The ordering rules that
-- decide which write wins are in docs/schema.md; last_replicated_at is the later of the two
-- replication stamps, which both rules compare against.

CREATE TABLE github_release (
    id INTEGER PRIMARY KEY,
    repo_id INTEGER,
    tag_name TEXT,
    target_commitish TEXT,
    name TEXT,
    body TEXT,
    draft INTEGER,
    prerelease INTEGER,
    author_id INTEGER,
    author_login TEXT,
    html_url TEXT,
    created_at TEXT,
    published_at TEXT,
    updated_at TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT,
    last_replicated_at TEXT GENERATED ALWAYS AS (CASE WHEN last_replicated_via_webhook_at IS NULL THEN last_replicated_via_api_at WHEN last_replicated_via_api_at IS NULL OR last_replicated_via_webhook_at > last_replicated_via_api_at THEN last_replicated_via_webhook_at ELSE last_replicated_via_api_at END) VIRTUAL
);
CREATE INDEX github_release_repo_tag ON github_release (repo_id, tag_name);

-- Branches and tags, named as GitHub names them in events and lists: "main", "v1.0" (no
-- "refs/heads/" prefix).
CREATE TABLE github_ref (
    repo_id INTEGER NOT NULL,
    ref_type TEXT NOT NULL CHECK (ref_type IN ('branch', 'tag')),
    name TEXT NOT NULL,
    sha TEXT,
    protected INTEGER,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT,
    last_replicated_at TEXT GENERATED ALWAYS AS (CASE WHEN last_replicated_via_webhook_at IS NULL THEN last_replicated_via_api_at WHEN last_replicated_via_api_at IS NULL OR last_replicated_via_webhook_at > last_replicated_via_api_at THEN last_replicated_via_webhook_at ELSE last_replicated_via_api_at END) VIRTUAL,
    PRIMARY KEY (repo_id, ref_type, name)
);

ALTER TABLE github_repository ADD COLUMN releases_last_scanned_at TEXT;
ALTER TABLE github_repository ADD COLUMN branches_last_scanned_at TEXT;
ALTER TABLE github_repository ADD COLUMN tags_last_scanned_at TEXT;
