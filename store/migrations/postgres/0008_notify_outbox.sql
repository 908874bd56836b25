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
