/**
 * The configuration of one boxoffice process, read from the environment once at boot and
 * validated there: a bad value stops the process with one line naming the variable.
 */

export interface Config {
  port: number;
  host: string;
  demo: boolean;
  dataDir: string;
  /** `mysql://user:pass@host:port/db`; undefined: try 127.0.0.1:3306 (and, in demo, a private one). */
  databaseUrl?: string;
  databaseReadUrl?: string;
  dbPoolSize: number;
  /** Undefined: try 127.0.0.1:6379 (and, in demo, a private one). */
  redisUrl?: string;
  redisClusterNodes?: string[];
  /** Prepended to every Redis key, so several deployments or test runs can share one Redis. */
  redisPrefix: string;
  /** Undefined only in demo mode, where the secret is generated and kept under `dataDir`. */
  jwtSecret?: string;
  jwtTtlSeconds: number;
  adminUsername?: string;
  adminPassword?: string;
  seatHoldSeconds: number;
  /** Most seat-hours one `GET /api/seat/availability` reads (seats × hours); more is a 400. */
  availabilityMaxSlots: number;
  orderPaySeconds: number;
  timeZone: string;
  /** Undefined: no CORS headers (outside demo) or any localhost origin (demo). */
  corsOrigins?: string[];
  logLevel: LogLevel;
  bodyLimitBytes: number;
  loginMaxFailures: number;
  loginMaxFailuresPerIp: number;
  loginWindowSeconds: number;
  /** Identical creates from one buyer within this window return the first order (0: off). */
  dedupWindowSeconds: number;
  /** Seat-hours one buyer may hold and have in unpaid orders per hourly session at once. */
  hourlyMaxSeatHours: number;
  /** How long a session's sale state stays in Redis after the session ends. */
  sessionKeysGraceSeconds: number;
  /** How long a tier found sold out is refused from process memory (0: always ask Redis). */
  soldOutCacheMs: number;
  /**
   * Unexpired token revocations past which a process keeps no complete copy of them in memory
   * (lib/accounts/revocation_view.ts) and asks Redis about each buyer instead. 0: never.
   */
  revocationViewMax: number;
  /**
   * How long a read of an area's live seat state serves its layouts (this process's own writes
   * are seen at once; other processes' within this time). 0: read for every layout.
   */
  layoutCacheMs: number;
  /**
   * How long a public catalog read (show list, detail, sessions) is served from this process's
   * memory (0: every read asks MySQL). Catalog writes through this process clear it at once;
   * other processes' writes and stock counts are seen within this time.
   */
  catalogCacheMs: number;
  /** A reservation with no order row older than this is an orphan the reconciler releases. */
  reconcileGraceSeconds: number;
  /**
   * How many proxies in front of the service append to X-Forwarded-For (0: none, use the
   * socket's address). The client is the address the outermost trusted proxy saw.
   */
  trustProxyHops: number;
  /** Registrations per client address per login window (0: not throttled). */
  registerMaxPerIp: number;
  /** Warn when a tier's available stock falls below this share of its total. */
  lowStockRatio: number;
  /** Cron jobs registered at boot (off in tests, which trigger jobs through the admin API). */
  jobsEnabled: boolean;
  /** Compensation attempts before a record is marked for a human. */
  compensationMaxAttempts: number;
  /**
   * Lifetime of a job's Redis lease, renewed while the run lasts: how long a crashed holder
   * keeps the other instances from running that job.
   */
  jobLeaseSeconds: number;
  /**
   * Requests this process works on at once; more are answered 503 at once (0: no limit). The
   * default only bounds memory (a burst of 2,000 at once is still served, slowly); latency needs
   * about sustained req/s x target latency.
   */
  maxInFlight: number;
  /**
   * Group commit of creates (lib/orders/committer.ts): creates whose Redis reserve succeeded are
   * written together, up to `orderBatchMax` a transaction, a batch leaving at most
   * `orderBatchWaitMs` after its first order queued. Off: one transaction per create.
   */
  orderBatch: boolean;
  orderBatchMax: number;
  orderBatchWaitMs: number;
}

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** One variable, one reason: what main.ts prints before exiting with status 2. */
export class ConfigError extends Error {
  constructor(readonly variable: string, reason: string) {
    super(`${variable}: ${reason}`);
    this.name = "ConfigError";
  }
}

/** Every variable boxoffice reads, with its meaning: printed by `--help`. */
export const VARIABLES: ReadonlyArray<[string, string]> = [
  ["PORT", "HTTP port (default 8000)"],
  ["HOST", "address to listen on (default 0.0.0.0)"],
  ["DEMO", "true: demo mode (generated JWT secret, admin/123456, sample data, private stores)"],
  ["DATA_DIR", "where demo mode keeps its secret and private stores (default .data)"],
  [
    "DATABASE_URL",
    "mysql://user:pass@host:port/db (default mysql://root@127.0.0.1:3306/boxoffice)",
  ],
  ["DATABASE_READ_URL", "optional replica for reads"],
  ["DB_POOL_SIZE", "MySQL connections per process (default 20)"],
  ["REDIS_URL", "redis://host:port[/db] (default redis://127.0.0.1:6379)"],
  ["REDIS_CLUSTER_NODES", "host:port,host:port of a Redis Cluster (instead of REDIS_URL)"],
  ["REDIS_PREFIX", "prefix of every Redis key (default bo:)"],
  ["JWT_SECRET", "HS256 secret, at least 32 bytes (required outside demo mode)"],
  ["JWT_TTL_SECONDS", "token lifetime (default 86400)"],
  ["ADMIN_USERNAME", "with ADMIN_PASSWORD: create or update this admin at boot"],
  ["ADMIN_PASSWORD", "the admin's password (6-72 characters)"],
  ["SEAT_HOLD_SECONDS", "how long a seat hold lasts (default 300)"],
  [
    "AVAILABILITY_MAX_SLOTS",
    "most seat-hours (seats × hours) one availability request reads (default 10000)",
  ],
  ["ORDER_PAY_SECONDS", "how long an unpaid order lasts (default 900)"],
  ["TIME_ZONE", "IANA zone of zone-less times and of replies (default UTC)"],
  ["CORS_ORIGINS", "comma-separated allowed origins, * for any"],
  ["LOG_LEVEL", "debug|info|warn|error|silent (default info)"],
  ["BODY_LIMIT_BYTES", "largest accepted request body (default 1048576)"],
  ["LOGIN_MAX_FAILURES", "failed logins per username per window before 429 (default 5)"],
  ["LOGIN_MAX_FAILURES_PER_IP", "failed logins per client address per window (default 50)"],
  ["LOGIN_WINDOW_SECONDS", "the failed-login window (default 900)"],
  ["DEDUP_WINDOW_SECONDS", "identical creates within this window are one order (default 10)"],
  [
    "HOURLY_MAX_SEAT_HOURS",
    "seat-hours a buyer may hold and have in unpaid orders per hourly session (default 240)",
  ],
  [
    "LAYOUT_CACHE_MS",
    "a seat layout's live state is read at most this often per area and process; this process's own writes show at once (default 200; 0: off)",
  ],
  [
    "SOLD_OUT_CACHE_MS",
    "a tier found sold out is refused without Redis for this long (default 100; 0: off)",
  ],
  [
    "REVOCATION_VIEW_MAX",
    "unexpired token revocations each process copies into memory, so a token's first use asks Redis nothing; past it each user is asked in Redis (default 100000; 0: off)",
  ],
  [
    "CATALOG_CACHE_MS",
    "show lists, details and sessions are served from memory for this long; their stock " +
    "counts may lag by as much (default 1000; 0: off)",
  ],
  [
    "SESSION_KEYS_GRACE_SECONDS",
    "a session's sale state leaves Redis this long after the session ends (default 86400)",
  ],
  [
    "RECONCILE_GRACE_SECONDS",
    "age after which a reservation without order is released (default 120)",
  ],
  [
    "TRUST_PROXY",
    "proxy hops that append to X-Forwarded-For (default 0; true = 1): the client address is " +
    "the one the outermost of them saw",
  ],
  ["REGISTER_MAX_PER_IP", "registrations per client address per login window (default 0: off)"],
  ["LOW_STOCK_RATIO", "warn below this share of a tier's stock (default 0.1)"],
  ["JOBS", "false: do not register the cron jobs (default true)"],
  ["COMPENSATION_MAX_ATTEMPTS", "attempts before a compensation needs a human (default 8)"],
  ["JOB_LEASE_SECONDS", "lease of a running job, renewed while it runs (default 30)"],
  [
    "MAX_IN_FLIGHT",
    "requests in flight per process before 503 + Retry-After (default 4096, 0: no limit; " +
    "about sustained req/s x target latency keeps latency, e.g. 256)",
  ],
  [
    "ORDER_BATCH",
    "false: one MySQL transaction per create instead of group commit (default true)",
  ],
  ["ORDER_BATCH_MAX", "most creates in one group-commit transaction (default 64)"],
  [
    "ORDER_BATCH_WAIT_MS",
    "longest a create waits for others to join its transaction (default 0: those of the same turn of the event loop)",
  ],
];

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env, args: readonly string[] = []): Config {
  const read = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const demo = args.includes("--demo") || bool(read, "DEMO", false);
  const jwtSecret = read("JWT_SECRET");
  if (jwtSecret === undefined && !demo) {
    throw new ConfigError("JWT_SECRET", "required outside demo mode (at least 32 bytes)");
  }
  if (jwtSecret !== undefined && new TextEncoder().encode(jwtSecret).length < 32) {
    throw new ConfigError("JWT_SECRET", "must be at least 32 bytes long");
  }
  const adminUsername = read("ADMIN_USERNAME");
  const adminPassword = env["ADMIN_PASSWORD"];
  if ((adminUsername === undefined) !== (adminPassword === undefined || adminPassword === "")) {
    throw new ConfigError(
      adminUsername ? "ADMIN_PASSWORD" : "ADMIN_USERNAME",
      "ADMIN_USERNAME and ADMIN_PASSWORD go together",
    );
  }
  if (adminPassword && (adminPassword.length < 6 || adminPassword.length > 72)) {
    throw new ConfigError("ADMIN_PASSWORD", "must be 6-72 characters");
  }
  const timeZone = read("TIME_ZONE") ?? "UTC";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch {
    throw new ConfigError("TIME_ZONE", `unknown time zone "${timeZone}"`);
  }
  const logLevel = read("LOG_LEVEL") ?? "info";
  if (!["debug", "info", "warn", "error", "silent"].includes(logLevel)) {
    throw new ConfigError("LOG_LEVEL", "must be one of debug, info, warn, error, silent");
  }
  const clusterNodes = read("REDIS_CLUSTER_NODES");
  const lowStockRatio = Number(read("LOW_STOCK_RATIO") ?? "0.1");
  if (!(lowStockRatio >= 0 && lowStockRatio <= 1)) {
    throw new ConfigError("LOW_STOCK_RATIO", "must be a number from 0 to 1");
  }
  return {
    port: int(read, "PORT", 8000, 0, 65535),
    host: read("HOST") ?? "0.0.0.0",
    demo,
    dataDir: read("DATA_DIR") ?? ".data",
    databaseUrl: mysqlUrl(read, "DATABASE_URL"),
    databaseReadUrl: mysqlUrl(read, "DATABASE_READ_URL"),
    dbPoolSize: int(read, "DB_POOL_SIZE", 20, 1, 1000),
    redisUrl: redisUrl(read, "REDIS_URL"),
    redisClusterNodes: clusterNodes === undefined ? undefined : hostPorts(clusterNodes),
    redisPrefix: read("REDIS_PREFIX") ?? "bo:",
    jwtSecret,
    jwtTtlSeconds: int(read, "JWT_TTL_SECONDS", 86400, 60, 30 * 86400),
    adminUsername,
    adminPassword: adminPassword || undefined,
    seatHoldSeconds: int(read, "SEAT_HOLD_SECONDS", 300, 1, 86400),
    availabilityMaxSlots: int(read, "AVAILABILITY_MAX_SLOTS", 10_000, 24, 100_000),
    orderPaySeconds: int(read, "ORDER_PAY_SECONDS", 900, 1, 7 * 86400),
    timeZone,
    corsOrigins: read("CORS_ORIGINS")?.split(",").map((s) => s.trim()).filter(Boolean),
    logLevel: logLevel as LogLevel,
    bodyLimitBytes: int(read, "BODY_LIMIT_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
    loginMaxFailures: int(read, "LOGIN_MAX_FAILURES", 5, 1, 1000),
    loginMaxFailuresPerIp: int(read, "LOGIN_MAX_FAILURES_PER_IP", 50, 1, 100000),
    loginWindowSeconds: int(read, "LOGIN_WINDOW_SECONDS", 900, 1, 86400),
    dedupWindowSeconds: int(read, "DEDUP_WINDOW_SECONDS", 10, 0, 3600),
    hourlyMaxSeatHours: int(read, "HOURLY_MAX_SEAT_HOURS", 240, 1, 100_000),
    sessionKeysGraceSeconds: int(read, "SESSION_KEYS_GRACE_SECONDS", 86400, 60, 366 * 86400),
    soldOutCacheMs: int(read, "SOLD_OUT_CACHE_MS", 100, 0, 10_000),
    revocationViewMax: int(read, "REVOCATION_VIEW_MAX", 100_000, 0, 10_000_000),
    layoutCacheMs: int(read, "LAYOUT_CACHE_MS", 200, 0, 60_000),
    catalogCacheMs: int(read, "CATALOG_CACHE_MS", 1000, 0, 60_000),
    reconcileGraceSeconds: int(read, "RECONCILE_GRACE_SECONDS", 120, 1, 86400),
    trustProxyHops: proxyHops(read),
    registerMaxPerIp: int(read, "REGISTER_MAX_PER_IP", 0, 0, 1_000_000),
    lowStockRatio,
    jobsEnabled: bool(read, "JOBS", true),
    compensationMaxAttempts: int(read, "COMPENSATION_MAX_ATTEMPTS", 8, 1, 100),
    jobLeaseSeconds: int(read, "JOB_LEASE_SECONDS", 30, 2, 3600),
    maxInFlight: int(read, "MAX_IN_FLIGHT", 4096, 0, 1_000_000),
    orderBatch: bool(read, "ORDER_BATCH", true),
    orderBatchMax: int(read, "ORDER_BATCH_MAX", 64, 1, 1000),
    orderBatchWaitMs: int(read, "ORDER_BATCH_WAIT_MS", 0, 0, 1000),
  };
}

function int(
  read: (n: string) => string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = read(name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function bool(read: (n: string) => string | undefined, name: string, fallback: boolean): boolean {
  const raw = read(name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

/** TRUST_PROXY as a hop count; `true`/`false` still mean one hop / none. */
function proxyHops(read: (n: string) => string | undefined): number {
  const raw = read("TRUST_PROXY")?.toLowerCase();
  if (raw === undefined) return 0;
  if (["true", "yes", "on"].includes(raw)) return 1;
  if (["false", "no", "off"].includes(raw)) return 0;
  return int(read, "TRUST_PROXY", 0, 0, 16);
}

function mysqlUrl(read: (n: string) => string | undefined, name: string): string | undefined {
  const raw = read(name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, "must look like mysql://user:pass@host:port/database");
  }
  if (!["mysql:", "mariadb:"].includes(url.protocol) || !url.hostname) {
    throw new ConfigError(name, "must look like mysql://user:pass@host:port/database");
  }
  if (!/^\/[A-Za-z0-9_$]{1,64}$/.test(url.pathname)) {
    throw new ConfigError(name, "must name a database (letters, digits, _ and $)");
  }
  return raw;
}

function redisUrl(read: (n: string) => string | undefined, name: string): string | undefined {
  const raw = read(name);
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw);
    if (["redis:", "rediss:"].includes(url.protocol) && url.hostname) return raw;
  } catch {
    // fall through to the one-line error
  }
  throw new ConfigError(name, "must look like redis://host:port");
}

function hostPorts(raw: string): string[] {
  const nodes = raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (nodes.length === 0 || nodes.some((n) => !/^[^\s:]+:\d{1,5}$/.test(n))) {
    throw new ConfigError("REDIS_CLUSTER_NODES", "must be host:port,host:port");
  }
  return nodes;
}

/** Where the database lives when DATABASE_URL is not set. */
export const DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/boxoffice";
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
