/**
 * What every scenario of bench/run.ts stands on: a fresh database and Redis key prefix on the
 * found stores, a boxoffice server (main.ts) in its own process, buyers inserted in bulk with
 * minted tokens, files for the wrk flows, bare handlers, a sampler of the server's RSS and CPU,
 * store-side counters (Redis commands and CPU, InnoDB row-lock waits), and the audit at the end.
 */
import { mysql } from "#deps";
import { audit, type AuditReport } from "#lib/ops/audit.ts";
import { closeContext, createContext } from "#lib/boot.ts";
import { loadConfig } from "#lib/platform/config.ts";
import type { AppContext } from "#lib/platform/context.ts";
import { connectionOptions } from "#lib/platform/db.ts";
import { findOrStartStores, type FoundStores, freePort } from "#dev/local_stores.ts";
import { createLogger } from "#lib/platform/log.ts";
import { migrate } from "#lib/platform/migrate.ts";
import { ACTIVE_STATUSES_SQL } from "#lib/orders/status.ts";
import { issueToken } from "#lib/accounts/tokens.ts";
import { cpuSeconds, round, rssMb } from "./stats.ts";
import { MEMORY_FLAGS } from "../tools/compile.ts";

const root = new URL("..", import.meta.url).pathname;
const deno = Deno.execPath();
export const QUICK = Deno.env.get("BENCH_QUICK") === "1";

/** BENCH_SERVER_FLAGS: more `deno run` flags for boxoffice's server (e.g. `--v8-flags=...`). */
export const EXTRA_SERVER_FLAGS = (Deno.env.get("BENCH_SERVER_FLAGS") ?? "").split(" ").filter(
  Boolean,
);
/** Same pool size on our server and on the baselines. */
export const POOL_SIZE = 20;
/** Event loops of the bare handler of the headroom checks (BENCH_BARE_THREADS, default: cores). */
export const BARE_THREADS = Number(
  Deno.env.get("BENCH_BARE_THREADS") ?? navigator.hardwareConcurrency,
);

export const say = (line: string) => console.error(`bench: ${line}`);

let stores: Promise<FoundStores> | undefined;
export function benchStores(): Promise<FoundStores> {
  stores ??= findOrStartStores({
    databaseUrl: Deno.env.get("BENCH_DATABASE_URL") ??
      Deno.env.get("BOXOFFICE_TEST_DATABASE_URL"),
    redisUrl: Deno.env.get("BENCH_REDIS_URL") ?? Deno.env.get("BOXOFFICE_TEST_REDIS_URL"),
    dataDir: ".data/test-stores",
    startMissing: true,
    say,
  });
  return stores;
}

const withDatabase = (serverUrl: string, name: string) => {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
};

/** A process of ours (server or baseline) with its output kept for when it fails. */
export interface Child {
  pid: number;
  url: string;
  output: string[];
  /**
   * Its first ERROR_LINES_MAX log lines of level error, kept whatever else it writes: a reply
   * outside the expected ones (a 500 among 20,000 creates) is explained here, not lost with the
   * output's older chunks.
   */
  errorLines: string[];
  stop(): Promise<number>;
}

const ERROR_LINES_MAX = 20;

export async function startChild(
  script: string,
  env: Record<string, string>,
  denoFlags: string[] = [],
  tree = root,
): Promise<Child> {
  const port = freePort();
  const child = new Deno.Command(deno, {
    args: ["run", "-A", ...denoFlags, `${tree}${script}`],
    cwd: tree,
    env: { ...env, PORT: String(port) },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output: string[] = [];
  const errorLines: string[] = [];
  const pump = async (s: ReadableStream<Uint8Array>) => {
    let partial = "";
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) {
      output.push(chunk);
      if (output.length > 200) output.shift();
      if (errorLines.length >= ERROR_LINES_MAX) continue;
      const lines = (partial + chunk).split("\n");
      partial = lines.pop()!;
      for (const line of lines) {
        if (line.includes('"level":"error"') && errorLines.length < ERROR_LINES_MAX) {
          errorLines.push(line);
        }
      }
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await pumps;
    return s.code;
  });
  // Polling a process that is starting up: there is no event to wait for across processes.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${script} exited while starting:\n${output.join("")}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${script} did not listen within 60 s:\n${output.join("")}`);
    }
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status < 500) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid,
    url,
    output,
    errorLines,
    async stop() {
      if (!exited) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => !exited && child.kill("SIGKILL"), 15_000);
        const code = await status;
        clearTimeout(timer);
        return code;
      }
      return await status;
    },
  };
}

export async function runJsonProcess<T>(script: string, input: unknown): Promise<T> {
  const child = new Deno.Command(deno, {
    args: ["run", "-A", `${root}${script}`],
    cwd: root,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(input)));
  await writer.close();
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(`${script} failed:\n${new TextDecoder().decode(out.stderr)}\n${text}`);
  }
  return JSON.parse(text.split("\n").at(-1)!) as T;
}

/** Store-side and server-side counters over one load phase. */
export interface PhaseCounters {
  serverRssPeakMb: number;
  /** CPU the server process used during the phase, in cores. */
  serverCores: number;
  /** Redis commands per request of the phase (every client of the Redis counts: noisy). */
  redisCommandsPerRequest: number;
  redisCores: number;
  /** InnoDB row-lock waits in the phase, and the time spent in them per request. */
  rowLockWaits: number;
  rowLockMsPerRequest: number;
}

export class Bench {
  readonly name: string;
  readonly database: string;
  readonly prefix: string;
  readonly jwtSecret = crypto.randomUUID() + crypto.randomUUID();
  readonly adminPassword = crypto.randomUUID().slice(0, 20);
  ctx!: AppContext;
  server!: Child;
  /** The server of BENCH_BEFORE's checkout, when given. */
  before?: Child;
  serverUrl = "";
  databaseUrl = "";
  redisUrl = "";
  baseDatabase = "";
  adminToken = "";
  #children: Child[] = [];
  #dir?: string;

  constructor(scenario: string) {
    const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
    this.name = scenario;
    this.database = `bo_bench_${run}`;
    this.prefix = `bo_bench_${run}:`;
  }

  /** Fresh database and prefix, our context on them, and the server. */
  async open(serverEnv: Record<string, string> = {}, denoFlags: string[] = []): Promise<void> {
    const found = await benchStores();
    this.serverUrl = found.databaseUrl;
    this.redisUrl = found.redisUrl;
    this.databaseUrl = withDatabase(found.databaseUrl, this.database);
    const config = loadConfig({
      JWT_SECRET: this.jwtSecret,
      REDIS_PREFIX: this.prefix,
      LOG_LEVEL: "error",
      DB_POOL_SIZE: "4",
      JOBS: "false",
    });
    this.ctx = await createContext(config, {
      databaseUrl: this.databaseUrl,
      redisUrl: this.redisUrl,
      log: createLogger("error"),
    });
    // The default log level: the request log line is part of what a request costs.
    const env = {
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: this.redisUrl,
      REDIS_PREFIX: this.prefix,
      JWT_SECRET: this.jwtSecret,
      JOBS: "false",
      LOG_LEVEL: "info",
      DB_POOL_SIZE: String(POOL_SIZE),
      HOST: "127.0.0.1",
      ADMIN_USERNAME: "benchadmin",
      ADMIN_PASSWORD: this.adminPassword,
      ...serverEnv,
    };
    // As deployed: the memory flags of `deno task start` and the compiled binary.
    this.server = await this.start("main.ts", env, [
      ...MEMORY_FLAGS,
      "--unstable-cron",
      ...denoFlags,
    ]);
    // BENCH_BEFORE=<another checkout>: its server too, on the same stores, for before/after
    // measured side by side (health and soldout alternate it with the others).
    const before = Deno.env.get("BENCH_BEFORE");
    if (before) {
      const child = await startChild(
        "main.ts",
        env,
        [...MEMORY_FLAGS, "--unstable-cron"],
        before.replace(/\/?$/, "/"),
      );
      this.#children.push(child);
      this.before = child;
    }
    const login = await this.api<{ token: string }>("POST", "/api/user/login", {
      username: "benchadmin",
      password: this.adminPassword,
    });
    this.adminToken = login.data.token;
  }

  /** Starts one more process (a baseline) that is stopped with the bench. */
  async start(script: string, env: Record<string, string>, flags: string[] = []): Promise<Child> {
    const child = await startChild(script, env, flags);
    this.#children.push(child);
    return child;
  }

  /** A scratch file for a wrk flow (tokens, seat ids), removed with the bench; its path. */
  async file(name: string, content: string): Promise<string> {
    this.#dir ??= await Deno.makeTempDir({ prefix: `bench-${this.name}-` });
    const path = `${this.#dir}/${name}-${crypto.randomUUID().slice(0, 6)}`;
    await Deno.writeTextFile(path, content);
    return path;
  }

  /**
   * A bare Hono handler (bench/baselines/bare.ts) answering with these canned replies, on one
   * thread per core unless `threads` says otherwise (the headroom check: how hard wrk can drive a
   * server; a baseline of per-request cost runs one).
   */
  async bare(
    canned: { method: string; path: string; status: number; body: string; gzip?: boolean }[],
    threads = BARE_THREADS,
  ) {
    return await this.start("bench/baselines/bare.ts", {
      CANNED: await this.file("canned.json", JSON.stringify(canned)),
      BARE_THREADS: String(threads),
    }, ["--unstable-net"]);
  }

  /** One request to the server, its reply as bytes (to be replayed by a bare handler). */
  async raw(
    method: string,
    path: string,
    body?: string,
    token?: string,
  ): Promise<{ status: number; body: string }> {
    const res = await fetch(`${this.server.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body,
    });
    return { status: res.status, body: await res.text() };
  }

  async api<T>(
    method: string,
    path: string,
    body?: unknown,
    token = this.adminToken,
  ): Promise<{ status: number; data: T; error?: string; message: string }> {
    const res = await fetch(`${this.server.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    try {
      const env = JSON.parse(text);
      return { status: res.status, ...env };
    } catch {
      return { status: res.status, data: null as T, message: text.slice(0, 200) };
    }
  }

  async ok<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.api<T>(method, path, body);
    if (res.status !== 200) {
      throw new Error(`${method} ${path}: ${res.status} ${res.error} ${res.message}`);
    }
    return res.data;
  }

  /** A show, a session on sale now, and one tier, through the admin API. */
  async sale(opts: { stock: number; limit: number; price?: number }) {
    const showId = (await this.ok<{ id: number }>("POST", "/api/show", {
      name: "Bench Night",
      type: 1,
      venue: "Arena",
      city: "上海",
      startTime: "2030-05-01 19:30:00",
      endTime: "2030-05-01 22:00:00",
      isHot: true,
    })).id;
    const sessionId = (await this.ok<{ id: number }>("POST", `/api/show/${showId}/sessions`, {
      name: "Night 1",
      startTime: "2030-05-01 19:30:00",
      endTime: "2030-05-01 22:00:00",
    })).id;
    const ticketId = await this.tier(showId, sessionId, opts);
    return { showId, sessionId, ticketId, price: opts.price ?? 380 };
  }

  async tier(
    showId: number,
    sessionId: number,
    opts: { stock: number; limit: number; price?: number },
  ) {
    return (await this.ok<{ id: number }>("POST", "/api/ticket", {
      showId,
      sessionId,
      name: `Tier ${crypto.randomUUID().slice(0, 4)}`,
      price: opts.price ?? 380,
      totalStock: opts.stock,
      limitCount: opts.limit,
    })).id;
  }

  /** `n` buyers inserted in one statement, each with a freshly minted token. */
  async buyers(n: number): Promise<{ id: number; token: string }[]> {
    const tag = crypto.randomUUID().slice(0, 6);
    const names = Array.from({ length: n }, (_, i) => `b${tag}_${i}`);
    for (let i = 0; i < names.length; i += 1000) {
      const chunk = names.slice(i, i + 1000);
      await this.ctx.db.exec(
        `INSERT INTO users (username, password_hash, phone, nickname, role) VALUES ${
          chunk.map(() => "(?, 'bench-no-login', '13800138000', ?, 'user')").join(", ")
        }`,
        chunk.flatMap((u) => [u, u]),
      );
    }
    const rows = await this.ctx.db.rows<{ id: number }>(
      "SELECT id FROM users WHERE username LIKE ? ORDER BY id",
      [`b${tag}\\_%`],
    );
    const out = [];
    for (const r of rows) {
      out.push({ id: r.id, token: (await issueToken(this.ctx, { id: r.id, role: "user" })).token });
    }
    return out;
  }

  /** A second fresh database with boxoffice's schema, for baselines that bypass boxoffice. */
  async baseDb(): Promise<string> {
    this.baseDatabase = `${this.database}_base`;
    const url = withDatabase(this.serverUrl, this.baseDatabase);
    await migrate(url);
    return url;
  }

  /** Runs `fn` (a load phase) while sampling the server's RSS and the stores' counters. */
  async measure<T>(pid: number, requests: (r: T) => number, fn: () => Promise<T>) {
    let peak = rssMb(pid);
    const sampler = setInterval(() => {
      const now = rssMb(pid);
      if (now > peak) peak = now;
    }, 100);
    const cpu0 = cpuSeconds(pid);
    const r0 = await this.redisInfo();
    const m0 = await this.rowLocks();
    const t0 = performance.now();
    let result: T;
    try {
      result = await fn();
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    const r1 = await this.redisInfo();
    const m1 = await this.rowLocks();
    const n = Math.max(1, requests(result));
    const counters: PhaseCounters = {
      serverRssPeakMb: Math.max(peak, rssMb(pid)),
      serverCores: round(cpu / seconds),
      redisCommandsPerRequest: round((r1.commands - r0.commands) / n),
      redisCores: round((r1.cpu - r0.cpu) / seconds),
      rowLockWaits: m1.waits - m0.waits,
      rowLockMsPerRequest: round((m1.ms - m0.ms) / n, 3),
    };
    return { result, counters };
  }

  async redisInfo(): Promise<{ commands: number; cpu: number }> {
    const info = await this.ctx.redis.send<string>(["INFO"]);
    const num = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
    return {
      commands: num("total_commands_processed"),
      cpu: num("used_cpu_user") + num("used_cpu_sys"),
    };
  }

  async rowLocks(): Promise<{ waits: number; ms: number }> {
    const rows = await this.ctx.db.rows<{ Variable_name: string; Value: string }>(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_row_lock_waits', 'Innodb_row_lock_time')",
    );
    const get = (n: string) => Number(rows.find((r) => r.Variable_name === n)?.Value ?? 0);
    return { waits: get("Innodb_row_lock_waits"), ms: get("Innodb_row_lock_time") };
  }

  /** Stops the processes, audits, and drops the database and keys. */
  async close(): Promise<AuditReport | undefined> {
    let report: AuditReport | undefined;
    for (const c of this.#children.reverse()) await c.stop();
    if (this.#dir) await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
    if (this.ctx) {
      try {
        report = await audit(this.ctx);
      } finally {
        await this.ctx.redis.deleteByPrefix(this.prefix).catch(() => 0);
        await closeContext(this.ctx);
      }
    }
    if (this.serverUrl) {
      const conn = await mysql.createConnection(connectionOptions(this.serverUrl, false));
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${this.database}\``);
        if (this.baseDatabase) await conn.query(`DROP DATABASE IF EXISTS \`${this.baseDatabase}\``);
      } finally {
        await conn.end();
      }
    }
    return report;
  }
}

/** Inserts a show, a session on sale and a tier with its stock straight into a database. */
export async function insertTier(
  databaseUrl: string,
  opts: { stock: number; limit: number; price: number },
): Promise<{ showId: number; sessionId: number; ticketId: number }> {
  const conn = await mysql.createConnection(connectionOptions(databaseUrl));
  try {
    const exec = async (sql: string, params: unknown[]) => {
      const [r] = await conn.query(sql, params);
      return (r as { insertId: number }).insertId;
    };
    const showId = await exec(
      `INSERT INTO shows (name, type, venue, city, start_time, end_time)
       VALUES ('Baseline', 1, 'Arena', '上海', '2030-05-01 19:30', '2030-05-01 22:00')`,
      [],
    );
    const sessionId = await exec(
      `INSERT INTO sessions (show_id, name, start_time, end_time, sale_start_time, sale_end_time)
       VALUES (?, 'Night', '2030-05-01 19:30', '2030-05-01 22:00', NOW(), '2030-05-01 19:30')`,
      [showId],
    );
    const ticketId = await exec(
      `INSERT INTO tickets (show_id, session_id, name, price, limit_count) VALUES (?, ?, 'Floor', ?, ?)`,
      [showId, sessionId, opts.price, opts.limit],
    );
    await exec(`INSERT INTO ticket_stock (ticket_id, total_stock) VALUES (?, ?)`, [
      ticketId,
      opts.stock,
    ]);
    return { showId, sessionId, ticketId };
  } finally {
    await conn.end();
  }
}

/** total/locked/sold of a tier and the quantity in its active orders, read from MySQL. */
export async function tierState(databaseUrl: string, ticketId: number) {
  const conn = await mysql.createConnection(connectionOptions(databaseUrl));
  try {
    const [rows] = await conn.query(
      `SELECT st.total_stock AS total, st.locked_stock AS locked, st.sold_stock AS sold,
              (SELECT CAST(COALESCE(SUM(quantity), 0) AS SIGNED) FROM orders
                WHERE ticket_id = st.ticket_id AND status ${ACTIVE_STATUSES_SQL}) AS ordered
         FROM ticket_stock st WHERE st.ticket_id = ?`,
      [ticketId],
    );
    const r = (rows as Record<string, number>[])[0];
    const total = Number(r.total), locked = Number(r.locked), sold = Number(r.sold);
    const ordered = Number(r.ordered);
    return { total, locked, sold, ordered, remaining: total - locked - sold };
  } finally {
    await conn.end();
  }
}

export const perSecond = (n: number, ms: number) => round(n / (ms / 1000), 1);

/**
 * The group committer's batch sizes so far (`boxoffice_order_batch_size` on the server's
 * /metrics): transactions per bucket (not cumulative, unlike Prometheus's), their count, the
 * orders in them and the mean. A split batch counts per part, as the server counts it.
 */
export async function orderBatchSizes(serverUrl: string) {
  const text = await (await fetch(`${serverUrl}/metrics`)).text();
  const buckets: [string, number][] = [];
  let orders = 0, transactions = 0;
  for (const line of text.split("\n")) {
    const bucket = /^boxoffice_order_batch_size_bucket\{le="([^"]+)"\} (\d+)/.exec(line);
    if (bucket) buckets.push([bucket[1], Number(bucket[2])]);
    const sum = /^boxoffice_order_batch_size_sum (\S+)/.exec(line);
    if (sum) orders = Number(sum[1]);
    const count = /^boxoffice_order_batch_size_count (\S+)/.exec(line);
    if (count) transactions = Number(count[1]);
  }
  const perBucket: Record<string, number> = {};
  let below = 0;
  for (const [le, n] of buckets) {
    perBucket[`<=${le}`] = n - below;
    below = n;
  }
  const mean = transactions ? round(orders / transactions, 1) : 0;
  return { transactions, orders, mean, perBucket };
}
