/**
 * Brings a process to the point where it can serve: stores found (or, in demo mode, started),
 * database created and migrated, pools open, Lua scripts loaded, admin ensured, demo data seeded.
 * main.ts, the tests and the benchmarks all start through here.
 */
import { compensationBacklog } from "#lib/orders/compensations.ts";
import { setCompensationBacklogSource } from "#lib/platform/metrics.ts";
import type { Config } from "#lib/platform/config.ts";
import type { AppContext } from "#lib/platform/context.ts";
import { createDb, type Db } from "#lib/platform/db.ts";
import { redisKeys } from "#lib/platform/keys.ts";
import { findOrStartStores, type FoundStores } from "#dev/local_stores.ts";
import { createLogger, errorFields, type Logger } from "#lib/platform/log.ts";
import { migrate } from "#lib/platform/migrate.ts";
import { connectRedis, type Redis } from "#lib/platform/redis.ts";
import { assertNoEviction } from "#lib/platform/eviction.ts";
import { loadScripts } from "#lib/platform/scripts.ts";
import { watchChannel, type WatchedSubscription } from "#lib/platform/redis_subscriber.ts";
import { WatchedFacts } from "#lib/platform/watched_facts.ts";
import { seedDemo } from "#dev/seed.ts";
import { useTimeZone } from "#lib/platform/time.ts";
import { ensureAdmin } from "#lib/accounts/users.ts";
import { keepRevocationView } from "#lib/accounts/revocation_view.ts";

export interface Service {
  ctx: AppContext;
  stores: FoundStores;
  /** Closes the pools and stops the stores this process started. */
  close(): Promise<void>;
}

export const DEMO_ADMIN = { username: "admin", password: "123456" };

export async function bootService(
  config: Config,
  options: { log?: Logger; say?: (line: string) => void } = {},
): Promise<Service> {
  const log = options.log ?? createLogger(config.logLevel);
  const stores = await findOrStartStores({
    databaseUrl: config.databaseUrl,
    redisUrl: config.redisUrl,
    redisClusterNodes: config.redisClusterNodes,
    dataDir: config.dataDir,
    startMissing: config.demo,
    say: options.say,
  });
  try {
    const ctx = await createContext(config, {
      databaseUrl: stores.databaseUrl,
      redisUrl: stores.redisUrl,
      log,
    });
    try {
      if (config.adminUsername && config.adminPassword) {
        await ensureAdmin(ctx, config.adminUsername, config.adminPassword);
      } else if (config.demo) {
        // Created once; a password the operator changed since is theirs to keep.
        await ensureAdmin(ctx, DEMO_ADMIN.username, DEMO_ADMIN.password, { onlyCreate: true });
      }
      if (config.demo) {
        const seeded = await seedDemo(ctx);
        if (seeded) log.info("demo data seeded");
      }
    } catch (e) {
      await closeContext(ctx);
      throw e;
    }
    return {
      ctx,
      stores,
      close: async () => {
        await closeContext(ctx);
        await stores.stop();
      },
    };
  } catch (e) {
    await stores.stop();
    throw e;
  }
}

/** A context over running stores: migrates, opens pools, loads scripts. */
export async function createContext(
  config: Config,
  where: { databaseUrl: string; redisUrl: string; log: Logger },
): Promise<AppContext> {
  useTimeZone(config.timeZone);
  setCompensationBacklogSource(async (ctx) => {
    const { pending, stuck } = await compensationBacklog(ctx);
    return pending + stuck;
  });
  const jwtSecret = config.jwtSecret ?? await demoSecret(config.dataDir);
  await migrate(where.databaseUrl);
  const db = createDb({
    url: where.databaseUrl,
    readUrl: config.databaseReadUrl,
    poolSize: config.dbPoolSize,
  });
  const redis = await connectRedisOrClose(config, where, db);
  try {
    await assertNoEviction(redis);
    const scripts = await loadScripts(redis);
    const keys = redisKeys(config.redisPrefix);
    const revocations = new WatchedFacts();
    const ctx: AppContext = {
      config,
      db,
      redis,
      scripts,
      keys,
      revocations,
      log: where.log,
      jwtKey: new TextEncoder().encode(jwtSecret),
      migrated: true,
      now: () => Date.now(),
    };
    // Listening before the watch starts: the copy hears the subscription's first confirmation.
    keepRevocationView(ctx);
    subscriptions.set(
      ctx,
      watchChannel(
        { url: where.redisUrl || undefined, clusterNodes: config.redisClusterNodes },
        keys.revocationsChannel,
        revocations,
        redisErrorLogger(where.log),
      ),
    );
    return ctx;
  } catch (e) {
    await redis.close();
    await db.close();
    throw e;
  }
}

/**
 * A context that only reads (`deno task audit` against a live deployment): no migrations, no
 * scripts loaded, no JWT key. Refuses a database without boxoffice's schema instead of creating
 * one.
 */
export async function createReadOnlyContext(
  config: Config,
  where: { databaseUrl: string; redisUrl?: string; log: Logger },
): Promise<AppContext> {
  useTimeZone(config.timeZone);
  const db = createDb({ url: where.databaseUrl, poolSize: 2 });
  try {
    const [row] = await db.rows<{ n: number }>(
      `SELECT COUNT(*) AS n FROM information_schema.tables
        WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'`,
    );
    if (Number(row.n) === 0) {
      throw new Error(`database ${db.database} has no boxoffice schema (no schema_migrations)`);
    }
  } catch (e) {
    await db.close();
    throw e;
  }
  const redis = await connectRedisOrClose(config, where, db);
  return {
    config,
    db,
    redis,
    scripts: {
      loaded: false,
      run: () => Promise.reject(new Error("a read-only context runs no scripts")),
    },
    keys: redisKeys(config.redisPrefix),
    // Never live: without a subscription every token is checked in Redis.
    revocations: new WatchedFacts(),
    log: where.log,
    jwtKey: new Uint8Array(0),
    migrated: false,
    now: () => Date.now(),
  };
}

/** The revocation channel's subscription of each context that has one. */
const subscriptions = new WeakMap<AppContext, WatchedSubscription>();

/** Settles once the context trusts its memory of revocations (tests of that memory wait on it). */
export function revocationsWatched(ctx: AppContext): Promise<void> {
  return subscriptions.get(ctx)?.firstLive ?? Promise.reject(new Error("no subscription"));
}

export async function closeContext(ctx: AppContext): Promise<void> {
  await subscriptions.get(ctx)?.close().catch(() => {});
  await ctx.redis.close().catch(() => {});
  await ctx.db.close().catch(() => {});
}

/** The context's Redis; when it cannot be had, the database pool opened before it is closed. */
async function connectRedisOrClose(
  config: Config,
  where: { redisUrl?: string; log: Logger },
  db: Db,
): Promise<Redis> {
  try {
    return await connectRedis({
      url: where.redisUrl || undefined,
      clusterNodes: config.redisClusterNodes,
      onError: redisErrorLogger(where.log),
    });
  } catch (e) {
    await db.close();
    throw e;
  }
}

/** Logs a Redis connection problem once per outage, not once per reconnect attempt. */
function redisErrorLogger(log: Logger): (e: unknown) => void {
  let lastMessage = "";
  let lastAt = 0;
  return (e) => {
    const fields = errorFields(e);
    const now = Date.now();
    if (fields.error === lastMessage && now - lastAt < 30_000) return;
    lastMessage = String(fields.error);
    lastAt = now;
    log.warn("redis connection problem", fields);
  };
}

/**
 * Demo mode's JWT secret: random, generated once and kept in `dataDir/jwt-secret` (mode 600),
 * never a fixed or published value.
 */
async function demoSecret(dataDir: string): Promise<string> {
  const path = `${dataDir}/jwt-secret`;
  let tooShort = false;
  try {
    const existing = (await Deno.readTextFile(path)).trim();
    if (existing.length >= 32) return existing;
    tooShort = true;
  } catch {
    // First start: generate below.
  }
  await Deno.mkdir(dataDir, { recursive: true });
  const bytes = crypto.getRandomValues(new Uint8Array(48));
  const secret = btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, "");
  try {
    // createNew: two processes starting at once must not end up with different secrets. A
    // file too short to be a secret (truncated, or written by hand) is replaced, never used.
    await Deno.writeTextFile(path, secret + "\n", { mode: 0o600, createNew: !tooShort });
    return secret;
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    const winner = (await Deno.readTextFile(path)).trim();
    if (winner.length < 32) throw new Error(`${path}: shorter than 32 bytes; remove it`);
    return winner;
  }
}
