-- A stored payload is zstd-compressed (store/payload.go), 3-4 KB for a pull
-- request's, over the 2 KB at which PostgreSQL moves a row's long values to
-- its TOAST table: each delivery was then a heap row, two TOAST chunks and
-- their index entries, written by the acknowledgement and read back by the
-- move, and every value was first run through PostgreSQL's own compression,
-- which gains nothing on zstd's output. Rows up to a page now stay whole in
-- the heap, and a larger payload goes to TOAST without that attempt.
ALTER TABLE deliveries SET (toast_tuple_target = 8160);
ALTER TABLE deliveries ALTER COLUMN payload SET STORAGE EXTERNAL;
