-- contribution, stored in the order it is read: one person's rows on one platform, by time.
-- A WITHOUT ROWID table keeps its rows in its primary key's b-tree, so a window of one account is
-- one contiguous range with every column at hand (no second lookup per row, as the index of 0003
-- needed). The key of 0003 stays unique as an index: the triggers find rows by it.
-- The triggers of 0003 name `contribution`; the legacy rename leaves them as they are, and they
-- resolve to the new table by that name.
PRAGMA legacy_alter_table = ON;
CREATE TABLE contribution_clustered (
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
    PRIMARY KEY (account, platform, instance, time, kind, source_id)
) WITHOUT ROWID;
INSERT INTO contribution_clustered (platform, instance, kind, source_id, account, time, status,
                                    title, url, project, repo_owner, change_id, authored, assigned)
SELECT platform, instance, kind, source_id, account, time, status, title, url, project, repo_owner,
       change_id, authored, assigned
FROM contribution
ORDER BY account, platform, instance, time, kind, source_id;
DROP TABLE contribution;
ALTER TABLE contribution_clustered RENAME TO contribution;
CREATE UNIQUE INDEX contribution_source ON contribution (platform, instance, kind, source_id, account);
PRAGMA legacy_alter_table = OFF;
