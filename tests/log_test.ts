/**
 * The log buffers stdout lines off the request path: these prove that every line still reaches
 * stdout, in order, however the process ends, and that a served request's line has its fields.
 */
import assert from "node:assert/strict";
import { dropDatabase, testStores, uniqueName } from "./support/env.ts";
import { spawnServer } from "./support/process.ts";

const logModule = new URL("../lib/platform/log.ts", import.meta.url).href;

/** Runs a tiny program that logs `n` lines and then ends as `ending` says. */
async function logAndEnd(n: number, ending: string) {
  const program = `
    import { createLogger } from ${JSON.stringify(logModule)};
    const log = createLogger("info", { app: "t" });
    for (let i = 0; i < ${n}; i++) log.info("line", { i, pad: "x".repeat(i % 50) });
    ${ending}
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", program],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
  return { code: out.code, lines, stderr: new TextDecoder().decode(out.stderr) };
}

function assertAll(lines: string[], n: number) {
  assert.equal(lines.length, n, `expected ${n} lines, got ${lines.length}`);
  lines.forEach((l, i) => {
    const o = JSON.parse(l);
    assert.equal(o.i, i, "in order");
    assert.equal(o.msg, "line");
    assert.equal(o.level, "info");
    assert.equal(o.app, "t");
    assert.match(o.t, /^\d{4}-\d\d-\d\dT/);
  });
}

Deno.test("log: every buffered line reaches stdout, however the process ends", async (t) => {
  // More than the 64 KB buffer, so that some lines go out on size and the rest at the end.
  const n = 3000;
  for (
    const [how, ending, code] of [
      ["the program ends", "", 0],
      ["Deno.exit at once", "Deno.exit(0);", 0],
      ["Deno.exit(1) at once", "Deno.exit(1);", 1],
      ["an uncaught error", "throw new Error('boom');", 1],
      ["an unhandled rejection", "Promise.reject(new Error('boom'));", 1],
    ] as const
  ) {
    await t.step(how, async () => {
      const r = await logAndEnd(n, ending);
      assert.equal(r.code, code, r.stderr);
      assertAll(r.lines, n);
    });
  }
});

Deno.test({
  name: "log: a served request's line reaches stdout with its fields; SIGTERM loses nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { databaseUrl: server, redisUrl } = await testStores();
    const name = uniqueName();
    const url = new URL(server);
    url.pathname = `/${name}`;
    const s = spawnServer({
      DATABASE_URL: url.toString(),
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `${name}:`,
      JWT_SECRET: "log-test-secret-log-test-secret-0123456789",
      JOBS: "false",
      LOG_LEVEL: "info",
    });
    try {
      await s.waitForLine(/"msg":"listening"/);
      const ids = Array.from({ length: 20 }, (_, i) => `log-test-${i}`);
      for (const id of ids) {
        const res = await fetch(`${s.url}/api/health`, { headers: { "x-trace-id": id } });
        await res.body?.cancel();
      }
      const missing = await fetch(`${s.url}/api/no/such/route`, {
        headers: { "x-trace-id": "log-test-404" },
      });
      await missing.body?.cancel();
      const line = JSON.parse(await s.waitForLine(/"traceId":"log-test-0"/));
      assert.equal(line.msg, "request");
      assert.equal(line.level, "info");
      assert.equal(line.method, "GET");
      assert.equal(line.path, "/api/health");
      assert.equal(line.route, "/api/health");
      assert.equal(line.status, 200);
      assert.equal(typeof line.ms, "number");
      assert.equal(line.userId, null);
      s.signal("SIGTERM");
      assert.equal(await s.exited, 0);
      for (const id of [...ids, "log-test-404"]) {
        assert.ok(s.lines.some((l) => l.includes(`"traceId":"${id}"`)), `line of ${id}`);
      }
      const notFound = JSON.parse(s.lines.find((l) => l.includes('"traceId":"log-test-404"'))!);
      assert.equal(notFound.status, 404);
      assert.equal(notFound.route, null);
      assert.ok(s.lines.some((l) => l.includes('"msg":"stopped"')), "the last line too");
    } finally {
      s.signal("SIGKILL");
      await s.exited;
      await dropDatabase(server, name);
    }
  },
});
