-- 003: seats and the MySQL guard against selling one twice.
-- A seat belongs to one area (and so one session and one tier). status: 1 sellable, 0 disabled.
CREATE TABLE seats (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  area_id BIGINT UNSIGNED NOT NULL,
  session_id BIGINT UNSIGNED NOT NULL,
  ticket_id BIGINT UNSIGNED NOT NULL,
  row_num SMALLINT UNSIGNED NOT NULL,
  seat_num SMALLINT UNSIGNED NOT NULL,
  seat_code VARCHAR(32) NOT NULL,
  x_coordinate INT NOT NULL,
  y_coordinate INT NOT NULL,
  status TINYINT UNSIGNED NOT NULL DEFAULT 1,
  UNIQUE KEY uk_seats_position (area_id, row_num, seat_num),
  KEY idx_seats_session (session_id),
  CONSTRAINT fk_seats_area FOREIGN KEY (area_id) REFERENCES seat_areas (id),
  CONSTRAINT ck_seats_status CHECK (status IN (0, 1))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The active use of a seat (or of a seat-hour, "seatId@hour", for hourly bookings): a row exists
-- exactly while its order is unpaid or paid, written and deleted in the same transactions as
-- the order's status. The primary key makes MySQL refuse a second order for the same slot even
-- if Redis were wrong.
CREATE TABLE seat_claims (
  session_id BIGINT UNSIGNED NOT NULL,
  slot VARCHAR(40) NOT NULL,
  seat_id BIGINT UNSIGNED NOT NULL,
  order_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (session_id, slot),
  KEY idx_seat_claims_order (order_id),
  CONSTRAINT fk_seat_claims_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
