-- forgedb schema 0008: last_replicated_at on every replicated table: the later of
-- last_replicated_via_webhook_at and last_replicated_via_api_at (NULL when both are), computed by
-- the database so that it can never disagree with them. The tables of 0007 have it from the start.
ALTER TABLE github_user ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE github_repository ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE github_user_repository_association ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE github_repository_hook ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE github_milestone ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE github_pull_request ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE github_pull_request_file ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE github_issue ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE github_issue_label ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE github_issue_comment ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE github_pull_request_review ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE github_pull_request_review_comment ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE gerrit_account ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE gerrit_change ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE gerrit_revision ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE phabricator_user ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE phabricator_task ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE phabricator_revision ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
ALTER TABLE github_commit ADD COLUMN last_replicated_at TIMESTAMPTZ GENERATED ALWAYS AS (
    GREATEST(last_replicated_via_webhook_at, last_replicated_via_api_at)) STORED;
