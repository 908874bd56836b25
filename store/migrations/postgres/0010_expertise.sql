-- Who changed and who reviewed which directories of a repository, for the
-- expertise strategy. One row per pull request, person, directory and kind
-- (1 review, 2 change), so a redelivered event or a repeated backfill page
-- adds nothing. at is when it happened, in microseconds.
CREATE TABLE expertise_rows (
    repo_id BIGINT NOT NULL,
    number  BIGINT NOT NULL,
    login   TEXT NOT NULL,
    dir     TEXT NOT NULL,
    kind    BIGINT NOT NULL,
    at      BIGINT NOT NULL,
    PRIMARY KEY (repo_id, number, login, dir, kind)
);
CREATE INDEX expertise_rows_at_idx ON expertise_rows (repo_id, at);

-- Progress of reading a repository's earlier merged pull requests, so a
-- restart resumes where it stopped. done_at is 0 until it is finished.
CREATE TABLE expertise_backfill (
    repo_id     BIGINT PRIMARY KEY,
    next_page   BIGINT NOT NULL DEFAULT 1,
    pulls_seen  BIGINT NOT NULL DEFAULT 0,
    done_at     BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL
);

-- Commands people gave in pull request comments (/reviewpolicy ...), one
-- row per comment line, so a comment delivered twice counts once. ok is 1
-- for a command that was allowed and runs; the evaluation reads those.
CREATE TABLE pr_commands (
    repo_id    BIGINT NOT NULL,
    number     BIGINT NOT NULL,
    comment_id BIGINT NOT NULL,
    line       BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    ok         BIGINT NOT NULL,
    seconds    BIGINT NOT NULL DEFAULT 0, -- snooze: how long
    reason     TEXT NOT NULL DEFAULT '',
    head_sha   TEXT NOT NULL DEFAULT '', -- skip template: the head it was given for
    target     TEXT NOT NULL DEFAULT '', -- reassign: the login named
    at         BIGINT NOT NULL,
    PRIMARY KEY (repo_id, comment_id, line)
);
CREATE INDEX pr_commands_pr_idx ON pr_commands (repo_id, number);

-- One reply per comment: whoever inserts the row writes the reply.
CREATE TABLE pr_command_replies (
    repo_id    BIGINT NOT NULL,
    comment_id BIGINT NOT NULL,
    PRIMARY KEY (repo_id, comment_id)
);

-- Review requests the app made itself (never a person's), for reassignment
-- after reviewers.reassign_after: state is 'open' until the app withdraws it,
-- then 'withdrawn' with why in note.
CREATE TABLE app_requests (
    repo_id      BIGINT NOT NULL,
    number       BIGINT NOT NULL,
    login        TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'open',
    note         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (repo_id, number, login)
);
