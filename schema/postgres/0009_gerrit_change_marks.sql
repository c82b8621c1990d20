-- forgedb schema 0009: two marks on a Gerrit change.
-- unreadable_at: the configured reader can no longer see the change. Gerrit answers a missing
-- change and a change hidden from the reader (private, a draft, a permission lost) alike; the
-- mirror keeps such a change, with the time it was first found unreadable.
-- last_event_at: the time of the newest event applied to the change, so that an older event
-- delivered later is stale even when no event carried the change's own update time.
ALTER TABLE gerrit_change ADD COLUMN unreadable_at TIMESTAMPTZ;
ALTER TABLE gerrit_change ADD COLUMN last_event_at TIMESTAMPTZ;
