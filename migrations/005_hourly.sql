-- 005: the settings of a venue booked by the hour (a show of type 6, e.g. an internet café).
-- Times are "HH:mm" wall-clock times of the service's time zone; open_to may be "24:00".
-- A show without a row uses the defaults of lib/hourly.ts.
CREATE TABLE hourly_venues (
  show_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  open_from CHAR(5) NOT NULL,
  open_to CHAR(5) NOT NULL,
  night_from CHAR(5) NOT NULL,
  night_to CHAR(5) NOT NULL,
  max_hours TINYINT UNSIGNED NOT NULL,
  horizon_days SMALLINT UNSIGNED NOT NULL,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  CONSTRAINT fk_hourly_venues_show FOREIGN KEY (show_id) REFERENCES shows (id),
  CONSTRAINT ck_hourly_venues_hours CHECK (max_hours BETWEEN 1 AND 24),
  CONSTRAINT ck_hourly_venues_horizon CHECK (horizon_days BETWEEN 1 AND 366)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
