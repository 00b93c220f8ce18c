-- 007: the waiting room of a session (lib/queue/). Settings only: who waits and who was admitted
-- lives in Redis (lua/queue-*.lua); a pass is a signed token checked without any store.
CREATE TABLE queue_rooms (
  session_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  enabled TINYINT(1) NOT NULL,
  opens_at DATETIME(3) NULL,
  admit_per_second INT UNSIGNED NOT NULL,
  pass_seconds INT UNSIGNED NOT NULL,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  KEY idx_queue_rooms_enabled (enabled),
  CONSTRAINT fk_queue_rooms_session FOREIGN KEY (session_id) REFERENCES sessions (id),
  CONSTRAINT ck_queue_rooms_rate CHECK (admit_per_second BETWEEN 1 AND 10000),
  CONSTRAINT ck_queue_rooms_pass CHECK (pass_seconds BETWEEN 60 AND 3600)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
