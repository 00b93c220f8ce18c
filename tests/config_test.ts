import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "#lib/platform/config.ts";

const SECRET = "s".repeat(32);

Deno.test("config: defaults", () => {
  const c = loadConfig({ JWT_SECRET: SECRET });
  assert.equal(c.port, 8000);
  assert.equal(c.seatHoldSeconds, 300);
  assert.equal(c.orderPaySeconds, 900);
  assert.equal(c.timeZone, "UTC");
  assert.equal(c.demo, false);
  assert.equal(c.databaseUrl, undefined);
});

Deno.test("config: each bad value names its variable", () => {
  const cases: [Record<string, string>, string][] = [
    [{}, "JWT_SECRET"],
    [{ JWT_SECRET: "short" }, "JWT_SECRET"],
    [{ JWT_SECRET: SECRET, PORT: "abc" }, "PORT"],
    [{ JWT_SECRET: SECRET, PORT: "70000" }, "PORT"],
    [{ JWT_SECRET: SECRET, DATABASE_URL: "postgres://x/y" }, "DATABASE_URL"],
    [{ JWT_SECRET: SECRET, DATABASE_URL: "not a url" }, "DATABASE_URL"],
    [{ JWT_SECRET: SECRET, DATABASE_URL: "mysql://root@host:3306/" }, "DATABASE_URL"],
    [{ JWT_SECRET: SECRET, REDIS_URL: "http://x" }, "REDIS_URL"],
    [{ JWT_SECRET: SECRET, REDIS_CLUSTER_NODES: "a,b" }, "REDIS_CLUSTER_NODES"],
    [{ JWT_SECRET: SECRET, TIME_ZONE: "Mars/Olympus" }, "TIME_ZONE"],
    [{ JWT_SECRET: SECRET, LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ JWT_SECRET: SECRET, DEMO: "maybe" }, "DEMO"],
    [{ JWT_SECRET: SECRET, ADMIN_USERNAME: "root" }, "ADMIN_PASSWORD"],
    [{ JWT_SECRET: SECRET, ADMIN_USERNAME: "root", ADMIN_PASSWORD: "123" }, "ADMIN_PASSWORD"],
    [{ JWT_SECRET: SECRET, SEAT_HOLD_SECONDS: "0" }, "SEAT_HOLD_SECONDS"],
  ];
  for (const [env, variable] of cases) {
    assert.throws(() => loadConfig(env), (e) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.variable, variable, JSON.stringify(env));
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("config: demo mode needs no JWT_SECRET", () => {
  assert.equal(loadConfig({}, ["--demo"]).demo, true);
  assert.equal(loadConfig({ DEMO: "true" }).jwtSecret, undefined);
});
