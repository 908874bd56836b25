-- River's index on river_job.kind serves listing jobs by kind (River UI's
-- JobKindList and JobList's kind filter, rivertest's assertions); neither
-- this app nor River's own work (v0.51.2: fetching, completing, the
-- maintenance services) reads by kind. Since a job's state is indexed, each
-- of its three writes is a new row version that went into this index too:
-- two of the eleven WAL records of an evaluation job's fetch and completion
-- (BENCHMARKS.md, issue 18, eighteenth session). The store tells River's
-- reindexer not to look for it (store.go). A River upgrade must be checked
-- against this, as against 0022.
DROP INDEX IF EXISTS river_job_kind;
