-- The notification outbox (package notify): each chat message or GitHub
-- mention comment, written before it is sent. key is its idempotency key
-- (pull request, event, person or destination, clock generation): a second
-- enqueue of the same message is a no-op. A sender leases due pending rows
-- (owner, lease_until in micros), sends, then marks them sent with where
-- they went (sent_channel, sent_ts), so that "reviewed" can edit them in
-- place. state: pending, sent, failed (a refusal that no retry cures),
-- dropped (the pull request closed, or was reviewed, before it went out).
CREATE TABLE notify_outbox (
    id              BIGSERIAL PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    installation_id BIGINT NOT NULL,
    repo_id         BIGINT NOT NULL,
    owner_login     TEXT NOT NULL,
    repo            TEXT NOT NULL,
    number          INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    person          TEXT NOT NULL,
    dest            TEXT NOT NULL,
    payload         BYTEA NOT NULL,
    state           TEXT NOT NULL,
    due_at          BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     BIGINT NOT NULL DEFAULT 0,
    sent_channel    TEXT NOT NULL DEFAULT '',
    sent_ts         TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notify_outbox_due_idx ON notify_outbox (state, due_at);
CREATE INDEX notify_outbox_pr_idx ON notify_outbox (repo_id, number);

-- What the digests need to know of each pull request, written by every
-- evaluation: title, author, requested reviewers, deadline, the people and
-- digest settings of its policy (package notify's Snapshot, as JSON).
-- open is false once it closed; reviewed_at/reviewed_after (micros) give
-- the week's time to first review.
CREATE TABLE notify_prs (
    repo_id         BIGINT NOT NULL,
    number          INTEGER NOT NULL,
    installation_id BIGINT NOT NULL,
    snapshot        BYTEA NOT NULL,
    open            BOOLEAN NOT NULL,
    reviewed_at     BIGINT NOT NULL DEFAULT 0,
    reviewed_after  BIGINT NOT NULL DEFAULT 0,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (repo_id, number)
);
CREATE INDEX notify_prs_open_idx ON notify_prs (open);
