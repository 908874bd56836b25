-- The head commit of the pull request a snapshot shows, so that an
-- evaluation's first reads also read the record of that head's check run
-- (store/evalreads.go): one statement and round trip fewer for each
-- evaluation. Snapshots written before it have none and are read as before.
ALTER TABLE pr_snapshots ADD COLUMN head_sha TEXT NOT NULL DEFAULT '';
