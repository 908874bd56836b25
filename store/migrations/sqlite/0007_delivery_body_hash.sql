-- A hash of each delivery's body, so the same signed body under a new
-- delivery ID (a captured delivery replayed) is refused while the delivery
-- is kept (handlers.DeliveryRetention). GitHub's "Redeliver" reuses the ID,
-- which the primary key recognises. NULL for rows from before and for
-- deliveries recorded without one; a unique index admits many NULLs.
ALTER TABLE deliveries ADD COLUMN body_hash BLOB;
CREATE UNIQUE INDEX deliveries_body_hash_idx ON deliveries (body_hash);
