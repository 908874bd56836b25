-- Why a reviewer is off a pull request: '' a person removed them; else the
-- app withdrew its own request, and this says why ("withdrawn after 8h
-- without a response"), for the check's shortfall notes.
ALTER TABLE removed_reviewers ADD COLUMN why TEXT NOT NULL DEFAULT '';

-- Progress of a comment's commands: 'recorded' until their actions (the
-- answer, a reassign's withdrawal) are done, then 'done', so a redelivery
-- or a retry finishes what a crash left. claimed_at (microseconds) is when
-- a delivery took them up; another waits out the lease before redoing them.
-- withdraw: the app's request a reassign takes back, chosen when recorded,
-- so a redo never withdraws a second one. why: a refusal's reason, so a
-- redo replies as the first delivery decided.
ALTER TABLE pr_commands ADD COLUMN state TEXT NOT NULL DEFAULT 'done';
ALTER TABLE pr_commands ADD COLUMN claimed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE pr_commands ADD COLUMN withdraw TEXT NOT NULL DEFAULT '';
ALTER TABLE pr_commands ADD COLUMN why TEXT NOT NULL DEFAULT '';

-- 1 once the app request's reassign timer is scheduled, so requests made
-- before reviewers.reassign_after was set get one, once.
ALTER TABLE app_requests ADD COLUMN timer BIGINT NOT NULL DEFAULT 0;
