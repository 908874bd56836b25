-- An evaluation reads the versions of every scope of its repository's base
-- branches at once ("base:<repo id>:" and any branch), a range of scopes
-- compared byte by byte. The primary key follows the database's collation,
-- which may not order by bytes, so the range has an index of its own.
CREATE INDEX fact_versions_scope_bytes ON fact_versions (scope COLLATE "C");
