import assert from "node:assert/strict";
import { dropDatabase, testStores, uniqueName } from "./support/env.ts";
import { spawnServer } from "./support/process.ts";

Deno.test({
  name:
    "start (demo): banner, demo data, admin login; SIGTERM stops it; a second start adds nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { databaseUrl: server, redisUrl } = await testStores();
    const name = uniqueName();
    const url = new URL(server);
    url.pathname = `/${name}`;
    const dataDir = await Deno.makeTempDir();
    const env = {
      DATABASE_URL: url.toString(),
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `${name}:`,
      DATA_DIR: dataDir,
      JOBS: "false",
    };
    try {
      const counts: number[] = [];
      for (let round = 0; round < 2; round++) {
        const s = spawnServer(env, ["--demo"]);
        await s.waitForLine(/"msg":"listening"/);
        assert.match(s.lines[0], new RegExp(`starting on http://127\\.0\\.0\\.1:${s.port}`));
        assert.match(s.lines[1], /admin login: admin \/ 123456/);
        assert.match(s.lines[2], new RegExp(`API docs: +http://127\\.0\\.0\\.1:${s.port}/docs`));
        assert.match(s.lines[3], new RegExp(`buyer page: +http://127\\.0\\.0\\.1:${s.port}/$`));
        const login = await (await fetch(`${s.url}/api/user/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: "admin", password: "123456" }),
        })).json();
        assert.equal(login.code, 200);
        const list = await (await fetch(`${s.url}/api/show/list?size=100`)).json();
        counts.push(list.data.total);
        const names = list.data.records.map((r: { name: string }) => r.name);
        assert.ok(names.includes("星空网咖"), names.join(","));
        s.signal("SIGTERM");
        assert.equal(await s.exited, 0);
        assert.ok(s.lines.some((l) => l.includes('"msg":"stopped"')));
      }
      assert.ok(counts[0] >= 4);
      assert.equal(counts[1], counts[0]);
      const secret = await Deno.readTextFile(`${dataDir}/jwt-secret`);
      assert.ok(secret.trim().length >= 32);
      assert.equal((await Deno.stat(`${dataDir}/jwt-secret`)).mode! & 0o777, 0o600);
    } finally {
      await dropDatabase(server, name);
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test("start: a bad setting is one line naming the variable, exit 2", async () => {
  for (
    const [env, variable] of [
      [{ PORT: "abc", JWT_SECRET: "x".repeat(32) }, "PORT"],
      [{ DATABASE_URL: "mysql//nope", JWT_SECRET: "x".repeat(32) }, "DATABASE_URL"],
      [{}, "JWT_SECRET"],
    ] as const
  ) {
    const s = spawnServer({ ...env, PORT: "PORT" in env ? env.PORT : "1" });
    assert.equal(await s.exited, 2);
    const errors = s.lines.filter((l) => l.includes("invalid configuration"));
    assert.equal(errors.length, 1, s.lines.join("\n"));
    assert.match(errors[0], new RegExp(`${variable}:`));
    assert.ok(!s.lines.some((l) => /^\s+at /.test(l)), "no stack trace");
  }
});
