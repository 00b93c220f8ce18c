/**
 * Shared machinery of the fault drills (tests/faults/): private stores a drill may kill and
 * restart, a boxoffice server in a child process on them, load firing with a tally of replies,
 * the invariant audit, and the summary rows `deno task test:faults` prints as one table.
 *
 * Every drill starts its own mariadbd and redis-server on free loopback ports with their data in
 * a temp dir (never the system's stores), and removes them at the end, failure or not.
 *
 * `FAULTS_FULL=1` runs the drills at full size (tools/run_faults.ts sets it); without it the
 * short drills (1, 3, 4) run small, as part of `deno task test`, and the others are skipped.
 */
import assert from "node:assert/strict";
import { audit, type AuditReport } from "#lib/ops/audit.ts";
import { startMariadb, startRedis, type StoreProcess } from "#dev/local_stores.ts";
import { TEST_JWT_SECRET, type TestEnv, testEnv } from "../support/env.ts";
import { type ServerProcess, spawnServer } from "../support/process.ts";

/** Full size (deno task test:faults) or the short form of deno task test. */
export const FULL = Deno.env.get("FAULTS_FULL") === "1";

/** Picks the full or the short size of a number. */
export const size = (full: number, short: number): number => FULL ? full : short;

// ------------------------------------------------------------------ private stores

export interface PrivateStores {
  dir: string;
  mariadb: StoreProcess;
  redis: StoreProcess;
  /** mysql://root@127.0.0.1:<port> (no database). */
  databaseUrl: string;
  redisUrl: string;
  /** Kills redis-server and starts an empty one on the same port (a restart with no memory). */
  wipeRedis(): Promise<void>;
  /** Stops mariadbd (SIGTERM, waiting for it to exit). */
  stopMariadb(): Promise<void>;
  /** Starts mariadbd again over the same data dir and port. */
  startMariadb(): Promise<void>;
  /** Stops both and removes the data dir. */
  close(): Promise<void>;
}

export async function privateStores(): Promise<PrivateStores> {
  const dir = await Deno.makeTempDir({ prefix: "bo-drill-" });
  let mariadb: StoreProcess | undefined;
  let redis: StoreProcess | undefined;
  try {
    mariadb = await startMariadb({ dir: `${dir}/mariadb` });
    redis = await startRedis({ dir: `${dir}/redis` });
  } catch (e) {
    await mariadb?.kill();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
  const port = { mariadb: mariadb.port, redis: redis.port };
  const stores: PrivateStores = {
    dir,
    mariadb,
    redis,
    databaseUrl: `mysql://root@127.0.0.1:${port.mariadb}`,
    redisUrl: `redis://127.0.0.1:${port.redis}`,
    async wipeRedis() {
      await stores.redis.kill();
      stores.redis = await startRedis({ dir: `${dir}/redis`, port: port.redis });
    },
    async stopMariadb() {
      await stores.mariadb.stop();
    },
    async startMariadb() {
      stores.mariadb = await startMariadb({ dir: `${dir}/mariadb`, port: port.mariadb });
    },
    async close() {
      await stores.redis.kill().catch(() => {});
      await stores.mariadb.kill().catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  return stores;
}

/** A test environment (database, Redis prefix, in-process app) on the drill's private stores. */
export function drillEnv(stores: PrivateStores, vars: Record<string, string> = {}) {
  return testEnv(vars, { databaseUrl: stores.databaseUrl, redisUrl: stores.redisUrl });
}

/** A boxoffice server process over the drill's env (same database, prefix and JWT secret). */
export async function startServer(
  env: TestEnv,
  vars: Record<string, string> = {},
): Promise<ServerProcess> {
  const s = spawnServer({
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    REDIS_PREFIX: env.config.redisPrefix,
    JWT_SECRET: TEST_JWT_SECRET,
    JOBS: "false",
    LOG_LEVEL: "warn",
    DB_POOL_SIZE: "30",
    ...vars,
  });
  let exited = false;
  s.exited.then(() => exited = true);
  try {
    await waitFor(
      "the server to answer /api/health",
      async () => {
        if (exited) throw new Error(`server exited:\n${s.lines.slice(-20).join("\n")}`);
        const res = await fetch(`${s.url}/api/health`).catch(() => undefined);
        await res?.body?.cancel();
        return res?.status === 200 ? true : undefined;
      },
      60_000,
      50,
    );
  } catch (e) {
    s.signal("SIGKILL");
    await s.exited;
    throw e;
  }
  return s;
}

/** Lines of the server's log that report a bug (an error answered with 500 INTERNAL). */
export function bugsLogged(s: ServerProcess): string[] {
  return s.lines.filter((l) => /"msg":"unhandled error"/.test(l)).slice(0, 5);
}

export async function stopServer(s: ServerProcess | undefined): Promise<void> {
  if (!s) return;
  s.signal("SIGKILL");
  await s.exited;
}

// ------------------------------------------------------------------ requests and tallies

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when it is not JSON. */
  json: Envelope | undefined;
}

export interface Envelope {
  code: number;
  message: string;
  data: unknown;
  success: boolean;
  error?: string;
}

/** Counts of what a drill sent and got back. */
export class Tally {
  requests = 0;
  successes = 0;
  rejections = 0;
  serverErrors = 0;
  /** Requests that got no reply at all (the server was killed under them). */
  noReply = 0;
  byStatus = new Map<number, number>();

  count(status: number | undefined): void {
    this.requests++;
    if (status === undefined) {
      this.noReply++;
      return;
    }
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    if (status >= 500) this.serverErrors++;
    else if (status >= 200 && status < 300) this.successes++;
    else this.rejections++;
  }

  statuses(): Record<string, number> {
    return Object.fromEntries([...this.byStatus].sort(([a], [b]) => a - b));
  }
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Sent as is. */
  rawBody?: BodyInit;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** One HTTP request; the reply read whole. Throws only when no reply came (connection lost). */
export async function request(
  base: string,
  method: string,
  path: string,
  opts: RequestOptions = {},
  tally?: Tally,
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    });
    text = await res.text();
  } catch (e) {
    tally?.count(undefined);
    throw e;
  }
  tally?.count(res.status);
  let json: Envelope | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * Runs `task(i)` for i in [0, n) with at most `concurrency` at a time. After a task fails no new
 * ones start, and the first failure is thrown once the running ones have ended (so nothing of
 * the drill still runs when its stores are removed).
 */
export async function fire(
  n: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < n && !failed) {
      try {
        await task(next++);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(concurrency, n) }, worker),
  );
  const failure = results.find((r) => r.status === "rejected");
  if (failure) throw (failure as PromiseRejectedResult).reason;
}

/** Polls `check` until it returns something other than undefined, or fails at the deadline. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  pollMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** A 503 as the contract says: envelope, UNAVAILABLE, and a Retry-After in seconds. */
export function assertUnavailable(r: Reply, what: string): void {
  assert.equal(r.status, 503, `${what}: ${r.text}`);
  assert.equal(r.json?.error, "UNAVAILABLE", `${what}: ${r.text}`);
  assert.match(r.headers.get("retry-after") ?? "", /^\d+$/, `${what}: no Retry-After`);
}

// ------------------------------------------------------------------ invariants and the summary

/** The audit of the drill's sessions; asserts it found nothing. Returns the checks passed. */
export async function assertAudit(
  env: TestEnv,
  sessionIds: number[],
  graceMs = 0,
): Promise<AuditReport> {
  const report = await audit(env.ctx, { sessionIds, graceMs });
  assert.ok(report.ok, `audit: ${JSON.stringify(report.violations.slice(0, 10))}`);
  return report;
}

export interface SummaryRow {
  drill: string;
  requests: number;
  successes: number;
  rejections: number;
  serverErrors: number;
  noReply: number;
  /** Invariant checks that passed (audit checks and the drill's own). */
  checksPassed: number;
  violations: number;
  seconds: number;
}

/** A drill's row from its tally and checks (the runner adds the seconds). */
export function summaryOf(
  drill: string,
  tally: Tally,
  checks: Checks,
): Omit<SummaryRow, "seconds"> {
  return {
    drill,
    requests: tally.requests,
    successes: tally.successes,
    rejections: tally.rejections,
    serverErrors: tally.serverErrors,
    noReply: tally.noReply,
    checksPassed: checks.passed,
    violations: 0,
  };
}

/** Prints the drill's row and appends it to FAULTS_SUMMARY (a JSON-lines file) when set. */
export async function recordSummary(row: SummaryRow): Promise<void> {
  console.log(`drill summary: ${JSON.stringify(row)}`);
  const file = Deno.env.get("FAULTS_SUMMARY");
  if (file) await Deno.writeTextFile(file, JSON.stringify(row) + "\n", { append: true });
}

/** Counts the drill's own assertions as invariant checks for the summary. */
export class Checks {
  passed = 0;
  /** Asserts and counts. */
  ok(condition: unknown, message: string): void {
    assert.ok(condition, message);
    this.passed++;
  }
  equal<T>(actual: T, expected: T, message: string): void {
    assert.deepEqual(actual, expected, message);
    this.passed++;
  }
}

/** The server child's resident set size in KiB (VmRSS of /proc/<pid>/status). */
export async function rssKib(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/**
 * The drill's frame: private stores, an env on them, cleanup whatever happens. The body returns
 * its summary row.
 */
export function drill(
  name: string,
  opts: { short: boolean },
  fn: (t: Deno.TestContext, stores: PrivateStores) => Promise<Omit<SummaryRow, "seconds">>,
): void {
  Deno.test({
    name: `fault drill ${name}${FULL ? "" : opts.short ? " (short)" : " (FAULTS_FULL=1 only)"}`,
    ignore: !FULL && !opts.short,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      const started = Date.now();
      const stores = await privateStores();
      try {
        const row = await fn(t, stores);
        await recordSummary({ ...row, seconds: Math.round((Date.now() - started) / 100) / 10 });
      } finally {
        await stores.close();
      }
    },
  });
}
