-- SQLite has no TOAST: a payload stays in its row's page, spilling into
-- overflow pages only past one page (postgres/0021); nothing to change.
SELECT 1;
