-- Initial schema (PostgreSQL). Keep in step with ../sqlite/0001_init.sql: the
-- tables and columns are the same, only the type names differ.
--
-- Times are Unix microseconds (UTC) in BIGINT columns on both engines, so every
-- query and scan is shared and comparisons never depend on a text format.

-- Webhook deliveries, keyed by X-GitHub-Delivery so redeliveries are recognised.
CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    event           TEXT NOT NULL,
    action          TEXT NOT NULL,
    installation_id BIGINT NOT NULL,
    payload         BYTEA NOT NULL,
    received_at     BIGINT NOT NULL
);
CREATE INDEX deliveries_received_at_idx ON deliveries (received_at);

-- GitHub objects the app created (check run per head SHA, sticky comment), so
-- it updates them instead of creating duplicates.
CREATE TABLE github_objects (
    repo_id   BIGINT NOT NULL,
    number    INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    PRIMARY KEY (repo_id, number, kind)
);

-- Open review requests; a reviewer's load is the count of their rows.
CREATE TABLE review_requests (
    installation_id BIGINT NOT NULL,
    repo_id         BIGINT NOT NULL,
    number          INTEGER NOT NULL,
    login           TEXT NOT NULL, -- lower-cased
    requested_at    BIGINT NOT NULL,
    PRIMARY KEY (installation_id, repo_id, number, login)
);
CREATE INDEX review_requests_login_idx ON review_requests (installation_id, login);

-- When a reviewer was last requested; outlives the request itself.
CREATE TABLE reviewer_activity (
    installation_id BIGINT NOT NULL,
    login           TEXT NOT NULL, -- lower-cased
    last_requested  BIGINT NOT NULL,
    PRIMARY KEY (installation_id, login)
);

-- Reviewers a human removed from a pull request: never re-request them there.
CREATE TABLE removed_reviewers (
    repo_id BIGINT NOT NULL,
    number  INTEGER NOT NULL,
    login   TEXT NOT NULL, -- lower-cased
    PRIMARY KEY (repo_id, number, login)
);

-- Reviewer rules already applied to a pull request.
CREATE TABLE done_rules (
    repo_id BIGINT NOT NULL,
    number  INTEGER NOT NULL,
    rule    TEXT NOT NULL,
    PRIMARY KEY (repo_id, number, rule)
);

-- Round-robin position per rule; advanced by compare-and-swap.
CREATE TABLE rotations (
    installation_id BIGINT NOT NULL,
    repo_id         BIGINT NOT NULL,
    rule            TEXT NOT NULL,
    position        INTEGER NOT NULL,
    PRIMARY KEY (installation_id, repo_id, rule)
);

-- SLA clock per pull request; state is an opaque JSON blob owned by policy/sla.
CREATE TABLE sla_clocks (
    repo_id         BIGINT NOT NULL,
    number          INTEGER NOT NULL,
    installation_id BIGINT NOT NULL,
    owner           TEXT NOT NULL,
    repo            TEXT NOT NULL,
    state           BYTEA NOT NULL,
    generation      INTEGER NOT NULL,
    waiting         BOOLEAN NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (repo_id, number)
);
CREATE INDEX sla_clocks_waiting_idx ON sla_clocks (repo_id) WHERE waiting;

-- Exactly-once markers for SLA events (reminder sent, breach reported, ...).
CREATE TABLE sla_events (
    repo_id    BIGINT NOT NULL,
    number     INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    event      TEXT NOT NULL,
    PRIMARY KEY (repo_id, number, generation, event)
);
