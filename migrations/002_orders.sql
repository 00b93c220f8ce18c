-- 002: orders, their items and status log, and the compensation queue.
-- An order exists if and only if its row is committed. Every status change writes a log row in
-- the same transaction. Order status: 0 pending payment, 1 paid, 2 cancelled, 3 expired,
-- 4 refunded.

CREATE TABLE orders (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_no VARCHAR(32) NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  show_id BIGINT UNSIGNED NOT NULL,
  session_id BIGINT UNSIGNED NOT NULL,
  ticket_id BIGINT UNSIGNED NOT NULL,
  quantity INT UNSIGNED NOT NULL,
  -- Unit price of the tier (or the day price per seat-hour of an hourly booking).
  price DECIMAL(10, 2) NOT NULL,
  total_amount DECIMAL(12, 2) NOT NULL,
  -- Hourly bookings only: price x hours x seats, and the night hours' extra.
  base_price DECIMAL(12, 2) NULL,
  night_surcharge DECIMAL(12, 2) NULL,
  booking_start DATETIME(3) NULL,
  booking_end DATETIME(3) NULL,
  booking_hours SMALLINT UNSIGNED NULL,
  status TINYINT UNSIGNED NOT NULL DEFAULT 0,
  pay_type TINYINT UNSIGNED NULL,
  pay_time DATETIME(3) NULL,
  expire_at DATETIME(3) NOT NULL,
  contact_phone VARCHAR(20) NULL,
  remark VARCHAR(500) NULL,
  idempotency_key VARCHAR(128) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY uk_orders_order_no (order_no),
  -- NULL keys do not collide: only explicit Idempotency-Keys are unique per buyer.
  UNIQUE KEY uk_orders_idempotency (user_id, idempotency_key),
  KEY idx_orders_user (user_id, status, id),
  KEY idx_orders_session (session_id, status),
  KEY idx_orders_expiry (status, expire_at),
  KEY idx_orders_session_updated (session_id, updated_at),
  CONSTRAINT fk_orders_ticket FOREIGN KEY (ticket_id) REFERENCES tickets (id),
  CONSTRAINT ck_orders_status CHECK (status BETWEEN 0 AND 4),
  CONSTRAINT ck_orders_quantity CHECK (quantity BETWEEN 1 AND 1000)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per seat, or one per general-admission line (quantity tickets of one tier).
CREATE TABLE order_items (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT UNSIGNED NOT NULL,
  ticket_id BIGINT UNSIGNED NOT NULL,
  seat_id BIGINT UNSIGNED NULL,
  seat_info VARCHAR(64) NULL,
  price DECIMAL(10, 2) NOT NULL,
  quantity INT UNSIGNED NOT NULL,
  subtotal DECIMAL(12, 2) NOT NULL,
  KEY idx_order_items_order (order_id),
  CONSTRAINT fk_order_items_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE order_status_log (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT UNSIGNED NOT NULL,
  from_status TINYINT UNSIGNED NULL,
  to_status TINYINT UNSIGNED NOT NULL,
  reason VARCHAR(64) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY idx_order_status_log_order (order_id),
  CONSTRAINT fk_order_status_log_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A Redis step that could not be done when MySQL had already committed (e.g. release the stock
-- of a cancelled order while Redis was down). Retried with backoff until done; after
-- COMPENSATION_MAX_ATTEMPTS failures it waits for a human (status 'stuck').
CREATE TABLE compensations (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  action ENUM('release', 'confirm') NOT NULL,
  order_no VARCHAR(32) NOT NULL,
  session_id BIGINT UNSIGNED NOT NULL,
  ticket_id BIGINT UNSIGNED NOT NULL,
  status ENUM('pending', 'done', 'stuck') NOT NULL DEFAULT 'pending',
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  last_error VARCHAR(500) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  KEY idx_compensations_due (status, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
