/**
 * The headroom check of every scenario: a bare Hono app on the same Deno that answers each
 * request with canned bytes (the reply boxoffice gives to that route, captured or copied by the
 * scenario) and echoes X-Trace-Id, as boxoffice does. No auth, no validation, no store. The same
 * wrk flow against it must go at least twice as fast as against boxoffice, or the load generator
 * (not boxoffice) may be what the figure measures.
 *
 *   PORT=... CANNED=replies.json [BARE_THREADS=2] deno run -A --unstable-net bench/baselines/bare.ts
 *
 * CANNED is a JSON array of `{method, path, status, body, gzip?}`; `path` is a prefix of the URL's
 * path, the first match wins. With `gzip` the body is compressed once at start and sent
 * compressed to a request that accepts gzip, as boxoffice does with a reply many requests share.
 */
import { gzipSync } from "node:zlib";
import { Hono } from "#deps";

interface Canned {
  method: string;
  path: string;
  status: number;
  body: string;
  gzip?: boolean;
  gzipped?: Uint8Array<ArrayBuffer>;
}

const env = (name: string) => {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const canned = JSON.parse(await Deno.readTextFile(env("CANNED"))) as Canned[];
for (const r of canned) if (r.gzip) r.gzipped = new Uint8Array(gzipSync(r.body));
const headers = (traceId: string | undefined) => ({
  "content-type": "application/json; charset=utf-8",
  "x-trace-id": traceId ?? "",
});

const app = new Hono();
app.all("*", async (c) => {
  if (c.req.path === "/api/health" && !canned.some((r) => r.path === "/api/health")) {
    return c.json({ code: 200, message: "success", data: "up", success: true }); // startup probe
  }
  // Read the body as boxoffice does, so that a request costs both the same on the wire.
  if (c.req.method !== "GET") await c.req.arrayBuffer();
  const path = c.req.path;
  const reply = canned.find((r) => r.method === c.req.method && path.startsWith(r.path));
  if (!reply) return c.body("no canned reply", 404);
  if (reply.gzipped && /\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) {
    return c.body(reply.gzipped, reply.status as 200, {
      ...headers(c.req.header("x-trace-id")),
      "content-encoding": "gzip",
      vary: "Accept-Encoding",
    });
  }
  return c.body(reply.body, reply.status as 200, headers(c.req.header("x-trace-id")));
});

/**
 * BARE_THREADS > 1: that many event loops (this one and workers, each its own isolate) share the
 * port (SO_REUSEPORT, `--unstable-net`). One Deno thread is slower than wrk on these machines, so
 * a single-threaded bare handler understates how hard wrk can drive a server: the headroom check
 * measures wrk's reach with several, the per-request baselines (health) keep one.
 */
const THREADS = Number(Deno.env.get("BARE_THREADS") ?? 1);
const isWorker = (globalThis as { name?: string }).name === "bare-worker";
const listen = (onListen: () => void) =>
  Deno.serve(
    { hostname: "127.0.0.1", port: Number(env("PORT")), reusePort: THREADS > 1, onListen },
    app.fetch,
  );

if (isWorker) {
  listen(() => (self as unknown as Worker).postMessage("listening"));
} else {
  // The workers listen first: wrk's connections, made once and kept, are spread over the
  // sockets listening when they are made.
  await Promise.all(
    Array.from({ length: THREADS - 1 }, () =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(import.meta.url, { type: "module", name: "bare-worker" });
        w.onmessage = () => resolve();
        w.onerror = (e) => reject(e.error ?? new Error(e.message));
      })),
  );
  const server = listen(() => console.log("listening"));
  Deno.addSignalListener("SIGTERM", async () => {
    await server.shutdown();
    Deno.exit(0);
  });
}
