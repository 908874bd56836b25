-- The effects of an SLA event (the escalation's review requests), recorded
-- as done only once they exist. Until then a job holds a lease: owner is
-- the job ('job:<id>'), which a retry of the same job may take again, and
-- lease_until (micros) after which another job may take it over.
CREATE TABLE sla_effects (
    repo_id     INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    generation  INTEGER NOT NULL,
    event       TEXT NOT NULL,
    owner       TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    done        INTEGER NOT NULL, -- 0 or 1
    PRIMARY KEY (repo_id, number, generation, event)
) STRICT;
