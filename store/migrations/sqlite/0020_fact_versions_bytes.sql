-- SQLite compares text byte by byte, so the primary key already serves the
-- range of scopes an evaluation reads (postgres/0020); nothing to add.
SELECT 1;
