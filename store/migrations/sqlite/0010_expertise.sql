-- Who changed and who reviewed which directories of a repository, for the
-- expertise strategy. One row per pull request, person, directory and kind
-- (1 review, 2 change), so a redelivered event or a repeated backfill page
-- adds nothing. at is when it happened, in microseconds.
CREATE TABLE expertise_rows (
    repo_id INTEGER NOT NULL,
    number  INTEGER NOT NULL,
    login   TEXT NOT NULL,
    dir     TEXT NOT NULL,
    kind    INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (repo_id, number, login, dir, kind)
) STRICT;
CREATE INDEX expertise_rows_at_idx ON expertise_rows (repo_id, at);

-- Progress of reading a repository's earlier merged pull requests, so a
-- restart resumes where it stopped. done_at is 0 until it is finished.
CREATE TABLE expertise_backfill (
    repo_id     INTEGER PRIMARY KEY,
    next_page   INTEGER NOT NULL DEFAULT 1,
    pulls_seen  INTEGER NOT NULL DEFAULT 0,
    done_at     INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
) STRICT;
