-- VerdictsOn reads a head's verdicts in pull-request order. With an index on
-- (repo_id, head_sha) only, SQLite, which keeps no statistics, chose the
-- primary key (repo_id, number) to save the sort and read every verdict of
-- the repository. The number in the index serves both the filter and the
-- order.
DROP INDEX verdicts_head_idx;
CREATE INDEX verdicts_head_idx ON verdicts (repo_id, head_sha, number);
