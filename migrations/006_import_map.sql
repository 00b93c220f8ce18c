-- 006: what `deno task import` brought over from the reference system, by source row, so that a
-- second run (or a resumed one) adds nothing twice. `source_key` names the row in the source
-- ("<database>.<id>", or for seats, which the reference keeps per venue and boxoffice per
-- session, "<database>.<seatId>@<source session key>"); `target_id` is the boxoffice row.
CREATE TABLE import_map (
  kind VARCHAR(16) NOT NULL,
  source_key VARCHAR(191) NOT NULL,
  target_id BIGINT UNSIGNED NOT NULL,
  imported_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (kind, source_key),
  KEY idx_import_map_target (kind, target_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
