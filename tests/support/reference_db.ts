/**
 * The reference system's own schema and seed rows (`../shared/reference/sql/`, beside the
 * repository — or two levels up, for a git worktree under `wt/`), loaded into scratch databases
 * of this test run. The scripts name fixed databases (ticket_user_db, ...); each is renamed to a
 * name unique to the test, so runs in parallel never meet, and the run's cleanup drops them.
 */
import { mysql } from "#deps";
import { connectionOptions } from "#lib/platform/db.ts";
import { uniqueName } from "./env.ts";

const SCRIPTS = ["user", "show", "ticket", "order"] as const;

/** The reference's sql/ directory, or undefined when no copy of shared/ is found. */
export function referenceSqlDir(): string | undefined {
  const repo = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
  const candidates = [
    Deno.env.get("BOXOFFICE_SHARED_DIR"),
    `${repo}/../shared`,
    `${repo}/../../shared`,
  ].filter((d): d is string => !!d);
  for (const dir of candidates) {
    try {
      if (Deno.statSync(`${dir}/reference/sql/init_user_database.sql`).isFile) {
        return `${dir}/reference/sql`;
      }
    } catch {
      // not this one
    }
  }
  return undefined;
}

export interface ReferenceDb {
  /** `mysql://...@host:port/db1,db2,db3,db4` for `deno task import --from`. */
  url: string;
  databases: string[];
  /** Runs SQL on the source server (to change the source between imports). */
  query(sql: string): Promise<unknown>;
  drop(): Promise<void>;
}

export async function loadReferenceDb(serverUrl: string): Promise<ReferenceDb> {
  const dir = referenceSqlDir();
  if (!dir) throw new Error("../shared/reference/sql not found beside the repository");
  const base = uniqueName();
  const names = Object.fromEntries(SCRIPTS.map((s) => [s, `${base}_${s}`]));
  const conn = await mysql.createConnection({
    ...connectionOptions(serverUrl, false),
    multipleStatements: true,
  });
  try {
    for (const s of SCRIPTS) {
      const sql = await Deno.readTextFile(`${dir}/init_${s}_database.sql`);
      await conn.query(sql.replaceAll(`ticket_${s}_db`, names[s]));
    }
  } catch (e) {
    for (const name of Object.values(names)) {
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    }
    await conn.end();
    throw e;
  }
  const url = new URL(serverUrl);
  url.pathname = `/${Object.values(names).join(",")}`;
  return {
    url: url.toString(),
    databases: Object.values(names),
    query: async (sql) => (await conn.query(sql))[0],
    async drop() {
      for (const name of Object.values(names)) {
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      }
      await conn.end();
    },
  };
}
