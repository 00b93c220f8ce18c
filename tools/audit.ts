/**
 * `deno task audit`: checks the invariants of DESIGN.md (1-7) against a running deployment's
 * MySQL and Redis, read-only, and prints one JSON document:
 *
 *   {"ok": true, "checks": [{"name": ..., "checked": n, "violations": 0}, ...], "violations": []}
 *
 * It reads DATABASE_URL, REDIS_URL or REDIS_CLUSTER_NODES, REDIS_PREFIX and
 * RECONCILE_GRACE_SECONDS as the service does (the same defaults). It applies no migrations and
 * writes nothing. Exit status: 0 all invariants hold, 1 a violation, 2 a configuration or
 * connection problem (one line on stderr).
 */
import { audit } from "#lib/ops/audit.ts";
import { closeContext, createReadOnlyContext } from "#lib/boot.ts";
import {
  type Config,
  ConfigError,
  DEFAULT_DATABASE_URL,
  DEFAULT_REDIS_URL,
  loadConfig,
} from "#lib/platform/config.ts";
import type { AppContext } from "#lib/platform/context.ts";
import { createLogger } from "#lib/platform/log.ts";

/** The audit signs no tokens; a placeholder lets the service's own JWT_SECRET check stand. */
const NO_JWT = "the-audit-signs-no-tokens-placeholder";

function fail(message: string): never {
  console.error(`audit: ${message}`);
  Deno.exit(2);
}

let config: Config;
try {
  config = loadConfig({ ...Deno.env.toObject(), JWT_SECRET: NO_JWT, DEMO: "false" });
} catch (e) {
  if (e instanceof ConfigError) fail(`invalid configuration: ${e.message}`);
  throw e;
}

let ctx: AppContext;
try {
  ctx = await createReadOnlyContext(config, {
    databaseUrl: config.databaseUrl ?? DEFAULT_DATABASE_URL,
    redisUrl: config.redisClusterNodes ? undefined : config.redisUrl ?? DEFAULT_REDIS_URL,
    log: createLogger("silent"),
  });
} catch (e) {
  const cause = (e as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? ` (${cause.message})` : "";
  fail(`cannot connect: ${e instanceof Error ? e.message : String(e)}${detail}`);
}

let ok = false;
try {
  const report = await audit(ctx);
  ok = report.ok;
  console.log(JSON.stringify(report, null, 2));
} catch (e) {
  await closeContext(ctx);
  fail(`audit failed: ${e instanceof Error ? e.message : String(e)}`);
}
await closeContext(ctx);
Deno.exit(ok ? 0 : 1);
