// A real server process: the container healthcheck (`main.ts --healthcheck`) and OpenTelemetry
// traces exported over OTLP/HTTP (JSON) to a receiver run by the test.
import assert from "node:assert/strict";
import { freePort } from "#dev/local_stores.ts";
import { dropDatabase, TEST_JWT_SECRET, testStores, uniqueName } from "./support/env.ts";
import { spawnServer } from "./support/process.ts";

const root = new URL("..", import.meta.url).pathname;

interface OtlpSpan {
  traceId: string;
  name: string;
  attributes?: { key: string; value: { stringValue?: string } }[];
}

/** An OTLP/HTTP JSON receiver: resolves `waitFor` when a span matching the predicate arrives. */
function otlpReceiver() {
  const spans: OtlpSpan[] = [];
  const waiters: { match: (s: OtlpSpan[]) => boolean; resolve: () => void }[] = [];
  const port = freePort();
  const server = Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const body = await req.json().catch(() => ({}));
    if (new URL(req.url).pathname === "/v1/traces") {
      for (const rs of body.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
      }
      for (const w of [...waiters]) {
        if (w.match(spans)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
    return Response.json({});
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    waitFor(match: (s: OtlpSpan[]) => boolean, timeoutMs = 30_000): Promise<void> {
      if (match(spans)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no such spans in ${timeoutMs} ms; got ${spans.map((s) => s.name)}`));
        }, timeoutMs);
        waiters.push({
          match,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () => server.shutdown(),
  };
}

const attr = (s: OtlpSpan, key: string) => s.attributes?.find((a) => a.key === key)?.value;

async function healthcheck(port: number): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}main.ts`, "--healthcheck"],
    env: { PORT: String(port) },
    stdin: "null",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test({
  name: "server process: --healthcheck, and OTLP traces that carry the X-Trace-Id",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const { databaseUrl: server, redisUrl } = await testStores();
    const name = uniqueName();
    const url = new URL(server);
    url.pathname = `/${name}`;
    const receiver = otlpReceiver();
    const s = spawnServer({
      DATABASE_URL: url.toString(),
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `${name}:`,
      JWT_SECRET: TEST_JWT_SECRET,
      JOBS: "false",
      OTEL_DENO: "true",
      OTEL_SERVICE_NAME: "boxoffice",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_DENO_CONSOLE: "ignore",
      OTEL_BSP_SCHEDULE_DELAY: "200",
    });
    try {
      await s.waitForLine(/"msg":"listening"/);

      await t.step(
        "--healthcheck: 0 against the running server, 1 with a line when none",
        async () => {
          assert.deepEqual(await healthcheck(s.port), { code: 0, stderr: "" });
          const down = await healthcheck(freePort());
          assert.equal(down.code, 1);
          assert.equal(down.stderr.trim().split("\n").length, 1, down.stderr);
          assert.match(down.stderr, /^healthcheck: http:\/\/127\.0\.0\.1:\d+\/api\/health: /);
        },
      );

      await t.step(
        "the HTTP, MySQL and Redis spans of a request carry its X-Trace-Id",
        async () => {
          const traceId = `drill-${crypto.randomUUID()}`;
          const res = await fetch(`${s.url}/api/user/login`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-trace-id": traceId },
            body: JSON.stringify({ username: "nobody-here", password: "wrong-password" }),
          });
          assert.equal(res.status, 401);
          assert.equal(res.headers.get("x-trace-id"), traceId);
          await res.body?.cancel();
          const ours = (spans: OtlpSpan[]) =>
            spans.filter((sp) => attr(sp, "boxoffice.trace_id")?.stringValue === traceId);
          await receiver.waitFor((spans) => {
            const names = ours(spans).map((sp) => sp.name);
            return names.some((n) => n.startsWith("POST")) && names.some((n) =>
              n.startsWith("mysql")
            ) &&
              names.some((n) => n.startsWith("redis"));
          });
          const mine = ours(receiver.spans);
          const http = mine.find((sp) => sp.name.startsWith("POST"))!;
          assert.equal(http.name, "POST /api/user/login");
          assert.equal(attr(http, "http.route")?.stringValue, "/api/user/login");
          // Child spans belong to the same OpenTelemetry trace as the server span.
          for (const sp of mine) assert.equal(sp.traceId, http.traceId, sp.name);
          assert.ok(mine.some((sp) => sp.name === "redis EVALSHA count-failure"));
        },
      );

      await t.step(
        "without X-Trace-Id the reply's trace id is the OpenTelemetry trace id",
        async () => {
          const parent = "4bf92f3577b34da6a3ce929d0e0e4736";
          const res = await fetch(`${s.url}/api/health`, {
            headers: { traceparent: `00-${parent}-00f067aa0ba902b7-01` },
          });
          assert.equal(res.status, 200);
          await res.body?.cancel();
          assert.equal(res.headers.get("x-trace-id"), parent);
          await receiver.waitFor((spans) =>
            spans.some((sp) => sp.traceId === parent && sp.name === "GET /api/health")
          );
        },
      );
    } finally {
      s.signal("SIGTERM");
      await s.exited;
      await receiver.close();
      await dropDatabase(server, name);
    }
  },
});
