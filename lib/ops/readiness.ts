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

/**
 * A store that does not answer within this is not ready, whatever its client's own deadline: the
 * probe says so at once (a load balancer asks again), and says ok again as soon as it answers.
 */
export const PROBE_TIMEOUT_MS = 1000;

async function probe(fn: () => Promise<void>): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const answered = fn();
    answered.catch(() => {});
    await Promise.race([
      answered,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("no answer")), PROBE_TIMEOUT_MS);
      }),
    ]);
    return "ok";
  } catch {
    return "unavailable";
  } finally {
    clearTimeout(timer);
  }
}
