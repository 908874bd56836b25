-- The teams a pull request's review is requested from now (slugs,
-- lower-cased, comma-separated), beside the people in requested, so the
-- overview counts a team's open requests.
ALTER TABLE pr_history ADD COLUMN requested_teams TEXT NOT NULL DEFAULT '';
