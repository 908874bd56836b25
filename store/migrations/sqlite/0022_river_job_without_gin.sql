-- River's SQLite schema has no GIN indexes to drop (postgres/0022).
SELECT 1;
