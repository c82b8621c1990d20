-- forgedb schema 0003: GitHub commits and the contributions read model.
--
-- github_commit mirrors commits (push webhooks and the REST API). `contribution` holds one row per
-- contribution and account, kept equal to the mirror by the triggers below on every INSERT, UPDATE
-- and DELETE of gerrit_change, phabricator_task, github_commit, github_pull_request and
-- github_issue (a row with a tombstone has no contributions). One person's window is a range read
-- on contribution_account. See docs/schema.md.

CREATE TABLE github_commit (
    sha TEXT PRIMARY KEY,
    repo_id BIGINT,
    repo_full_name TEXT,
    author_login TEXT,
    author_id BIGINT,
    author_name TEXT,
    author_email TEXT,
    author_date TIMESTAMPTZ,
    committer_login TEXT,
    committer_date TIMESTAMPTZ,
    message TEXT,
    html_url TEXT,
    change_id TEXT,
    raw JSON,
    last_replicated_via_webhook_at TIMESTAMPTZ,
    last_replicated_via_api_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX github_commit_author ON github_commit (lower(author_login), committer_date);
CREATE INDEX github_commit_change_id ON github_commit (change_id);
CREATE INDEX github_commit_repo ON github_commit (repo_id, committer_date);

CREATE TABLE contribution (
    platform TEXT NOT NULL,
    instance TEXT NOT NULL,
    kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    account TEXT NOT NULL,
    time TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    project TEXT NOT NULL,
    repo_owner TEXT NOT NULL,
    change_id TEXT,
    authored BOOLEAN NOT NULL,
    assigned BOOLEAN NOT NULL,
    PRIMARY KEY (platform, instance, kind, source_id, account)
);
CREATE INDEX contribution_account ON contribution (account, platform, instance, time);
-- gerrit_change -> contribution
CREATE FUNCTION gerrit_change_contribution() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM contribution WHERE platform = 'gerrit' AND instance = OLD.instance AND kind = 'change' AND source_id = CAST(OLD.number AS TEXT);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN NULL;
    END IF;
    INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
    SELECT
        'gerrit',
        NEW.instance,
        'change',
        CAST(NEW.number AS TEXT),
        lower(NEW.owner_username),
        NEW.created_at,
        COALESCE(NEW.status, ''),
        COALESCE(NEW.subject, ''),
        '',
        COALESCE(NEW.project, ''),
        '',
        NEW.change_id,
        true,
        true
    WHERE NEW.deleted_at IS NULL AND NEW.owner_username IS NOT NULL AND NEW.created_at IS NOT NULL;
    RETURN NULL;
END;
$$;
CREATE TRIGGER gerrit_change_contribution_insert AFTER INSERT ON gerrit_change
    FOR EACH ROW WHEN ((NEW.deleted_at IS NULL AND NEW.owner_username IS NOT NULL AND NEW.created_at IS NOT NULL))
    EXECUTE FUNCTION gerrit_change_contribution();
CREATE TRIGGER gerrit_change_contribution_update AFTER UPDATE ON gerrit_change
    FOR EACH ROW WHEN (OLD.instance IS DISTINCT FROM NEW.instance
        OR OLD.number IS DISTINCT FROM NEW.number
        OR OLD.owner_username IS DISTINCT FROM NEW.owner_username
        OR OLD.created_at IS DISTINCT FROM NEW.created_at
        OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.subject IS DISTINCT FROM NEW.subject
        OR OLD.project IS DISTINCT FROM NEW.project
        OR OLD.change_id IS DISTINCT FROM NEW.change_id
        OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION gerrit_change_contribution();
CREATE TRIGGER gerrit_change_contribution_delete AFTER DELETE ON gerrit_change
    FOR EACH ROW EXECUTE FUNCTION gerrit_change_contribution();

-- phabricator_task -> contribution
CREATE FUNCTION phabricator_task_contribution() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM contribution WHERE platform = 'phabricator' AND instance = OLD.instance AND kind = 'task' AND source_id = CAST(OLD.id AS TEXT);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN NULL;
    END IF;
    INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
    SELECT
        'phabricator',
        NEW.instance,
        'task',
        CAST(NEW.id AS TEXT),
        NEW.author_phid,
        NEW.created_at,
        COALESCE(NEW.status_name, NEW.status, ''),
        COALESCE(NEW.title, ''),
        '',
        '',
        '',
        NULL,
        true,
        COALESCE(NEW.owner_phid = NEW.author_phid, false)
    WHERE NEW.deleted_at IS NULL AND NEW.author_phid IS NOT NULL AND NEW.created_at IS NOT NULL;
    INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
    SELECT
        'phabricator',
        NEW.instance,
        'task',
        CAST(NEW.id AS TEXT),
        NEW.owner_phid,
        NEW.created_at,
        COALESCE(NEW.status_name, NEW.status, ''),
        COALESCE(NEW.title, ''),
        '',
        '',
        '',
        NULL,
        false,
        true
    WHERE NEW.deleted_at IS NULL AND NEW.owner_phid IS NOT NULL AND NEW.owner_phid IS DISTINCT FROM NEW.author_phid AND NEW.created_at IS NOT NULL;
    RETURN NULL;
END;
$$;
CREATE TRIGGER phabricator_task_contribution_insert AFTER INSERT ON phabricator_task
    FOR EACH ROW WHEN ((NEW.deleted_at IS NULL AND NEW.author_phid IS NOT NULL AND NEW.created_at IS NOT NULL)
        OR (NEW.deleted_at IS NULL AND NEW.owner_phid IS NOT NULL AND NEW.owner_phid IS DISTINCT FROM NEW.author_phid AND NEW.created_at IS NOT NULL))
    EXECUTE FUNCTION phabricator_task_contribution();
CREATE TRIGGER phabricator_task_contribution_update AFTER UPDATE ON phabricator_task
    FOR EACH ROW WHEN (OLD.instance IS DISTINCT FROM NEW.instance
        OR OLD.id IS DISTINCT FROM NEW.id
        OR OLD.author_phid IS DISTINCT FROM NEW.author_phid
        OR OLD.owner_phid IS DISTINCT FROM NEW.owner_phid
        OR OLD.created_at IS DISTINCT FROM NEW.created_at
        OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.status_name IS DISTINCT FROM NEW.status_name
        OR OLD.title IS DISTINCT FROM NEW.title
        OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION phabricator_task_contribution();
CREATE TRIGGER phabricator_task_contribution_delete AFTER DELETE ON phabricator_task
    FOR EACH ROW EXECUTE FUNCTION phabricator_task_contribution();

-- github_commit -> contribution
CREATE FUNCTION github_commit_contribution() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM contribution WHERE platform = 'github' AND instance = 'github' AND kind = 'commit' AND source_id = OLD.sha;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN NULL;
    END IF;
    INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
    SELECT
        'github',
        'github',
        'commit',
        NEW.sha,
        lower(NEW.author_login),
        NEW.committer_date,
        'merged',
        rtrim(split_part(COALESCE(NEW.message, ''), E'\n', 1), E'\r'),
        COALESCE(NEW.html_url, ''),
        COALESCE(NEW.repo_full_name, ''),
        lower(split_part(COALESCE(NEW.repo_full_name, ''), '/', 1)),
        NEW.change_id,
        true,
        true
    WHERE NEW.deleted_at IS NULL AND NEW.author_login IS NOT NULL AND NEW.committer_date IS NOT NULL;
    RETURN NULL;
END;
$$;
CREATE TRIGGER github_commit_contribution_insert AFTER INSERT ON github_commit
    FOR EACH ROW WHEN ((NEW.deleted_at IS NULL AND NEW.author_login IS NOT NULL AND NEW.committer_date IS NOT NULL))
    EXECUTE FUNCTION github_commit_contribution();
CREATE TRIGGER github_commit_contribution_update AFTER UPDATE ON github_commit
    FOR EACH ROW WHEN (OLD.sha IS DISTINCT FROM NEW.sha
        OR OLD.author_login IS DISTINCT FROM NEW.author_login
        OR OLD.committer_date IS DISTINCT FROM NEW.committer_date
        OR OLD.message IS DISTINCT FROM NEW.message
        OR OLD.html_url IS DISTINCT FROM NEW.html_url
        OR OLD.repo_full_name IS DISTINCT FROM NEW.repo_full_name
        OR OLD.change_id IS DISTINCT FROM NEW.change_id
        OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION github_commit_contribution();
CREATE TRIGGER github_commit_contribution_delete AFTER DELETE ON github_commit
    FOR EACH ROW EXECUTE FUNCTION github_commit_contribution();

-- github_pull_request -> contribution
CREATE FUNCTION github_pull_request_contribution() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM contribution WHERE platform = 'github' AND instance = 'github' AND kind = 'pull_request' AND source_id = CAST(OLD.id AS TEXT);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN NULL;
    END IF;
    INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
    SELECT
        'github',
        'github',
        'pull_request',
        CAST(NEW.id AS TEXT),
        lower(NEW.user_login),
        NEW.merged_at,
        'merged',
        COALESCE(NEW.title, ''),
        COALESCE(NEW.html_url, ''),
        COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.base_repo_id), ''),
        lower(split_part(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.base_repo_id), ''), '/', 1)),
        NULL,
        true,
        true
    WHERE NEW.deleted_at IS NULL AND NEW.user_login IS NOT NULL AND NEW.merged_at IS NOT NULL;
    RETURN NULL;
END;
$$;
CREATE TRIGGER github_pull_request_contribution_insert AFTER INSERT ON github_pull_request
    FOR EACH ROW WHEN ((NEW.deleted_at IS NULL AND NEW.user_login IS NOT NULL AND NEW.merged_at IS NOT NULL))
    EXECUTE FUNCTION github_pull_request_contribution();
CREATE TRIGGER github_pull_request_contribution_update AFTER UPDATE ON github_pull_request
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id
        OR OLD.user_login IS DISTINCT FROM NEW.user_login
        OR OLD.merged_at IS DISTINCT FROM NEW.merged_at
        OR OLD.title IS DISTINCT FROM NEW.title
        OR OLD.html_url IS DISTINCT FROM NEW.html_url
        OR OLD.base_repo_id IS DISTINCT FROM NEW.base_repo_id
        OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION github_pull_request_contribution();
CREATE TRIGGER github_pull_request_contribution_delete AFTER DELETE ON github_pull_request
    FOR EACH ROW EXECUTE FUNCTION github_pull_request_contribution();

-- github_issue -> contribution
CREATE FUNCTION github_issue_contribution() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM contribution WHERE platform = 'github' AND instance = 'github' AND kind = 'issue' AND source_id = CAST(OLD.id AS TEXT);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN NULL;
    END IF;
    INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
    SELECT
        'github',
        'github',
        'issue',
        CAST(NEW.id AS TEXT),
        lower(NEW.user_login),
        NEW.created_at,
        COALESCE(NEW.state, ''),
        COALESCE(NEW.title, ''),
        COALESCE(NEW.html_url, ''),
        COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.repo_id), ''),
        lower(split_part(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.repo_id), ''), '/', 1)),
        NULL,
        true,
        false
    WHERE NEW.deleted_at IS NULL AND NEW.user_login IS NOT NULL AND NEW.created_at IS NOT NULL AND NOT COALESCE(NEW.is_pull_request, false);
    RETURN NULL;
END;
$$;
CREATE TRIGGER github_issue_contribution_insert AFTER INSERT ON github_issue
    FOR EACH ROW WHEN ((NEW.deleted_at IS NULL AND NEW.user_login IS NOT NULL AND NEW.created_at IS NOT NULL AND NOT COALESCE(NEW.is_pull_request, false)))
    EXECUTE FUNCTION github_issue_contribution();
CREATE TRIGGER github_issue_contribution_update AFTER UPDATE ON github_issue
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id
        OR OLD.user_login IS DISTINCT FROM NEW.user_login
        OR OLD.created_at IS DISTINCT FROM NEW.created_at
        OR OLD.state IS DISTINCT FROM NEW.state
        OR OLD.title IS DISTINCT FROM NEW.title
        OR OLD.html_url IS DISTINCT FROM NEW.html_url
        OR OLD.repo_id IS DISTINCT FROM NEW.repo_id
        OR OLD.is_pull_request IS DISTINCT FROM NEW.is_pull_request
        OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION github_issue_contribution();
CREATE TRIGGER github_issue_contribution_delete AFTER DELETE ON github_issue
    FOR EACH ROW EXECUTE FUNCTION github_issue_contribution();

-- Contributions of the rows mirrored before this migration.
INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
SELECT
    'gerrit',
    m.instance,
    'change',
    CAST(m.number AS TEXT),
    lower(m.owner_username),
    m.created_at,
    COALESCE(m.status, ''),
    COALESCE(m.subject, ''),
    '',
    COALESCE(m.project, ''),
    '',
    m.change_id,
    true,
    true
FROM gerrit_change m
WHERE m.deleted_at IS NULL AND m.owner_username IS NOT NULL AND m.created_at IS NOT NULL;
INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
SELECT
    'phabricator',
    m.instance,
    'task',
    CAST(m.id AS TEXT),
    m.author_phid,
    m.created_at,
    COALESCE(m.status_name, m.status, ''),
    COALESCE(m.title, ''),
    '',
    '',
    '',
    NULL,
    true,
    COALESCE(m.owner_phid = m.author_phid, false)
FROM phabricator_task m
WHERE m.deleted_at IS NULL AND m.author_phid IS NOT NULL AND m.created_at IS NOT NULL;
INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
SELECT
    'phabricator',
    m.instance,
    'task',
    CAST(m.id AS TEXT),
    m.owner_phid,
    m.created_at,
    COALESCE(m.status_name, m.status, ''),
    COALESCE(m.title, ''),
    '',
    '',
    '',
    NULL,
    false,
    true
FROM phabricator_task m
WHERE m.deleted_at IS NULL AND m.owner_phid IS NOT NULL AND m.owner_phid IS DISTINCT FROM m.author_phid AND m.created_at IS NOT NULL;
INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
SELECT
    'github',
    'github',
    'commit',
    m.sha,
    lower(m.author_login),
    m.committer_date,
    'merged',
    rtrim(split_part(COALESCE(m.message, ''), E'\n', 1), E'\r'),
    COALESCE(m.html_url, ''),
    COALESCE(m.repo_full_name, ''),
    lower(split_part(COALESCE(m.repo_full_name, ''), '/', 1)),
    m.change_id,
    true,
    true
FROM github_commit m
WHERE m.deleted_at IS NULL AND m.author_login IS NOT NULL AND m.committer_date IS NOT NULL;
INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
SELECT
    'github',
    'github',
    'pull_request',
    CAST(m.id AS TEXT),
    lower(m.user_login),
    m.merged_at,
    'merged',
    COALESCE(m.title, ''),
    COALESCE(m.html_url, ''),
    COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = m.base_repo_id), ''),
    lower(split_part(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = m.base_repo_id), ''), '/', 1)),
    NULL,
    true,
    true
FROM github_pull_request m
WHERE m.deleted_at IS NULL AND m.user_login IS NOT NULL AND m.merged_at IS NOT NULL;
INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
SELECT
    'github',
    'github',
    'issue',
    CAST(m.id AS TEXT),
    lower(m.user_login),
    m.created_at,
    COALESCE(m.state, ''),
    COALESCE(m.title, ''),
    COALESCE(m.html_url, ''),
    COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = m.repo_id), ''),
    lower(split_part(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = m.repo_id), ''), '/', 1)),
    NULL,
    true,
    false
FROM github_issue m
WHERE m.deleted_at IS NULL AND m.user_login IS NOT NULL AND m.created_at IS NOT NULL AND NOT COALESCE(m.is_pull_request, false);
