-- PostgreSQL deliveries acknowledged whose jobs are not enqueued yet. The
-- acknowledgement writes a delivery and its row here in one statement; the
-- enqueuer deletes the row in the transaction that enqueues the job
-- (store/enqueuer.go), so each recorded delivery gets exactly one job.
CREATE TABLE deliveries_unqueued (
    seq             BIGSERIAL PRIMARY KEY,
    id              TEXT NOT NULL,
    event           TEXT NOT NULL,
    installation_id BIGINT NOT NULL
);
