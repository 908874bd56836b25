-- The River job of a pull request's evaluation that waits and has not
-- started (0: none). A request made meanwhile enqueues no job of its own:
-- that one covers it when it starts (store.RequestEvaluation).
ALTER TABLE pr_evaluations ADD COLUMN queued_job BIGINT NOT NULL DEFAULT 0;
