-- forgedb schema 0007: GitHub releases, branches and tags (`release`, `create` and `delete`
-- events, and the releases, tags and branches lists of a repository). The ordering rules that
-- decide which write wins are in docs/schema.md; last_replicated_at is the later of the two
-- replication stamps, which both rules compare against.

CREATE TABLE github_release (
    id BIGINT PRIMARY KEY,
    repo_id BIGINT,
    tag_name TEXT,
    target_commitish TEXT,
    name TEXT,
    body TEXT,
    draft BOOLEAN,
    prerelease BOOLEAN,
    author_id BIGINT,
    author_login TEXT,
    html_url TEXT,
    created_at TIMESTAMPTZ,
    published_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ,
    last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED
);
CREATE INDEX github_release_repo_tag ON github_release (repo_id, tag_name);

-- Branches and tags, named as GitHub names them in events and lists: "main", "v1.0" (no
-- "refs/heads/" prefix).
CREATE TABLE github_ref (
    repo_id BIGINT NOT NULL,
    ref_type TEXT NOT NULL CHECK (ref_type IN ('branch', 'tag')),
    name TEXT NOT NULL,
    sha TEXT,
    protected BOOLEAN,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ,
    last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED,
    PRIMARY KEY (repo_id, ref_type, name)
);

ALTER TABLE github_repository ADD COLUMN releases_last_scanned_at TIMESTAMPTZ;
ALTER TABLE github_repository ADD COLUMN branches_last_scanned_at TIMESTAMPTZ;
ALTER TABLE github_repository ADD COLUMN tags_last_scanned_at TIMESTAMPTZ;
