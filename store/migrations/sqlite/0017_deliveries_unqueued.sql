-- Used on PostgreSQL only (store/enqueuer.go): SQLite's deliveries get their
-- jobs when they leave the inbox (store/inbox.go). Created here too so that
-- both engines have one schema.
CREATE TABLE deliveries_unqueued (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL,
    event           TEXT NOT NULL,
    installation_id BIGINT NOT NULL
);
