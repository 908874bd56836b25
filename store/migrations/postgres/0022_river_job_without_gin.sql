-- River's job table comes with GIN indexes on args and metadata, which serve
-- queries by JSON containment (JobList's metadata filter, River UI's). This
-- app makes none, and River's own work (v0.51.2) none either. Every job is
-- written three times (inserted, fetched, completed), each time as a new row
-- version, since its indexed state changes, and each version went into both
-- GIN indexes: over a quarter of the time PostgreSQL spent in River's
-- statements (BENCHMARKS.md, issue 18, sixteenth session). The store tells
-- River's reindexer not to look for them (store.go). A River upgrade must be
-- checked against this.
DROP INDEX IF EXISTS river_job_args_index;
DROP INDEX IF EXISTS river_job_metadata_index;
