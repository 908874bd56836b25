-- Who claimed a rule: a retry of the same job may take its own claim again
-- (its first attempt may have died before asking anyone); '' is a rule
-- covered by reviewers someone already chose.
ALTER TABLE done_rules ADD COLUMN owner TEXT NOT NULL DEFAULT '';
