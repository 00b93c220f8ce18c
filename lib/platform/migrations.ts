/**
 * The SQL migrations of `migrations/`, embedded at build time. Add a file there and a line here;
 * a test fails when the two disagree.
 */
import m001 from "../../migrations/001_init.sql" with { type: "text" };
import m002 from "../../migrations/002_orders.sql" with { type: "text" };
import m003 from "../../migrations/003_seats.sql" with { type: "text" };
import m004 from "../../migrations/004_jobs.sql" with { type: "text" };
import m005 from "../../migrations/005_hourly.sql" with { type: "text" };
import m006 from "../../migrations/006_import_map.sql" with { type: "text" };
import m007 from "../../migrations/007_queue.sql" with { type: "text" };
import m008 from "../../migrations/008_buyer_limits.sql" with { type: "text" };
import m009 from "../../migrations/009_column_fits.sql" with { type: "text" };
import m010 from "../../migrations/010_order_instances.sql" with { type: "text" };
import m011 from "../../migrations/011_sale_state_generations.sql" with { type: "text" };
import m012 from "../../migrations/012_revocation_expiry.sql" with { type: "text" };

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "001_init.sql", sql: m001 },
  { version: 2, name: "002_orders.sql", sql: m002 },
  { version: 3, name: "003_seats.sql", sql: m003 },
  { version: 4, name: "004_jobs.sql", sql: m004 },
  { version: 5, name: "005_hourly.sql", sql: m005 },
  { version: 6, name: "006_import_map.sql", sql: m006 },
  { version: 7, name: "007_queue.sql", sql: m007 },
  { version: 8, name: "008_buyer_limits.sql", sql: m008 },
  { version: 9, name: "009_column_fits.sql", sql: m009 },
  { version: 10, name: "010_order_instances.sql", sql: m010 },
  { version: 11, name: "011_sale_state_generations.sql", sql: m011 },
  { version: 12, name: "012_revocation_expiry.sql", sql: m012 },
];
