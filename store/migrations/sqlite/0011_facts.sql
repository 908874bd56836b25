-- What the app knows without asking GitHub (docs/api-budget.md).
--
-- fact_versions: a counter per scope of cached GitHub reads, bumped by the
-- events that can change them: "base:<repo id>:<branch>" by a push changing
-- the policy, a template or CODEOWNERS on that branch; "org:<owner>" by a
-- push changing the organisation default; "teams:<org>" by membership and
-- team events. A process caches a read under the version it saw before
-- reading, so a bump by any replica makes every replica read again.
CREATE TABLE fact_versions (
    scope   TEXT PRIMARY KEY,
    version INTEGER NOT NULL
) STRICT;

-- pr_reviews: the reviews of a pull request as an evaluation last read them
-- (or none, recorded by its opened event), valid while no review event came
-- after: review_events counts the review deliveries (submitted, edited,
-- dismissed) and reopenings; reviews_for is that count when reviews was
-- read (-1: never).
CREATE TABLE pr_reviews (
    repo_id       INTEGER NOT NULL,
    number        INTEGER NOT NULL,
    review_events INTEGER NOT NULL DEFAULT 0,
    reviews       BLOB,
    reviews_for   INTEGER NOT NULL DEFAULT -1,
    read_at       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repo_id, number)
) STRICT;

-- pr_snapshots: the pull request as the newest payload (or read) showed it:
-- the fields an evaluation reads (JSON) and GitHub's updated_at of them. A
-- payload replaces an older one; one with the same updated_at and other
-- content leaves it distrusted (trusted = 0), as does a payload too old to
-- trust or a write of the app's own (reviewers requested). An evaluation
-- reads GitHub only when it is distrusted, older than an hour, or missing.
CREATE TABLE pr_snapshots (
    repo_id     INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    pr          BLOB NOT NULL,
    updated_at  INTEGER NOT NULL,
    trusted     INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (repo_id, number)
) STRICT;
