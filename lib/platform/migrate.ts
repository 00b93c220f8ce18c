/**
 * Creates the database when absent and applies the migrations of `lib/platform/migrations.ts` in order,
 * each once, recorded in `schema_migrations`. Several processes may start at once: a MySQL named
 * lock makes them take turns, and each re-reads what is applied after getting it.
 */
import { mysql } from "#deps";
import { connectionOptions, databaseName, isDbUnavailable } from "./db.ts";
import { unavailable } from "./errors.ts";
import { type Migration, MIGRATIONS } from "./migrations.ts";

export interface MigrateResult {
  created: boolean;
  applied: string[];
}

export async function migrate(
  url: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrateResult> {
  const db = databaseName(url);
  let conn;
  try {
    conn = await mysql.createConnection({
      ...connectionOptions(url, false),
      multipleStatements: true,
    });
  } catch (e) {
    throw isDbUnavailable(e) ? unavailable("database", e) : e;
  }
  try {
    const [existing] = await conn.query("SHOW DATABASES LIKE ?", [db]);
    const created = (existing as unknown[]).length === 0;
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
    await conn.query(`USE \`${db}\``);
    const [lock] = await conn.query("SELECT GET_LOCK(?, 60) AS got", [`boxoffice:migrate:${db}`]);
    if ((lock as { got: number }[])[0].got !== 1) {
      throw new Error("another process has been migrating for 60 s; giving up");
    }
    try {
      await conn.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INT UNSIGNED NOT NULL PRIMARY KEY,
        name VARCHAR(200) NOT NULL,
        checksum CHAR(64) NOT NULL,
        applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
      ) ENGINE=InnoDB`);
      const [rows] = await conn.query("SELECT version, name, checksum FROM schema_migrations");
      const done = new Map(
        (rows as { version: number; name: string; checksum: string }[]).map((r) => [r.version, r]),
      );
      const applied: string[] = [];
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        const sum = await sha256(m.sql);
        const prior = done.get(m.version);
        if (prior) {
          if (prior.checksum !== sum) {
            throw new Error(
              `migration ${m.name} was changed after it was applied; add a new migration instead`,
            );
          }
          continue;
        }
        await conn.query(m.sql);
        await conn.query(
          "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
          [
            m.version,
            m.name,
            sum,
          ],
        );
        applied.push(m.name);
      }
      return { created, applied };
    } finally {
      await conn.query("SELECT RELEASE_LOCK(?)", [`boxoffice:migrate:${db}`]);
    }
  } finally {
    await conn.end();
  }
}

/** Latest migration version the code knows, for /api/ready. */
export const LATEST_MIGRATION = Math.max(...MIGRATIONS.map((m) => m.version));

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
