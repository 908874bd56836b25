-- One writer per pull request, and coalesced evaluations (see docs/concurrency.md).
-- requested counts the events that asked for an evaluation; done is the
-- highest count an evaluation finished for; covering is what the evaluation
-- holding the lease will set done to. A job whose version is at most done,
-- or at most covering while the lease is held, has nothing left to do.
CREATE TABLE pr_evaluations (
    repo_id     INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    requested   INTEGER NOT NULL DEFAULT 0,
    done        INTEGER NOT NULL DEFAULT 0,
    covering    INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repo_id, number)
) STRICT;

-- Short named leases, e.g. the publication of one commit's check run.
CREATE TABLE leases (
    name  TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- Each open pull request's latest verdict; a commit's check run shows the
-- strictest verdict of the open pull requests whose head it is.
CREATE TABLE verdicts (
    repo_id     INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    head_sha    TEXT NOT NULL,
    base_ref    TEXT NOT NULL,
    report      BLOB NOT NULL, -- JSON of the pull request's check report
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (repo_id, number)
) STRICT;
CREATE INDEX verdicts_head_idx ON verdicts (repo_id, head_sha);

-- What the app last wrote to an object, so an unchanged write is skipped
-- by every replica, not only by the process that wrote it.
ALTER TABLE github_objects ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
