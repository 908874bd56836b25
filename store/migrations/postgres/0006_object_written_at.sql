-- When the app last wrote an object, so the commit-level ones (a check run
-- per head SHA or merge group, number 0) can be pruned once no open pull
-- request has that head any more.
ALTER TABLE github_objects ADD COLUMN written_at BIGINT NOT NULL DEFAULT 0;
