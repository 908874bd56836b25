-- What the what-if replay (package simulate) read from GitHub about closed
-- pull requests, base commits, blobs and teams, keyed as the simulate
-- package names them: each policy change replayed on a pull request reads
-- only what no earlier one did. written_at lets old answers be pruned.
CREATE TABLE simulate_answers (
    key        TEXT PRIMARY KEY,
    value      BYTEA NOT NULL,
    written_at BIGINT NOT NULL
);
CREATE INDEX simulate_answers_written_idx ON simulate_answers (written_at);
