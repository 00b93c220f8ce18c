// Issue 16, the accounts findings: throttles that hold (every spelling of an account, bursts,
// forged X-Forwarded-For, password changes), bounded key derivation, and what boot refuses.
import assert from "node:assert/strict";
import { createContext } from "#lib/boot.ts";
import { loadConfig } from "#lib/platform/config.ts";
import { createDb } from "#lib/platform/db.ts";
import { createLogger } from "#lib/platform/log.ts";
import { startRedis } from "#dev/local_stores.ts";
import { ensureAdmin } from "#lib/accounts/users.ts";
import { verifyPassword } from "#lib/accounts/passwords.ts";
import { spawnServer } from "./support/process.ts";
import { suite, TEST_JWT_SECRET, TEST_PASSWORD, testStores, uniqueName } from "./support/env.ts";

suite(
  "hardening: the login throttle counts every spelling and every attempt of a burst",
  async (t, env) => {
    await t.step(
      "after the limit, a trailing space, capitals or full-width letters are 429 too",
      async () => {
        const u = await env.user({ username: `spell_${crypto.randomUUID().slice(0, 6)}` });
        for (let i = 0; i < 5; i++) {
          const res = await env.call("POST", "/api/user/login", {
            body: { username: u.username, password: "wrong-one" },
            headers: { "x-forwarded-for": `10.40.0.${i}` },
          });
          assert.equal(res.status, 401);
        }
        const fullWidth = [...u.username].map((ch) =>
          /[a-z]/.test(ch) ? String.fromCharCode(ch.charCodeAt(0) + 0xfee0) : ch
        ).join("");
        for (const spelling of [`${u.username} `, u.username.toUpperCase(), fullWidth]) {
          const res = await env.call("POST", "/api/user/login", {
            body: { username: spelling, password: "wrong-one" },
            headers: { "x-forwarded-for": "10.40.1.1" },
          });
          assert.equal(res.status, 429, `${JSON.stringify(spelling)}: ${res.body.message}`);
        }
      },
    );

    await t.step("thirty wrong passwords at once: five are checked, the rest 429", async () => {
      const u = await env.user();
      const replies = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          env.call("POST", "/api/user/login", {
            body: { username: u.username, password: "wrong-one" },
            headers: { "x-forwarded-for": `10.41.0.${i}` },
          })),
      );
      const statuses = replies.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 401).length, 5, statuses.join(","));
      assert.equal(statuses.filter((s) => s === 429).length, 25, statuses.join(","));
    });

    await t.step(
      "a forged leftmost X-Forwarded-For does not pick a fresh address counter",
      async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 12; i++) {
          const res = await env.call("POST", "/api/user/login", {
            body: { username: `nobody_${i}`, password: "wrong-one" },
            // One trusted hop appended 10.42.0.1; the client wrote a new address each time.
            headers: { "x-forwarded-for": `203.0.113.${i}, 10.42.0.1` },
          });
          statuses.push(res.status);
        }
        assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401));
        assert.deepEqual(statuses.slice(10), [429, 429]);
      },
    );

    await t.step("wrong old passwords on a password change are throttled", async () => {
      const u = await env.user();
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await env.call("PUT", "/api/user/password", {
          token: u.token,
          body: { oldPassword: "wrong-one", newPassword: "new-pa55" },
          headers: { "x-forwarded-for": `10.43.0.${i}` },
        });
        statuses.push(res.status);
      }
      assert.deepEqual(statuses, [400, 400, 400, 400, 400, 429, 429]);
      const [row] = await env.ctx.db.rows<{ password_hash: string }>(
        "SELECT password_hash FROM users WHERE id = ?",
        [u.id],
      );
      assert.ok(await verifyPassword(TEST_PASSWORD, row.password_hash), "password unchanged");
    });

    await t.step("successes from one address do not add up to a throttle", async () => {
      const users = await Promise.all(Array.from({ length: 12 }, () => env.user()));
      for (const u of users) {
        const res = await env.call("POST", "/api/user/login", {
          body: { username: u.username, password: TEST_PASSWORD },
          headers: { "x-forwarded-for": "10.44.0.1" },
        });
        assert.equal(res.status, 200, res.body.message);
      }
    });
  },
  { TRUST_PROXY: "1", LOGIN_MAX_FAILURES: "5", LOGIN_MAX_FAILURES_PER_IP: "10" },
);

suite("hardening: key derivation is bounded; registration can be throttled", async (t, env) => {
  await t.step(
    "200 registrations at once: the overflow is 503 with Retry-After at once",
    async () => {
      const replies = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          env.call("POST", "/api/user/register", {
            body: {
              username: `kdf_${i}_${crypto.randomUUID().slice(0, 4)}`,
              password: "pa55word",
              phone: "13912345678",
            },
            headers: { "x-forwarded-for": `10.50.${i >> 8}.${i & 255}` },
          })),
      );
      const ok = replies.filter((r) => r.status === 200).length;
      const busy = replies.filter((r) => r.status === 503);
      assert.equal(ok + busy.length, 200, replies.map((r) => r.status).join(","));
      assert.ok(busy.length > 0, "some registrations are refused while the slots are full");
      assert.ok(ok >= 1, "the slots do work");
      for (const r of busy) {
        assert.equal(r.body.error, "UNAVAILABLE");
        assert.ok(Number(r.headers.get("retry-after")) >= 1);
      }
      const [{ n }] = await env.ctx.db.rows<{ n: number }>(
        "SELECT COUNT(*) AS n FROM users WHERE username LIKE 'kdf\\_%'",
      );
      assert.equal(Number(n), ok, "a refused registration wrote nothing");
    },
  );

  await t.step("REGISTER_MAX_PER_IP: the fourth registration from one address is 429", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await env.call("POST", "/api/user/register", {
        body: {
          username: `reg_${i}_${crypto.randomUUID().slice(0, 4)}`,
          password: "pa55word",
          phone: "13912345678",
        },
        headers: { "x-forwarded-for": "10.51.0.1" },
      });
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
  });
}, { TRUST_PROXY: "1", REGISTER_MAX_PER_IP: "3" });

suite("hardening: the demo's admin is created once, never reset", async (t, env) => {
  await t.step("a changed admin password survives the next demo boot", async () => {
    const name = `adm_${crypto.randomUUID().slice(0, 6)}`;
    assert.deepEqual(await ensureAdmin(env.ctx, name, "123456", { onlyCreate: true }), {
      created: true,
    });
    await ensureAdmin(env.ctx, name, "changed-by-operator");
    await ensureAdmin(env.ctx, name, "123456", { onlyCreate: true });
    const [row] = await env.ctx.db.rows<{ password_hash: string }>(
      "SELECT password_hash FROM users WHERE username = ?",
      [name],
    );
    assert.ok(await verifyPassword("changed-by-operator", row.password_hash));
  });

  await t.step("a method the client makes up is one metrics series, OTHER", async () => {
    await env.app.request("/api/health", { method: "BREW" });
    const text = await (await env.app.request("/metrics")).text();
    assert.doesNotMatch(text, /method="BREW"/);
    assert.match(text, /http_requests_total\{method="OTHER"/);
  });
});

Deno.test("hardening: the read pool refuses several statements in one query", async () => {
  const { databaseUrl } = await testStores();
  const url = new URL(databaseUrl);
  url.pathname = "/mysql";
  const db = createDb({ url: url.toString(), readUrl: url.toString(), poolSize: 1 });
  try {
    await assert.rejects(db.read.rows("SELECT 1; SELECT 2"));
    assert.equal((await db.read.rows<{ one: number }>("SELECT 1 AS one"))[0].one, 1);
  } finally {
    await db.close();
  }
});

Deno.test("hardening: requests waiting for a connection are bounded; past it 503", async () => {
  const { databaseUrl } = await testStores();
  const url = new URL(databaseUrl);
  url.pathname = "/mysql";
  const db = createDb({ url: url.toString(), poolSize: 1 });
  try {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 300 }, () => db.rows("SELECT SLEEP(0.001)")),
    );
    const refused = outcomes.filter((o) => o.status === "rejected");
    // One connection, a line of 200: at least the 99 beyond it are refused at once.
    assert.ok(refused.length >= 99, `refused ${refused.length}`);
    for (const r of refused) {
      assert.equal((r as PromiseRejectedResult).reason?.code, "UNAVAILABLE");
    }
  } finally {
    await db.close();
  }
});

Deno.test("hardening: a demo secret file under 32 bytes is replaced, never used", async () => {
  const dataDir = await Deno.makeTempDir();
  const { databaseUrl: serverUrl, redisUrl } = await testStores();
  const url = new URL(serverUrl);
  url.pathname = `/${uniqueName()}`;
  try {
    await Deno.writeTextFile(`${dataDir}/jwt-secret`, "short\n");
    const config = loadConfig({
      DEMO: "true",
      DATA_DIR: dataDir,
      LOG_LEVEL: "error",
      JOBS: "false",
    });
    const ctx = await createContext(config, {
      databaseUrl: url.toString(),
      redisUrl,
      log: createLogger("silent"),
    });
    try {
      assert.ok(ctx.jwtKey.length >= 32, `key of ${ctx.jwtKey.length} bytes`);
      assert.ok((await Deno.readTextFile(`${dataDir}/jwt-secret`)).trim().length >= 32);
    } finally {
      await ctx.redis.close();
      await ctx.db.exec(`DROP DATABASE IF EXISTS \`${url.pathname.slice(1)}\``);
      await ctx.db.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test({
  name: "hardening: boot refuses a Redis that may evict keys (exit 2, one clear line)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { databaseUrl: serverUrl } = await testStores();
    const dir = await Deno.makeTempDir();
    const redis = await startRedis({
      dir,
      extraArgs: ["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"],
    });
    const url = new URL(serverUrl);
    url.pathname = `/${uniqueName()}`;
    try {
      const server = spawnServer({
        DATABASE_URL: url.toString(),
        REDIS_URL: redis.url,
        JWT_SECRET: TEST_JWT_SECRET,
        JOBS: "false",
      });
      const code = await server.exited;
      assert.equal(code, 2, server.lines.join("\n"));
      assert.ok(
        server.lines.some((l) => /maxmemory-policy.*allkeys-lru.*noeviction/.test(l)),
        server.lines.join("\n"),
      );
    } finally {
      await redis.stop();
      const db = createDb({ url: serverUrl.replace(/\/[^/]*$/, "/mysql"), poolSize: 1 });
      await db.exec(`DROP DATABASE IF EXISTS \`${url.pathname.slice(1)}\``).finally(() =>
        db.close()
      );
      await Deno.remove(dir, { recursive: true });
    }
  },
});
