-- A pull request's history for the web pages (web/): one row per pull
-- request with what its pages and the overview read, and its events. Owner
-- and repo are lower-cased (GitHub's names are case-insensitive). Not in
-- the closed-pull-request prune: analytics look back 12 weeks and more, so
-- retention.history governs them (PruneHistory).
CREATE TABLE pr_history (
    repo_id           INTEGER NOT NULL,
    number            INTEGER NOT NULL,
    installation_id   INTEGER NOT NULL,
    owner             TEXT NOT NULL,
    repo              TEXT NOT NULL,
    title             TEXT NOT NULL DEFAULT '',
    author            TEXT NOT NULL DEFAULT '', -- lower-cased
    state             TEXT NOT NULL DEFAULT 'open', -- open, closed, merged
    draft             INTEGER NOT NULL DEFAULT 0,
    conclusion        TEXT NOT NULL DEFAULT '',
    requested         TEXT NOT NULL DEFAULT '', -- logins requested now, comma-separated
    template_failures TEXT NOT NULL DEFAULT '', -- failing item kinds, comma-separated
    started_at        INTEGER NOT NULL DEFAULT 0, -- SLA clock's first start (micros; 0 none)
    first_review_at   INTEGER NOT NULL DEFAULT 0,
    deadline_at       INTEGER NOT NULL DEFAULT 0,
    breached_at       INTEGER NOT NULL DEFAULT 0,
    closed_at         INTEGER NOT NULL DEFAULT 0,
    snapshot          BLOB NOT NULL DEFAULT x'', -- JSON: the areas as the pull request's page shows them
    updated_at        INTEGER NOT NULL,
    changed_at        INTEGER NOT NULL DEFAULT 0, -- when this row was last written (the writer's clock), for incremental reads
    PRIMARY KEY (repo_id, number)
) STRICT;
CREATE INDEX pr_history_owner_idx ON pr_history (owner, repo, number);
CREATE INDEX pr_history_changed_idx ON pr_history (owner, changed_at);

-- Events of a pull request. key makes a repeated write (a retried job, a
-- redelivery) a no-op: e.g. 'reviewed:<login>:<time>', 'breached:<generation>'.
CREATE TABLE pr_events (
    repo_id INTEGER NOT NULL,
    number  INTEGER NOT NULL,
    owner   TEXT NOT NULL,
    repo    TEXT NOT NULL,
    key     TEXT NOT NULL,
    kind    TEXT NOT NULL, -- ready, requested, unrequested, reviewed, reminded, breached, template, merged, closed
    actor   TEXT NOT NULL DEFAULT '', -- lower-cased login
    detail  TEXT NOT NULL DEFAULT '',
    inside  INTEGER NOT NULL DEFAULT 1, -- reviewed: inside the reviewer's working hours
    at      INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL DEFAULT 0, -- when it was written (the writer's clock), for incremental reads
    PRIMARY KEY (repo_id, number, key)
) STRICT;
CREATE INDEX pr_events_owner_at_idx ON pr_events (owner, at);
CREATE INDEX pr_events_recorded_idx ON pr_events (owner, recorded_at);

-- Members of the teams a policy names, as last read by an evaluation, so
-- the overview filters by team without asking GitHub.
CREATE TABLE team_members (
    owner TEXT NOT NULL,
    team  TEXT NOT NULL, -- slug, lower-cased
    login TEXT NOT NULL, -- lower-cased
    PRIMARY KEY (owner, team, login)
) STRICT;
