-- SQLite stores contribution clustered by (account, platform, instance, time) from this migration
-- on. PostgreSQL keeps its heap and the (account, platform, instance, time) index of 0003: it has
-- no clustered tables that stay clustered. Nothing changes here; the migration exists so that both
-- dialects count the same migrations.
SELECT 1;
