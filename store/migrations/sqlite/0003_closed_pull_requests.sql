-- When each pull request closed, so that what the store keeps for it can be
-- pruned some time later (PruneClosed). closed_at is NULL once it reopened;
-- changed_at is the time of the event that set the row, so an event that
-- GitHub delivers late never undoes a newer one.
CREATE TABLE pull_requests_closed (
    repo_id    INTEGER NOT NULL,
    number     INTEGER NOT NULL,
    closed_at  INTEGER,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (repo_id, number)
) STRICT;
CREATE INDEX pull_requests_closed_at_idx ON pull_requests_closed (closed_at) WHERE closed_at IS NOT NULL;

-- PruneClosed deletes a pull request's review requests by repo_id and number.
CREATE INDEX review_requests_pr_idx ON review_requests (repo_id, number);
