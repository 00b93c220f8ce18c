-- 010: order numbers unique across instances, and compensations that know the buyer.
-- Each process takes the next instance number at its first create (lib/orders/order_numbers.ts):
-- a MySQL counter, so a Redis that came back empty cannot hand out a number twice.
CREATE TABLE order_number_instances (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  last_instance BIGINT UNSIGNED NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO order_number_instances (id, last_instance) VALUES (1, 0);

-- The release script gives back only the buyer's own reservation (lua/release.lua): a retried
-- release needs the buyer. Rows written before are backfilled from their orders; a failed
-- create's row has no order, and its retry releases nothing (reconcile releases the stray).
ALTER TABLE compensations ADD COLUMN user_id BIGINT UNSIGNED NULL AFTER order_no;
UPDATE compensations c JOIN orders o ON o.order_no = c.order_no
   SET c.user_id = o.user_id WHERE c.user_id IS NULL;
