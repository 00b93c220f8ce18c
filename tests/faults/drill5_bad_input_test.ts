/**
 * Drill 5: bad input at volume. A generated stream of malformed requests (12,000 at full size)
 * against every route of the manifest (routes.gen.ts, the same list /openapi.json publishes):
 * bad path ids, bad query values, bodies of the wrong type, size or encoding, wrong content
 * types, bad headers and tokens, wrong methods and unknown paths.
 *
 * Every reply must be below 500 and in the envelope (`{code, message, success}` with `code` the
 * HTTP status) — except a successful /docs, /metrics or /openapi.json, which are not JSON
 * envelopes. The stock of a watched tier is unchanged, the server logged no unhandled error, and
 * its resident memory is back near where it was after a warm-up.
 *
 * The stream is random but reproducible: FAULTS_SEED picks it (the seed used is printed), and
 * FAULTS_BAD_REQUESTS changes its length.
 */
import { routes } from "../../routes.gen.ts";
import type { ServerProcess } from "../support/process.ts";
import { createSale, stockOf } from "../support/sale.ts";
import {
  Checks,
  drill,
  drillEnv,
  fire,
  type Reply,
  request,
  rssKib,
  size,
  startServer,
  stopServer,
  summaryOf,
  Tally,
} from "./_support.ts";

/** A small seeded PRNG (mulberry32), so a failing stream can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
  };
}

const BAD_IDS = [
  "0",
  "-1",
  "abc",
  "1.5",
  "1e3",
  "99999999999999999999999",
  "9007199254740993",
  "%00",
  "%ff",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "'%20OR%201=1--",
  "%E4%B8%AD%E6%96%87",
  "NaN",
  "null",
  "%5B%5D",
  "x".repeat(3000),
  "%20",
  "0x1f",
  "20261126120000123456001",
  "2026112612000012345600199",
  "-20261126120000123456001",
];

const BAD_QUERY = [
  "-1",
  "0",
  "abc",
  "1e309",
  "1.5",
  "%00",
  "%ff%fe",
  "true",
  "[object Object]",
  "%27%3B%20DROP%20TABLE%20orders%3B--",
  "9".repeat(400),
  "x".repeat(5000),
  "%F0%9F%98%80",
  "ON_SALE|BOGUS",
  "1,2,3,-4",
  "%25",
];

const BAD_VALUES: unknown[] = [
  null,
  -1,
  0,
  1.5,
  "1",
  "abc",
  "",
  true,
  [],
  {},
  [1, 2, "x"],
  1e308,
  -1e308,
  2 ** 63,
  "a".repeat(10_000),
  "'; DROP TABLE orders; --",
  "\u0000\u0001",
  "😀".repeat(200),
  { __proto__: { admin: true }, constructor: { prototype: { x: 1 } } },
  Array(5000).fill(1),
  "2026-02-30 25:61:61",
  "1; SELECT SLEEP(10)",
];

const RAW_BODIES: (string | Uint8Array<ArrayBuffer>)[] = [
  "{",
  '{"a":',
  "null",
  "[]",
  "123",
  '"str"',
  "{'single': 'quotes'}",
  '{"__proto__": {"role": "admin"}}',
  "[".repeat(50_000) + "]".repeat(50_000),
  '{"a":'.repeat(20_000) + "1" + "}".repeat(20_000),
  "\uFEFF{}",
  "a=1&b=2",
  new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]),
  new Uint8Array([0xef, 0xbb, 0xbf, 0xff, 0x00, 0x00]),
  `{"quantity": 1, "quantity": "x"}`,
  `{"ticketId": 1e400}`,
];

const CONTENT_TYPES = [
  "application/json",
  "application/json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "application/json; charset=utf-16",
  "multipart/form-data; boundary=xx",
  "application/vnd.api+json",
  "",
];

const OTHER_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

const UNKNOWN_PATHS = [
  "/api/order/../admin/jobs",
  "/api//order/list",
  "/%2e%2e/%2e%2e/etc/passwd",
  "/api/order/list%00",
  "/api/ticket/lock",
  "/api/ticket/stock/init",
  "/api/ticket/redis/prededuct",
  "/api/" + "a/".repeat(500),
  "/docs/../../deno.json",
  "/docs/%2e%2e%2fdeno.json",
];

/**
 * Replies that are not the JSON envelope when they succeed: the buyer's page (HTML), the docs,
 * and the Prometheus text of /metrics and of the reference dashboard's /api/stock/monitor/metrics.
 */
const NOT_ENVELOPE =
  /^\/(docs|metrics|openapi\.json|web|api\/stock\/monitor\/metrics)(\/|$|\?)|^\/($|\?)/;

drill("5: bad input at volume", { short: false }, async (t, stores) => {
  const total = Number(Deno.env.get("FAULTS_BAD_REQUESTS") ?? size(12_000, 1_500));
  const seed = Number(Deno.env.get("FAULTS_SEED") ?? Date.now() % 1_000_000);
  console.log(`drill 5: seed ${seed} (FAULTS_SEED=${seed} replays this stream)`);
  const rnd = prng(seed);
  const env = await drillEnv(stores);
  const checks = new Checks();
  const tally = new Tally();
  let server: ServerProcess | undefined;
  try {
    const sale = await createSale(env, { stock: 100, limit: 4 });
    const [buyer] = await env.users(1);
    const admin = await env.admin();
    server = await startServer(env);
    const url = server.url;
    const watchedBefore = await stockOf(env, sale);

    // The stream covers every route the service publishes: /openapi.json lists no other.
    const published = await request(url, "GET", "/openapi.json");
    const manifestPaths = new Set(routes.map((e) => e.path));
    const paths = Object.keys((published.json as unknown as { paths: object }).paths);
    checks.equal(paths.filter((p) => !manifestPaths.has(p)), [], "published paths not in routes");
    const entries = routes.flatMap((e) =>
      Object.entries(e.module).map(([method, route]) => ({ path: e.path, method, route: route! }))
    );
    const keysOf = (schema: unknown): string[] => {
      const s = schema as { shape?: object; _zod?: { def?: { shape?: object } } } | undefined;
      return Object.keys(s?.shape ?? s?._zod?.def?.shape ?? {});
    };
    const idish = (k: string) => /id$|Id$|Ids$/.test(k);
    const watchedValue = (k: string): unknown =>
      k === "ticketId"
        ? sale.ticketId
        : k === "sessionId"
        ? sale.sessionId
        : k === "showId"
        ? sale.showId
        : k === "seatIds"
        ? [1]
        : k === "quantity"
        ? 1
        : "13800138000";

    const forged = () => {
      const enc = (o: unknown) =>
        btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
      const none = `${enc({ alg: "none", typ: "JWT" })}.${
        enc({ sub: String(admin.id), role: "admin", jti: "x", iat: 1, exp: 4_000_000_000 })
      }.`;
      return rnd.pick([
        "Bearer",
        "Bearer ",
        "bearer abc",
        "Basic dXNlcjpwYXNz",
        "Bearer a.b.c",
        `Bearer ${none}`,
        `Bearer ${buyer.token.slice(0, -4)}AAAA`,
        `Bearer ${buyer.token}.${buyer.token}`,
        `Bearer ${"x".repeat(6000)}`,
        `Bearer ${buyer.token} extra`,
        "Bearer \u00e9\u00e8",
      ]);
    };

    interface Sent {
      method: string;
      path: string;
      label: string;
    }

    const generate = (): { sent: Sent; send: () => Promise<Reply> } => {
      const unknown = rnd.chance(0.03);
      const entry = rnd.pick(entries);
      const method = unknown || rnd.chance(0.08) ? rnd.pick(OTHER_METHODS) : entry.method;
      let path = unknown
        ? rnd.pick(UNKNOWN_PATHS)
        : entry.path.replace(/\{(\w+)\}/g, () => rnd.pick(BAD_IDS));
      const queryKeys = keysOf(entry.route.query);
      if (queryKeys.length || rnd.chance(0.1)) {
        const parts = [];
        for (const k of queryKeys.length ? queryKeys : ["page", "userId", "x"]) {
          if (rnd.chance(0.6)) parts.push(`${k}=${rnd.pick(BAD_QUERY)}`);
        }
        if (rnd.chance(0.1)) parts.push("page=1&page=2&page=abc");
        if (parts.length) path += `?${parts.join("&")}`;
      }
      const headers: Record<string, string> = {};
      const a = rnd.next();
      const logout = entry.path === "/api/user/logout" || entry.path === "/api/user/password";
      if (a < 0.3 && !logout) headers.authorization = `Bearer ${buyer.token}`;
      else if (a < 0.42 && !logout) headers.authorization = `Bearer ${admin.token}`;
      else if (a < 0.8) headers.authorization = forged();
      if (rnd.chance(0.1)) headers["x-trace-id"] = rnd.pick(["x".repeat(600), "<script>", "''"]);
      if (rnd.chance(0.1)) {
        headers["idempotency-key"] = rnd.pick(["k".repeat(300), "a b", "", "\u00e9", "'--"]);
      }
      if (rnd.chance(0.05)) headers["x-user-id"] = String(admin.id);
      if (rnd.chance(0.05)) headers["x-forwarded-for"] = "not-an-ip, ::::, 999.1.1.1";
      if (rnd.chance(0.05)) headers.accept = "text/html";

      let rawBody: BodyInit | undefined;
      let label = "no body";
      const bodyKeys = keysOf(entry.route.body);
      if (method !== "GET" && (entry.route.body || rnd.chance(0.15))) {
        const mode = rnd.next();
        headers["content-type"] = rnd.pick(CONTENT_TYPES);
        if (headers["content-type"] === "") delete headers["content-type"];
        if (mode < 0.25) {
          const raw = rnd.pick(RAW_BODIES);
          rawBody = raw;
          label = `raw ${typeof raw === "string" ? raw.slice(0, 30) : "bytes"}`;
        } else if (mode < 0.9) {
          const keys = bodyKeys.length ? bodyKeys : ["userId", "role", "id"];
          const bad = rnd.pick(keys);
          const obj: Record<string, unknown> = {};
          for (const k of keys) {
            if (k === bad) obj[k] = rnd.pick(BAD_VALUES);
            else if (rnd.chance(0.5)) obj[k] = idish(k) ? watchedValue(k) : rnd.pick(BAD_VALUES);
          }
          if (rnd.chance(0.2)) obj.userId = admin.id;
          if (rnd.chance(0.1)) obj.role = "admin";
          rawBody = JSON.stringify(obj);
          label = `object, ${bad} bad`;
        } else if (mode < 0.97) {
          rawBody = JSON.stringify({ [rnd.pick(bodyKeys.length ? bodyKeys : ["x"])]: "x" }) +
            " ".repeat(900_000);
          label = "900 KB";
        } else {
          // Over the 1 MB limit: announced (Content-Length) or streamed (chunked).
          const big = new Uint8Array(2 * 1024 * 1024).fill(0x20);
          if (rnd.chance(0.5)) {
            rawBody = big;
            label = "2 MB";
          } else {
            rawBody = new ReadableStream({
              start(c) {
                for (let i = 0; i < 32; i++) c.enqueue(big.subarray(i * 65536, (i + 1) * 65536));
                c.close();
              },
            });
            label = "2 MB chunked";
          }
        }
      }
      return {
        sent: { method, path: path.slice(0, 200), label },
        send: () => request(url, method, path, { rawBody, headers }, tally),
      };
    };

    const problems: string[] = [];
    let examined = 0;
    const examine = (sent: Sent, r: Reply) => {
      examined++;
      const what = `${sent.method} ${sent.path} (${sent.label}) → ${r.status}`;
      if (r.status >= 500) {
        problems.push(`${what}: ${r.text.slice(0, 300)}`);
        return;
      }
      if (r.status === 200 && NOT_ENVELOPE.test(sent.path)) return;
      const e = r.json;
      if (
        !e || typeof e.code !== "number" || e.code !== r.status || typeof e.message !== "string" ||
        typeof e.success !== "boolean"
      ) problems.push(`${what}: not the envelope: ${r.text.slice(0, 300)}`);
    };

    let rssWarm = 0;
    await t.step(`${total} malformed requests, every reply < 500 and in the envelope`, async () => {
      const warmup = Math.min(1000, Math.floor(total / 10));
      const stream = async (n: number) => {
        const batch = Array.from({ length: n }, generate);
        await fire(batch.length, 32, async (i) => {
          const { sent, send } = batch[i];
          let r: Reply;
          try {
            r = await send();
          } catch (e) {
            problems.push(`${sent.method} ${sent.path} (${sent.label}): no reply: ${e}`);
            return;
          }
          examine(sent, r);
        });
      };
      await stream(warmup);
      rssWarm = await rssKib(server!.pid);
      const trace = [rssWarm];
      for (let left = total - warmup; left > 0; left -= 2000) {
        await stream(Math.min(2000, left));
        trace.push(await rssKib(server!.pid));
      }
      console.log(`drill 5: RSS (KiB) along the stream: ${trace.join(" ")}`);
      checks.equal(problems.slice(0, 30), [], `${problems.length} bad replies`);
      checks.passed += examined - problems.length;
      checks.equal(tally.serverErrors, 0, "5xx replies");
    });

    await t.step("the watched tier is unchanged; no unhandled error logged", async () => {
      const after = await stockOf(env, sale);
      checks.equal(after, watchedBefore, "watched tier stock");
      const bugs = server!.lines.filter((l) => /unhandled error/.test(l));
      checks.equal(bugs.slice(0, 5), [], "unhandled errors in the server log");
    });

    await t.step("the server's memory is back near where it was after the warm-up", async () => {
      // Idle now: V8 gives the heap of the big bodies back by itself, in its own time.
      const limit = Math.round(rssWarm * 1.25 + 32 * 1024);
      const started = Date.now();
      let rssEnd = await rssKib(server!.pid);
      const idle = [rssEnd];
      while (rssEnd > limit && Date.now() - started < 60_000) {
        await new Promise((res) => setTimeout(res, 1000));
        rssEnd = await rssKib(server!.pid);
        idle.push(rssEnd);
      }
      console.log(
        `drill 5: RSS after warm-up ${rssWarm} KiB; idle after the stream: ${idle.join(" ")}`,
      );
      checks.ok(rssEnd <= limit, `RSS ${rssEnd} KiB, over ${limit} KiB 60 s after the stream`);
    });
  } finally {
    await stopServer(server);
    await env.close().catch(() => {});
  }
  return summaryOf("5 bad input at volume", tally, checks);
});
