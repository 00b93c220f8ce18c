/**
 * `deno task import -- --from mysql://user:pass@host:port[/db1,db2] [--dry-run]
 *  [--link-existing-users] [--source-time-zone Asia/Shanghai]`
 *
 * Imports a reference deployment (schema of ../shared/reference/sql/: users, shows, sessions,
 * tiers, stock, seat areas, seats, orders) into the boxoffice database of DATABASE_URL, and
 * prints a JSON report. The source is only read (a read-only transaction of SELECTs). Running it
 * again adds nothing already imported; an interrupted run resumes. Redis (REDIS_URL or
 * REDIS_CLUSTER_NODES, REDIS_PREFIX) is told to rebuild the sessions that changed.
 *
 * Source times are wall-clock times of --source-time-zone (default SOURCE_TIME_ZONE, else
 * TIME_ZONE, else UTC). Exit status: 0 everything mapped, 1 some rows were not (listed in the
 * report), 2 cannot connect to (or read) the source or the target.
 */
import { connectRedis, type Redis } from "#lib/platform/redis.ts";
import { createDb, type Db } from "#lib/platform/db.ts";
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from "#lib/platform/config.ts";
import { redisKeys } from "#lib/platform/keys.ts";
import { migrate } from "#lib/platform/migrate.ts";
import { runImport } from "#lib/import/run.ts";
import { SourceError } from "#lib/import/source.ts";

const USAGE = "usage: deno task import -- --from mysql://user:pass@host:port[/db1,db2] " +
  "[--dry-run] [--link-existing-users] [--source-time-zone ZONE]";

function fail(message: string, status = 2): never {
  console.error(`import: ${message}`);
  Deno.exit(status);
}

function option(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  if (i >= 0) return Deno.args[i + 1];
  return Deno.args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

const from = option("--from");
if (!from) fail(USAGE);
const dryRun = Deno.args.includes("--dry-run");
const env = Deno.env.toObject();
const zone = option("--source-time-zone") ?? env.SOURCE_TIME_ZONE ?? env.TIME_ZONE ?? "UTC";
try {
  new Intl.DateTimeFormat("en-US", { timeZone: zone });
} catch {
  fail(`unknown time zone "${zone}"`);
}
const databaseUrl = env.DATABASE_URL || DEFAULT_DATABASE_URL;

let db: Db;
try {
  if (!dryRun) await migrate(databaseUrl);
  db = createDb({ url: databaseUrl, poolSize: 2 });
  if (!dryRun) await db.rows("SELECT 1 FROM import_map LIMIT 1");
} catch (e) {
  fail(`cannot use the target database: ${e instanceof Error ? e.message : e}`);
}

let redis: Redis | undefined;
if (!dryRun) {
  const nodes = env.REDIS_CLUSTER_NODES?.split(",").map((s) => s.trim()).filter(Boolean);
  redis = await connectRedis({
    url: nodes ? undefined : env.REDIS_URL || DEFAULT_REDIS_URL,
    clusterNodes: nodes,
    onError: () => {},
  }).catch(() => undefined);
}

let exitCode = 0;
try {
  const report = await runImport(
    { db, redis: redis && { client: redis, keys: redisKeys(env.REDIS_PREFIX || "bo:") } },
    {
      from,
      dryRun,
      linkExistingUsers: Deno.args.includes("--link-existing-users"),
      sourceTimeZone: zone,
      now: Date.now(),
    },
  );
  console.log(JSON.stringify(report, null, 2));
  exitCode = report.ok ? 0 : 1;
} catch (e) {
  if (e instanceof SourceError) {
    console.error(`import: ${e.message}`);
    exitCode = 2;
  } else throw e;
} finally {
  await redis?.close().catch(() => {});
  await db.close().catch(() => {});
}
Deno.exit(exitCode);
