-- forgedb schema 0003: GitHub commits and the contributions read model.
--
-- github_commit mirrors commits (push webhooks and the REST API). `contribution` holds one row per
-- contribution and account, kept equal to the mirror by the triggers below on every INSERT, UPDATE
-- and DELETE of gerrit_change, phabricator_task, github_commit, github_pull_request and
-- github_issue (a row with a tombstone has no contributions). One person's window is a range read
-- on contribution_account. See docs/schema.md.

CREATE TABLE github_commit (
    sha TEXT PRIMARY KEY,
    repo_id INTEGER,
    repo_full_name TEXT,
    author_login TEXT,
    author_id INTEGER,
    author_name TEXT,
    author_email TEXT,
    author_date TEXT,
    committer_login TEXT,
    committer_date TEXT,
    message TEXT,
    html_url TEXT,
    change_id TEXT,
    raw TEXT,
    last_replicated_via_webhook_at TEXT,
    last_replicated_via_api_at TEXT,
    deleted_at TEXT
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
    time TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    project TEXT NOT NULL,
    repo_owner TEXT NOT NULL,
    change_id TEXT,
    authored INTEGER NOT NULL,
    assigned INTEGER NOT NULL,
    PRIMARY KEY (platform, instance, kind, source_id, account)
);
CREATE INDEX contribution_account ON contribution (account, platform, instance, time);
-- gerrit_change -> contribution
CREATE TRIGGER gerrit_change_contribution_insert AFTER INSERT ON gerrit_change
WHEN (NEW.deleted_at IS NULL AND NEW.owner_username IS NOT NULL AND NEW.created_at IS NOT NULL)
BEGIN
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
        1,
        1
    WHERE NEW.deleted_at IS NULL AND NEW.owner_username IS NOT NULL AND NEW.created_at IS NOT NULL;
END;
CREATE TRIGGER gerrit_change_contribution_update AFTER UPDATE ON gerrit_change
WHEN OLD.instance IS NOT NEW.instance
    OR OLD.number IS NOT NEW.number
    OR OLD.owner_username IS NOT NEW.owner_username
    OR OLD.created_at IS NOT NEW.created_at
    OR OLD.status IS NOT NEW.status
    OR OLD.subject IS NOT NEW.subject
    OR OLD.project IS NOT NEW.project
    OR OLD.change_id IS NOT NEW.change_id
    OR OLD.deleted_at IS NOT NEW.deleted_at
BEGIN
    DELETE FROM contribution WHERE platform = 'gerrit' AND instance = OLD.instance AND kind = 'change' AND source_id = CAST(OLD.number AS TEXT);
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
        1,
        1
    WHERE NEW.deleted_at IS NULL AND NEW.owner_username IS NOT NULL AND NEW.created_at IS NOT NULL;
END;
CREATE TRIGGER gerrit_change_contribution_delete AFTER DELETE ON gerrit_change
BEGIN
    DELETE FROM contribution WHERE platform = 'gerrit' AND instance = OLD.instance AND kind = 'change' AND source_id = CAST(OLD.number AS TEXT);
END;

-- phabricator_task -> contribution
CREATE TRIGGER phabricator_task_contribution_insert AFTER INSERT ON phabricator_task
WHEN (NEW.deleted_at IS NULL AND NEW.author_phid IS NOT NULL AND NEW.created_at IS NOT NULL)
    OR (NEW.deleted_at IS NULL AND NEW.owner_phid IS NOT NULL AND NEW.owner_phid IS NOT NEW.author_phid AND NEW.created_at IS NOT NULL)
BEGIN
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
        1,
        COALESCE(NEW.owner_phid = NEW.author_phid, 0)
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
        0,
        1
    WHERE NEW.deleted_at IS NULL AND NEW.owner_phid IS NOT NULL AND NEW.owner_phid IS NOT NEW.author_phid AND NEW.created_at IS NOT NULL;
END;
CREATE TRIGGER phabricator_task_contribution_update AFTER UPDATE ON phabricator_task
WHEN OLD.instance IS NOT NEW.instance
    OR OLD.id IS NOT NEW.id
    OR OLD.author_phid IS NOT NEW.author_phid
    OR OLD.owner_phid IS NOT NEW.owner_phid
    OR OLD.created_at IS NOT NEW.created_at
    OR OLD.status IS NOT NEW.status
    OR OLD.status_name IS NOT NEW.status_name
    OR OLD.title IS NOT NEW.title
    OR OLD.deleted_at IS NOT NEW.deleted_at
BEGIN
    DELETE FROM contribution WHERE platform = 'phabricator' AND instance = OLD.instance AND kind = 'task' AND source_id = CAST(OLD.id AS TEXT);
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
        1,
        COALESCE(NEW.owner_phid = NEW.author_phid, 0)
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
        0,
        1
    WHERE NEW.deleted_at IS NULL AND NEW.owner_phid IS NOT NULL AND NEW.owner_phid IS NOT NEW.author_phid AND NEW.created_at IS NOT NULL;
END;
CREATE TRIGGER phabricator_task_contribution_delete AFTER DELETE ON phabricator_task
BEGIN
    DELETE FROM contribution WHERE platform = 'phabricator' AND instance = OLD.instance AND kind = 'task' AND source_id = CAST(OLD.id AS TEXT);
END;

-- github_commit -> contribution
CREATE TRIGGER github_commit_contribution_insert AFTER INSERT ON github_commit
WHEN (NEW.deleted_at IS NULL AND NEW.author_login IS NOT NULL AND NEW.committer_date IS NOT NULL)
BEGIN
    INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
    SELECT
        'github',
        'github',
        'commit',
        NEW.sha,
        lower(NEW.author_login),
        NEW.committer_date,
        'merged',
        rtrim(CASE WHEN instr(COALESCE(NEW.message, ''), char(10)) > 0 THEN substr(NEW.message, 1, instr(NEW.message, char(10)) - 1) ELSE COALESCE(NEW.message, '') END, char(13)),
        COALESCE(NEW.html_url, ''),
        COALESCE(NEW.repo_full_name, ''),
        lower(CASE WHEN instr(COALESCE(NEW.repo_full_name, ''), '/') > 0 THEN substr(COALESCE(NEW.repo_full_name, ''), 1, instr(COALESCE(NEW.repo_full_name, ''), '/') - 1) ELSE COALESCE(NEW.repo_full_name, '') END),
        NEW.change_id,
        1,
        1
    WHERE NEW.deleted_at IS NULL AND NEW.author_login IS NOT NULL AND NEW.committer_date IS NOT NULL;
END;
CREATE TRIGGER github_commit_contribution_update AFTER UPDATE ON github_commit
WHEN OLD.sha IS NOT NEW.sha
    OR OLD.author_login IS NOT NEW.author_login
    OR OLD.committer_date IS NOT NEW.committer_date
    OR OLD.message IS NOT NEW.message
    OR OLD.html_url IS NOT NEW.html_url
    OR OLD.repo_full_name IS NOT NEW.repo_full_name
    OR OLD.change_id IS NOT NEW.change_id
    OR OLD.deleted_at IS NOT NEW.deleted_at
BEGIN
    DELETE FROM contribution WHERE platform = 'github' AND instance = 'github' AND kind = 'commit' AND source_id = OLD.sha;
    INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
    SELECT
        'github',
        'github',
        'commit',
        NEW.sha,
        lower(NEW.author_login),
        NEW.committer_date,
        'merged',
        rtrim(CASE WHEN instr(COALESCE(NEW.message, ''), char(10)) > 0 THEN substr(NEW.message, 1, instr(NEW.message, char(10)) - 1) ELSE COALESCE(NEW.message, '') END, char(13)),
        COALESCE(NEW.html_url, ''),
        COALESCE(NEW.repo_full_name, ''),
        lower(CASE WHEN instr(COALESCE(NEW.repo_full_name, ''), '/') > 0 THEN substr(COALESCE(NEW.repo_full_name, ''), 1, instr(COALESCE(NEW.repo_full_name, ''), '/') - 1) ELSE COALESCE(NEW.repo_full_name, '') END),
        NEW.change_id,
        1,
        1
    WHERE NEW.deleted_at IS NULL AND NEW.author_login IS NOT NULL AND NEW.committer_date IS NOT NULL;
END;
CREATE TRIGGER github_commit_contribution_delete AFTER DELETE ON github_commit
BEGIN
    DELETE FROM contribution WHERE platform = 'github' AND instance = 'github' AND kind = 'commit' AND source_id = OLD.sha;
END;

-- github_pull_request -> contribution
CREATE TRIGGER github_pull_request_contribution_insert AFTER INSERT ON github_pull_request
WHEN (NEW.deleted_at IS NULL AND NEW.user_login IS NOT NULL AND NEW.merged_at IS NOT NULL)
BEGIN
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
        lower(CASE WHEN instr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.base_repo_id), ''), '/') > 0 THEN substr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.base_repo_id), ''), 1, instr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.base_repo_id), ''), '/') - 1) ELSE COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.base_repo_id), '') END),
        NULL,
        1,
        1
    WHERE NEW.deleted_at IS NULL AND NEW.user_login IS NOT NULL AND NEW.merged_at IS NOT NULL;
END;
CREATE TRIGGER github_pull_request_contribution_update AFTER UPDATE ON github_pull_request
WHEN OLD.id IS NOT NEW.id
    OR OLD.user_login IS NOT NEW.user_login
    OR OLD.merged_at IS NOT NEW.merged_at
    OR OLD.title IS NOT NEW.title
    OR OLD.html_url IS NOT NEW.html_url
    OR OLD.base_repo_id IS NOT NEW.base_repo_id
    OR OLD.deleted_at IS NOT NEW.deleted_at
BEGIN
    DELETE FROM contribution WHERE platform = 'github' AND instance = 'github' AND kind = 'pull_request' AND source_id = CAST(OLD.id AS TEXT);
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
        lower(CASE WHEN instr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.base_repo_id), ''), '/') > 0 THEN substr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.base_repo_id), ''), 1, instr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.base_repo_id), ''), '/') - 1) ELSE COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.base_repo_id), '') END),
        NULL,
        1,
        1
    WHERE NEW.deleted_at IS NULL AND NEW.user_login IS NOT NULL AND NEW.merged_at IS NOT NULL;
END;
CREATE TRIGGER github_pull_request_contribution_delete AFTER DELETE ON github_pull_request
BEGIN
    DELETE FROM contribution WHERE platform = 'github' AND instance = 'github' AND kind = 'pull_request' AND source_id = CAST(OLD.id AS TEXT);
END;

-- github_issue -> contribution
CREATE TRIGGER github_issue_contribution_insert AFTER INSERT ON github_issue
WHEN (NEW.deleted_at IS NULL AND NEW.user_login IS NOT NULL AND NEW.created_at IS NOT NULL AND COALESCE(NEW.is_pull_request, 0) = 0)
BEGIN
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
        lower(CASE WHEN instr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.repo_id), ''), '/') > 0 THEN substr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.repo_id), ''), 1, instr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.repo_id), ''), '/') - 1) ELSE COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.repo_id), '') END),
        NULL,
        1,
        0
    WHERE NEW.deleted_at IS NULL AND NEW.user_login IS NOT NULL AND NEW.created_at IS NOT NULL AND COALESCE(NEW.is_pull_request, 0) = 0;
END;
CREATE TRIGGER github_issue_contribution_update AFTER UPDATE ON github_issue
WHEN OLD.id IS NOT NEW.id
    OR OLD.user_login IS NOT NEW.user_login
    OR OLD.created_at IS NOT NEW.created_at
    OR OLD.state IS NOT NEW.state
    OR OLD.title IS NOT NEW.title
    OR OLD.html_url IS NOT NEW.html_url
    OR OLD.repo_id IS NOT NEW.repo_id
    OR OLD.is_pull_request IS NOT NEW.is_pull_request
    OR OLD.deleted_at IS NOT NEW.deleted_at
BEGIN
    DELETE FROM contribution WHERE platform = 'github' AND instance = 'github' AND kind = 'issue' AND source_id = CAST(OLD.id AS TEXT);
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
        lower(CASE WHEN instr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.repo_id), ''), '/') > 0 THEN substr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.repo_id), ''), 1, instr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.repo_id), ''), '/') - 1) ELSE COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = NEW.repo_id), '') END),
        NULL,
        1,
        0
    WHERE NEW.deleted_at IS NULL AND NEW.user_login IS NOT NULL AND NEW.created_at IS NOT NULL AND COALESCE(NEW.is_pull_request, 0) = 0;
END;
CREATE TRIGGER github_issue_contribution_delete AFTER DELETE ON github_issue
BEGIN
    DELETE FROM contribution WHERE platform = 'github' AND instance = 'github' AND kind = 'issue' AND source_id = CAST(OLD.id AS TEXT);
END;

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
    1,
    1
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
    1,
    COALESCE(m.owner_phid = m.author_phid, 0)
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
    0,
    1
FROM phabricator_task m
WHERE m.deleted_at IS NULL AND m.owner_phid IS NOT NULL AND m.owner_phid IS NOT m.author_phid AND m.created_at IS NOT NULL;
INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner, change_id, authored, assigned)
SELECT
    'github',
    'github',
    'commit',
    m.sha,
    lower(m.author_login),
    m.committer_date,
    'merged',
    rtrim(CASE WHEN instr(COALESCE(m.message, ''), char(10)) > 0 THEN substr(m.message, 1, instr(m.message, char(10)) - 1) ELSE COALESCE(m.message, '') END, char(13)),
    COALESCE(m.html_url, ''),
    COALESCE(m.repo_full_name, ''),
    lower(CASE WHEN instr(COALESCE(m.repo_full_name, ''), '/') > 0 THEN substr(COALESCE(m.repo_full_name, ''), 1, instr(COALESCE(m.repo_full_name, ''), '/') - 1) ELSE COALESCE(m.repo_full_name, '') END),
    m.change_id,
    1,
    1
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
    lower(CASE WHEN instr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = m.base_repo_id), ''), '/') > 0 THEN substr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = m.base_repo_id), ''), 1, instr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = m.base_repo_id), ''), '/') - 1) ELSE COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = m.base_repo_id), '') END),
    NULL,
    1,
    1
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
    lower(CASE WHEN instr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = m.repo_id), ''), '/') > 0 THEN substr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = m.repo_id), ''), 1, instr(COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = m.repo_id), ''), '/') - 1) ELSE COALESCE((SELECT r.full_name FROM github_repository r WHERE r.id = m.repo_id), '') END),
    NULL,
    1,
    0
FROM github_issue m
WHERE m.deleted_at IS NULL AND m.user_login IS NOT NULL AND m.created_at IS NOT NULL AND COALESCE(m.is_pull_request, 0) = 0;
