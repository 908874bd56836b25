-- A commit's check run is written by one job at a time across pull requests
-- and replicas. The lease lives on the check run's own record, so taking it
-- also claims the record (before the check run is created) and reads it, and
-- recording what was written gives it back: two writes where the leases table
-- needed five (docs/capacity.md, eleventh session).
ALTER TABLE github_objects ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE github_objects ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
-- Dropped rather than left unused: a replica of an older version still
-- publishing under the old lease fails (and its job is retried) instead of
-- writing beside a newer one without mutual exclusion.
DROP TABLE leases;
