-- 001: users, the catalog (shows, sessions, ticket tiers with their stock) and seat areas.
-- Times are UTC DATETIME(3); money is DECIMAL(10,2). Rows are soft-deleted (deleted_at) where
-- orders may point at them.

CREATE TABLE users (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username VARCHAR(32) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  phone VARCHAR(20) NULL,
  nickname VARCHAR(64) NULL,
  email VARCHAR(254) NULL,
  role ENUM('user', 'admin') NOT NULL DEFAULT 'user',
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY uk_users_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE shows (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  type TINYINT UNSIGNED NOT NULL,
  venue VARCHAR(200) NOT NULL,
  city VARCHAR(64) NOT NULL,
  description TEXT NULL,
  poster_url VARCHAR(1000) NULL,
  start_time DATETIME(3) NOT NULL,
  end_time DATETIME(3) NOT NULL,
  status TINYINT UNSIGNED NOT NULL DEFAULT 1,
  is_hot TINYINT(1) NOT NULL DEFAULT 0,
  is_recommend TINYINT(1) NOT NULL DEFAULT 0,
  deleted_at DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  KEY idx_shows_list (deleted_at, status, start_time),
  KEY idx_shows_city (city),
  CONSTRAINT ck_shows_type CHECK (type BETWEEN 1 AND 6),
  CONSTRAINT ck_shows_status CHECK (status BETWEEN 0 AND 3),
  CONSTRAINT ck_shows_times CHECK (end_time >= start_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE sessions (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  show_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(200) NOT NULL,
  start_time DATETIME(3) NOT NULL,
  end_time DATETIME(3) NOT NULL,
  sale_start_time DATETIME(3) NOT NULL,
  sale_end_time DATETIME(3) NOT NULL,
  status TINYINT UNSIGNED NOT NULL DEFAULT 1,
  deleted_at DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  KEY idx_sessions_show (show_id, start_time),
  CONSTRAINT fk_sessions_show FOREIGN KEY (show_id) REFERENCES shows (id),
  CONSTRAINT ck_sessions_status CHECK (status BETWEEN 0 AND 3),
  CONSTRAINT ck_sessions_times CHECK (end_time >= start_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A ticket tier (票档): one price level of a session.
CREATE TABLE tickets (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  show_id BIGINT UNSIGNED NOT NULL,
  session_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(100) NOT NULL,
  price DECIMAL(10, 2) NOT NULL,
  limit_count TINYINT UNSIGNED NOT NULL DEFAULT 4,
  status TINYINT UNSIGNED NOT NULL DEFAULT 1,
  deleted_at DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  KEY idx_tickets_session (session_id),
  KEY idx_tickets_show (show_id),
  CONSTRAINT fk_tickets_show FOREIGN KEY (show_id) REFERENCES shows (id),
  CONSTRAINT fk_tickets_session FOREIGN KEY (session_id) REFERENCES sessions (id),
  CONSTRAINT ck_tickets_price CHECK (price >= 0),
  CONSTRAINT ck_tickets_limit CHECK (limit_count BETWEEN 1 AND 10)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The stock of a tier. MySQL refuses oversell on its own: available = total - locked - sold
-- never goes negative, whatever Redis says.
CREATE TABLE ticket_stock (
  ticket_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  total_stock INT UNSIGNED NOT NULL,
  locked_stock INT UNSIGNED NOT NULL DEFAULT 0,
  sold_stock INT UNSIGNED NOT NULL DEFAULT 0,
  version BIGINT UNSIGNED NOT NULL DEFAULT 0,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  CONSTRAINT fk_ticket_stock_ticket FOREIGN KEY (ticket_id) REFERENCES tickets (id),
  CONSTRAINT ck_ticket_stock_total CHECK (total_stock <= 1000000),
  CONSTRAINT ck_ticket_stock_balance CHECK (locked_stock + sold_stock <= total_stock)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE seat_areas (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  show_id BIGINT UNSIGNED NOT NULL,
  session_id BIGINT UNSIGNED NOT NULL,
  ticket_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(100) NOT NULL,
  area_code VARCHAR(16) NOT NULL,
  floor_level SMALLINT NOT NULL DEFAULT 1,
  area_type TINYINT UNSIGNED NOT NULL DEFAULT 1,
  row_count SMALLINT UNSIGNED NOT NULL,
  col_count SMALLINT UNSIGNED NOT NULL,
  price DECIMAL(10, 2) NOT NULL,
  night_price DECIMAL(10, 2) NULL,
  deleted_at DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY idx_seat_areas_session (session_id),
  UNIQUE KEY uk_seat_areas_code (session_id, area_code),
  CONSTRAINT fk_seat_areas_session FOREIGN KEY (session_id) REFERENCES sessions (id),
  CONSTRAINT fk_seat_areas_ticket FOREIGN KEY (ticket_id) REFERENCES tickets (id),
  CONSTRAINT ck_seat_areas_size CHECK (row_count BETWEEN 1 AND 100 AND col_count BETWEEN 1 AND 100)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Facts about this deployment (e.g. that the demo data was seeded).
CREATE TABLE app_meta (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  value VARCHAR(255) NOT NULL,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Logged-out tokens (by jti) and password changes (every token issued before not_before_ms but
-- kept_jti). Redis holds the working copy; this table lets it be rebuilt after Redis lost memory.
CREATE TABLE token_revocations (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT UNSIGNED NOT NULL,
  jti CHAR(36) NULL,
  not_before_ms BIGINT UNSIGNED NULL,
  kept_jti CHAR(36) NULL,
  expires_at DATETIME(3) NOT NULL,
  KEY idx_token_revocations_user (user_id, expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
