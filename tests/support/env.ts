/**
 * A test's own boxoffice: a fresh database and Redis key prefix on the real stores, an app to
 * call through `app.request()` (or a real listening server), and helpers to make users.
 *
 * ```ts
 * const t = await testEnv();
 * const buyer = await t.user();
 * const res = await t.call("GET", "/api/user/info", { token: buyer.token });
 * await t.close();
 * ```
 */
import { mysql } from "#deps";
import { createApp } from "#http/app.ts";
import { closeContext, createContext } from "#lib/boot.ts";
import { type Config, loadConfig } from "#lib/platform/config.ts";
import type { AppContext } from "#lib/platform/context.ts";
import { connectionOptions } from "#lib/platform/db.ts";
import { findOrStartStores } from "#dev/local_stores.ts";
import { createLogger } from "#lib/platform/log.ts";
import { hashPassword } from "#lib/accounts/passwords.ts";
import { issueToken, type Role } from "#lib/accounts/tokens.ts";
import { runDatabasePrefix } from "./cleanup.ts";

export const TEST_PASSWORD = "secret123";
export const TEST_JWT_SECRET = "test-secret-test-secret-test-secret-0123456789";

let stores: Promise<{ databaseUrl: string; redisUrl: string }> | undefined;

/** The stores of this run: from tools/run_tests.ts, or found/started when `deno test` runs alone. */
export function testStores(): Promise<{ databaseUrl: string; redisUrl: string }> {
  stores ??= (async () => {
    const db = Deno.env.get("BOXOFFICE_TEST_DATABASE_URL");
    const redis = Deno.env.get("BOXOFFICE_TEST_REDIS_URL");
    if (db && redis) return { databaseUrl: db, redisUrl: redis };
    const found = await findOrStartStores({ dataDir: ".data/test-stores", startMissing: true });
    return { databaseUrl: found.databaseUrl, redisUrl: found.redisUrl };
  })();
  return stores;
}

const runId = Deno.env.get("BOXOFFICE_TEST_RUN") ??
  `solo${crypto.randomUUID().replaceAll("-", "").slice(0, 6)}`;
let counter = 0;

/** A name unique to this test run: `bo_test_<run>_<n>`. */
export function uniqueName(): string {
  return `${runDatabasePrefix(runId)}${++counter}_${crypto.randomUUID().slice(0, 4)}`;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as is (not JSON-encoded). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface Envelope<T = unknown> {
  code: number;
  message: string;
  data: T;
  success: boolean;
  error?: string;
}

export interface TestUser {
  id: number;
  username: string;
  token: string;
  role: Role;
}

export interface TestEnv {
  ctx: AppContext;
  config: Config;
  app: ReturnType<typeof createApp>;
  databaseUrl: string;
  redisUrl: string;
  /** One request through `app.request()`; returns the status, headers and parsed envelope. */
  call<T = unknown>(
    method: string,
    path: string,
    options?: CallOptions,
  ): Promise<{ status: number; headers: Headers; body: Envelope<T> }>;
  /** A registered user (inserted directly, password TEST_PASSWORD) and a token for it. */
  user(options?: { role?: Role; username?: string }): Promise<TestUser>;
  /** Many buyers at once, for concurrency tests. */
  users(n: number): Promise<TestUser[]>;
  admin(): Promise<TestUser>;
  close(): Promise<void>;
}

let passwordHash: Promise<string> | undefined;

/**
 * `stores` (a server URL without a database, and a Redis URL) puts the test on other stores than
 * the run's, e.g. a fault drill's private ones.
 */
export async function testEnv(
  env: Record<string, string> = {},
  stores?: { databaseUrl: string; redisUrl: string },
): Promise<TestEnv> {
  const { databaseUrl: serverUrl, redisUrl } = stores ?? await testStores();
  const name = uniqueName();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const config = loadConfig({
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: "error",
    REDIS_PREFIX: `${name}:`,
    DB_POOL_SIZE: "20",
    ...env,
  });
  const ctx = await createContext(config, {
    databaseUrl,
    redisUrl,
    log: createLogger(config.logLevel),
  });
  const app = createApp(ctx);
  let userCounter = 0;
  const makeUser = async (role: Role = "user", username?: string): Promise<TestUser> => {
    passwordHash ??= hashPassword(TEST_PASSWORD);
    const uname = username ?? `u${++userCounter}_${crypto.randomUUID().slice(0, 6)}`;
    const { insertId } = await ctx.db.exec(
      "INSERT INTO users (username, password_hash, phone, nickname, role) VALUES (?, ?, ?, ?, ?)",
      [uname, await passwordHash, "13800138000", uname, role],
    );
    const { token } = await issueToken(ctx, { id: insertId, role });
    return { id: insertId, username: uname, token, role };
  };
  return {
    ctx,
    config,
    app,
    databaseUrl,
    redisUrl,
    async call<T>(method: string, path: string, options: CallOptions = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers["authorization"] = `Bearer ${options.token}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers["content-type"] ??= "application/json";
      }
      const res = await app.request(path, { method, headers, body });
      const text = await res.text();
      let parsed: Envelope<T>;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new Error(
          `${method} ${path}: not JSON (status ${res.status}): ${text.slice(0, 200)}`,
        );
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
    user: (o = {}) => makeUser(o.role ?? "user", o.username),
    async users(n: number) {
      passwordHash ??= hashPassword(TEST_PASSWORD);
      const hash = await passwordHash;
      const names = Array.from(
        { length: n },
        () => `b${++userCounter}_${crypto.randomUUID().slice(0, 6)}`,
      );
      await ctx.db.exec(
        `INSERT INTO users (username, password_hash, phone, nickname, role) VALUES ${
          names.map(() => "(?, ?, '13800138000', ?, 'user')").join(", ")
        }`,
        names.flatMap((u) => [u, hash, u]),
      );
      const rows = await ctx.db.rows<{ id: number; username: string }>(
        `SELECT id, username FROM users WHERE username IN (${names.map(() => "?").join(", ")})
          ORDER BY id`,
        names,
      );
      return await Promise.all(rows.map(async (r) => ({
        id: r.id,
        username: r.username,
        role: "user" as const,
        token: (await issueToken(ctx, { id: r.id, role: "user" })).token,
      })));
    },
    admin: () => makeUser("admin"),
    async close() {
      await ctx.redis.deleteByPrefix(config.redisPrefix);
      await closeContext(ctx);
      await dropDatabase(serverUrl, name);
    },
  };
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const conn = await mysql.createConnection(connectionOptions(serverUrl, false));
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await conn.end();
  }
}

/**
 * One Deno test with its own environment, closed at the end; its steps share it. Store pools
 * keep sockets and timers open across steps, so the op/resource sanitizers are off here.
 */
export function suite(
  name: string,
  fn: (t: Deno.TestContext, env: TestEnv) => Promise<void>,
  envVars: Record<string, string> = {},
): void {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async (t) => {
      const env = await testEnv(envVars);
      try {
        await fn(t, env);
      } finally {
        await env.close();
      }
    },
  });
}
