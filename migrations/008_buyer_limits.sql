-- 008: MySQL's own guard on the per-buyer ticket limit (DESIGN.md invariant 4), independent of
-- Redis: one row per buyer and tier with the tickets in the buyer's unpaid or paid orders,
-- written in the same transactions as those orders (create adds, cancel and expiry subtract).
-- A create adds with INSERT ... ON DUPLICATE KEY UPDATE and sets `limit_count` to the tier's
-- limit of the moment; the CHECK refuses the create that would go over it, inside a group
-- commit too (the batch is split until that order alone is refused). Hourly bookings book
-- seat-hours, not tickets, and are not counted here (as in reserve.lua).
CREATE TABLE buyer_tier_totals (
  user_id BIGINT UNSIGNED NOT NULL,
  ticket_id BIGINT UNSIGNED NOT NULL,
  quantity INT UNSIGNED NOT NULL,
  limit_count INT UNSIGNED NOT NULL,
  PRIMARY KEY (user_id, ticket_id),
  CONSTRAINT ck_buyer_tier_totals_limit CHECK (quantity <= limit_count)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The orders that exist already. A buyer above a limit lowered since keeps what they have.
INSERT INTO buyer_tier_totals (user_id, ticket_id, quantity, limit_count)
SELECT o.user_id, o.ticket_id, SUM(o.quantity), GREATEST(MAX(t.limit_count), SUM(o.quantity))
  FROM orders o JOIN tickets t ON t.id = o.ticket_id
 WHERE o.status IN (0, 1) AND o.booking_start IS NULL
 GROUP BY o.user_id, o.ticket_id;
