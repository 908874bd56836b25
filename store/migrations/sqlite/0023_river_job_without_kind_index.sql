-- As postgres/0023: River's index on river_job.kind serves only listing
-- jobs by kind, which neither this app nor River's own work does, and every
-- job's insert and state changes write it.
DROP INDEX IF EXISTS river_job_kind;
