-- 004: the runs of the background jobs (lib/jobs.ts), for GET /api/admin/jobs and for a human
-- reading what the cron did overnight. Bounded: each run deletes its job's rows beyond the last
-- few dozen, so the table never grows with uptime.
-- (003 is the seats migration; the migrator applies versions in order, and the two are independent.)

CREATE TABLE job_runs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  job VARCHAR(64) NOT NULL,
  -- The process that ran it (host:pid), so two instances' runs can be told apart.
  instance VARCHAR(128) NOT NULL,
  started_at DATETIME(3) NOT NULL,
  finished_at DATETIME(3) NULL,
  outcome ENUM('running', 'ok', 'failed', 'skipped') NOT NULL DEFAULT 'running',
  -- JSON object of what the run did, e.g. {"expired": 3}.
  counts TEXT NULL,
  error VARCHAR(500) NULL,
  KEY idx_job_runs_job (job, outcome, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
