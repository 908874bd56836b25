-- post_started_at (micros, 0 = none) is when a sender began a
-- chat.postMessage whose outcome it has not recorded yet: a message found
-- with it set was perhaps delivered by a sender that died, and is looked
-- up in Slack before it is sent again (package notify, sender.go).
ALTER TABLE notify_outbox ADD COLUMN post_started_at BIGINT NOT NULL DEFAULT 0;

-- One row per pull request and person asked to review it: gen counts the
-- distinct requests (a new one after a review or a removal), so that each
-- request is told once, and a re-request again. asked is 1 while the
-- request stands.
CREATE TABLE notify_requests (
    repo_id BIGINT  NOT NULL,
    number  INTEGER NOT NULL,
    login   TEXT    NOT NULL,
    gen     INTEGER NOT NULL,
    asked   INTEGER NOT NULL,
    PRIMARY KEY (repo_id, number, login)
);
