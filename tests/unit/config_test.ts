import assert from "node:assert/strict";
import { ConfigError, loadConfig, VARIABLES } from "#lib/platform/config.ts";

const SECRET = "s".repeat(32);

function rejects(env: Record<string, string>, variable: string, args: string[] = []) {
  assert.throws(() => loadConfig(env, args), (e) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.variable, variable, JSON.stringify(env));
    assert.ok(e.message.startsWith(`${variable}: `), e.message);
    assert.ok(!e.message.includes("\n"));
    return true;
  });
}

Deno.test("config: defaults", () => {
  const c = loadConfig({ JWT_SECRET: SECRET });
  assert.deepEqual(c, {
    port: 8000,
    host: "0.0.0.0",
    demo: false,
    dataDir: ".data",
    databaseUrl: undefined,
    databaseReadUrl: undefined,
    dbPoolSize: 20,
    redisUrl: undefined,
    redisClusterNodes: undefined,
    redisPrefix: "bo:",
    jwtSecret: SECRET,
    jwtTtlSeconds: 86400,
    layoutCacheMs: 200,
    adminUsername: undefined,
    adminPassword: undefined,
    seatHoldSeconds: 300,
    availabilityMaxSlots: 10_000,
    orderPaySeconds: 900,
    timeZone: "UTC",
    corsOrigins: undefined,
    logLevel: "info",
    bodyLimitBytes: 1024 * 1024,
    loginMaxFailures: 5,
    loginMaxFailuresPerIp: 50,
    loginWindowSeconds: 900,
    dedupWindowSeconds: 10,
    hourlyMaxSeatHours: 240,
    sessionKeysGraceSeconds: 86400,
    soldOutCacheMs: 100,
    revocationViewMax: 100_000,
    catalogCacheMs: 1000,
    reconcileGraceSeconds: 120,
    trustProxyHops: 0,
    registerMaxPerIp: 0,
    maxInFlight: 4096,
    lowStockRatio: 0.1,
    jobsEnabled: true,
    compensationMaxAttempts: 8,
    jobLeaseSeconds: 30,
    orderBatch: true,
    orderBatchMax: 64,
    orderBatchWaitMs: 0,
  });
});

Deno.test("config: blank values count as not set, values are trimmed", () => {
  const c = loadConfig({
    JWT_SECRET: ` ${SECRET} `,
    PORT: "  ",
    HOST: " 127.0.0.1 ",
    TIME_ZONE: "",
  });
  assert.equal(c.jwtSecret, SECRET);
  assert.equal(c.port, 8000);
  assert.equal(c.host, "127.0.0.1");
  assert.equal(c.timeZone, "UTC");
});

Deno.test("config: values that are read", () => {
  const c = loadConfig({
    JWT_SECRET: SECRET,
    PORT: "0",
    DATABASE_URL: "mariadb://u:p@db:3307/shop_1",
    DATABASE_READ_URL: "mysql://r@replica/shop",
    REDIS_URL: "rediss://cache:6380/2",
    REDIS_CLUSTER_NODES: " a:7000, b:7001 ,",
    REDIS_PREFIX: "x:",
    ADMIN_USERNAME: "root",
    ADMIN_PASSWORD: "123456",
    TIME_ZONE: "Asia/Shanghai",
    CORS_ORIGINS: "https://a.example, ,https://b.example",
    LOG_LEVEL: "silent",
    TRUST_PROXY: "YES",
    JOBS: "off",
    LOW_STOCK_RATIO: "1",
    DEDUP_WINDOW_SECONDS: "0",
    ORDER_BATCH: "off",
    ORDER_BATCH_MAX: "200",
    ORDER_BATCH_WAIT_MS: "3",
  });
  assert.equal(c.orderBatch, false);
  assert.equal(c.orderBatchMax, 200);
  assert.equal(c.orderBatchWaitMs, 3);
  assert.equal(c.port, 0);
  assert.equal(c.databaseUrl, "mariadb://u:p@db:3307/shop_1");
  assert.equal(c.databaseReadUrl, "mysql://r@replica/shop");
  assert.equal(c.redisUrl, "rediss://cache:6380/2");
  assert.deepEqual(c.redisClusterNodes, ["a:7000", "b:7001"]);
  assert.equal(c.redisPrefix, "x:");
  assert.equal(c.adminUsername, "root");
  assert.equal(c.adminPassword, "123456");
  assert.equal(c.timeZone, "Asia/Shanghai");
  assert.deepEqual(c.corsOrigins, ["https://a.example", "https://b.example"]);
  assert.equal(c.logLevel, "silent");
  assert.equal(c.trustProxyHops, 1);
  assert.equal(c.jobsEnabled, false);
  assert.equal(c.lowStockRatio, 1);
  assert.equal(c.dedupWindowSeconds, 0);
});

Deno.test("config: each bad value names its variable", () => {
  const cases: [Record<string, string>, string][] = [
    [{ JWT_SECRET: "short" }, "JWT_SECRET"],
    // 31 bytes: the length is counted in bytes, not characters.
    [{ JWT_SECRET: "é".repeat(15) + "x" }, "JWT_SECRET"],
    [{ DATABASE_URL: "postgres://x/y" }, "DATABASE_URL"],
    [{ DATABASE_URL: "not a url" }, "DATABASE_URL"],
    [{ DATABASE_URL: "mysql://root@host:3306/" }, "DATABASE_URL"],
    [{ DATABASE_URL: "mysql://root@host:3306/bad-name" }, "DATABASE_URL"],
    [{ DATABASE_READ_URL: "mysql:///db" }, "DATABASE_READ_URL"],
    [{ REDIS_URL: "http://x" }, "REDIS_URL"],
    [{ REDIS_URL: "localhost:6379" }, "REDIS_URL"],
    [{ REDIS_CLUSTER_NODES: "a,b" }, "REDIS_CLUSTER_NODES"],
    [{ REDIS_CLUSTER_NODES: "a:1,b c:2" }, "REDIS_CLUSTER_NODES"],
    [{ REDIS_CLUSTER_NODES: "," }, "REDIS_CLUSTER_NODES"],
    [{ TIME_ZONE: "Mars/Olympus" }, "TIME_ZONE"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ LOG_LEVEL: "INFO" }, "LOG_LEVEL"],
    [{ DEMO: "maybe" }, "DEMO"],
    [{ TRUST_PROXY: "17" }, "TRUST_PROXY"],
    [{ TRUST_PROXY: "maybe" }, "TRUST_PROXY"],
    [{ JOBS: "disabled" }, "JOBS"],
    [{ ORDER_BATCH: "sometimes" }, "ORDER_BATCH"],
    [{ ADMIN_USERNAME: "root" }, "ADMIN_PASSWORD"],
    [{ ADMIN_PASSWORD: "123456" }, "ADMIN_USERNAME"],
    [{ ADMIN_USERNAME: "root", ADMIN_PASSWORD: "123" }, "ADMIN_PASSWORD"],
    [{ ADMIN_USERNAME: "root", ADMIN_PASSWORD: "x".repeat(73) }, "ADMIN_PASSWORD"],
    [{ LOW_STOCK_RATIO: "1.5" }, "LOW_STOCK_RATIO"],
    [{ LOW_STOCK_RATIO: "-0.1" }, "LOW_STOCK_RATIO"],
    [{ LOW_STOCK_RATIO: "lots" }, "LOW_STOCK_RATIO"],
  ];
  for (const [env, variable] of cases) rejects({ JWT_SECRET: SECRET, ...env }, variable);
  rejects({}, "JWT_SECRET");
});

Deno.test("config: every whole-number variable refuses text, fractions and its bounds", () => {
  const bounds: [string, number, number][] = [
    ["PORT", 0, 65535],
    ["DB_POOL_SIZE", 1, 1000],
    ["JWT_TTL_SECONDS", 60, 30 * 86400],
    ["SEAT_HOLD_SECONDS", 1, 86400],
    ["ORDER_PAY_SECONDS", 1, 7 * 86400],
    ["BODY_LIMIT_BYTES", 1024, 64 * 1024 * 1024],
    ["LOGIN_MAX_FAILURES", 1, 1000],
    ["LOGIN_MAX_FAILURES_PER_IP", 1, 100000],
    ["LOGIN_WINDOW_SECONDS", 1, 86400],
    ["DEDUP_WINDOW_SECONDS", 0, 3600],
    ["RECONCILE_GRACE_SECONDS", 1, 86400],
    ["COMPENSATION_MAX_ATTEMPTS", 1, 100],
    ["JOB_LEASE_SECONDS", 2, 3600],
    ["TRUST_PROXY", 0, 16],
    ["REGISTER_MAX_PER_IP", 0, 1_000_000],
    ["MAX_IN_FLIGHT", 0, 1_000_000],
    ["ORDER_BATCH_MAX", 1, 1000],
    ["ORDER_BATCH_WAIT_MS", 0, 1000],
    ["CATALOG_CACHE_MS", 0, 60_000],
  ];
  for (const [name, min, max] of bounds) {
    for (const bad of ["abc", "1.5", "-1", "1e3", String(max + 1)]) {
      rejects({ JWT_SECRET: SECRET, [name]: bad }, name);
    }
    if (min > 0) rejects({ JWT_SECRET: SECRET, [name]: String(min - 1) }, name);
    // The bounds themselves are accepted.
    loadConfig({ JWT_SECRET: SECRET, [name]: String(min) });
    loadConfig({ JWT_SECRET: SECRET, [name]: String(max) });
  }
});

Deno.test("config: demo mode needs no JWT_SECRET but still checks a given one", () => {
  assert.equal(loadConfig({}, ["--demo"]).demo, true);
  assert.equal(loadConfig({ DEMO: "true" }).jwtSecret, undefined);
  assert.equal(loadConfig({ DEMO: "1" }).demo, true);
  rejects({ JWT_SECRET: "short" }, "JWT_SECRET", ["--demo"]);
});

Deno.test("config: --help lists every variable loadConfig reads", async () => {
  const source = await Deno.readTextFile(
    new URL("../../lib/platform/config.ts", import.meta.url),
  );
  const read = new Set(
    [...source.matchAll(
      /\b(?:read|int|bool|mysqlUrl|redisUrl)\(read, "([A-Z_]+)"|read\("([A-Z_]+)"\)|env\["([A-Z_]+)"\]/g,
    )]
      .map((m) => m[1] ?? m[2] ?? m[3]),
  );
  assert.ok(read.size > 20, `found ${read.size}`);
  const listed = new Set(VARIABLES.map(([name]) => name));
  for (const name of read) assert.ok(listed.has(name), `${name} is not in VARIABLES`);
});
