/**
 * Whether this process can serve: both stores answer, the schema is current, the Lua scripts
 * are loaded. `/api/ready` turns a failure into 503 naming what is missing.
 */
import type { AppContext } from "#lib/platform/context.ts";

export interface Readiness {
  ready: boolean;
  checks: Record<"redis" | "database" | "migrations" | "scripts", "ok" | string>;
}

export async function checkReadiness(ctx: AppContext): Promise<Readiness> {
  const [redis, database] = await Promise.all([
    probe(async () => {
      await ctx.redis.send(["PING"]);
    }),
    probe(async () => {
      await ctx.db.rows("SELECT 1");
    }),
  ]);
  const checks = {
    redis,
    database,
    migrations: ctx.migrated ? "ok" : "not applied",
    scripts: ctx.scripts.loaded ? "ok" : "not loaded",
  };
  return { ready: Object.values(checks).every((v) => v === "ok"), checks };
}

async function probe(fn: () => Promise<void>): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch {
    return "unavailable";
  }
}
