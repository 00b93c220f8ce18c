/**
 * The seat layout of a 1,000-seat area (25 × 40) against `GET /api/health`, measured in the
 * same run on the same server: the layout should cost one Redis round trip plus cached static
 * data, so its latency ratio to the bare health check stays small and flat.
 *
 *   deno run -A bench/layout_latency.ts        (BENCH_QUICK=1 for a few requests)
 *
 * Starts its own server (a child process) on a fresh database and Redis prefix, prints one JSON
 * document, and drops what it created.
 */
import { findOrStartStores } from "#dev/local_stores.ts";
import { dropDatabase } from "../tests/support/env.ts";
import { spawnServer } from "../tests/support/process.ts";
import { createClient } from "#deps";

const quick = Deno.env.get("BENCH_QUICK") === "1";
const rounds = quick ? 30 : 1000;
const stores = await findOrStartStores({ dataDir: ".data/test-stores", startMissing: true });
const name = `bo_bench_layout_${crypto.randomUUID().slice(0, 8)}`;
const dbUrl = new URL(stores.databaseUrl);
dbUrl.pathname = `/${name}`;
const server = spawnServer({
  DATABASE_URL: dbUrl.toString(),
  REDIS_URL: stores.redisUrl,
  REDIS_PREFIX: `${name}:`,
  JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123",
  ADMIN_USERNAME: "benchadmin",
  ADMIN_PASSWORD: "benchadmin-pw",
  JOBS: "false",
  LOG_LEVEL: "warn",
});
try {
  // The listening line is an info log, muted here: wait for the health check to answer.
  await server.waitForLine(/API docs:/);
  for (let i = 0;; i++) {
    const up = await fetch(`${server.url}/api/health`).then((r) => r.body?.cancel(), () => false);
    if (up !== false) break;
    if (i > 600) throw new Error("server did not answer /api/health");
    await new Promise((r) => setTimeout(r, 50));
  }
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (res.status !== 200) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
    return json.data;
  };
  const { token } = await call("POST", "/api/user/login", undefined, {
    username: "benchadmin",
    password: "benchadmin-pw",
  });
  const show = await call("POST", "/api/show", token, {
    name: "Layout bench",
    type: 2,
    venue: "Hall",
    city: "上海",
    startTime: "2030-01-01 19:00:00",
    endTime: "2030-01-01 22:00:00",
  });
  const session = await call("POST", `/api/show/${show.id}/sessions`, token, {
    name: "Night",
    startTime: "2030-01-01 19:00:00",
    endTime: "2030-01-01 22:00:00",
  });
  const tier = await call("POST", "/api/ticket", token, {
    showId: show.id,
    sessionId: session.id,
    name: "Stalls",
    price: 100,
    totalStock: 0,
  });
  const area = await call("POST", "/api/seat/areas", token, {
    showId: show.id,
    sessionId: session.id,
    ticketId: tier.id,
    name: "Stalls",
    rows: 25,
    cols: 40,
    price: 100,
  });
  const layoutPath = `/api/seat/layout/${area.id}?sessionId=${session.id}`;
  const time = async (path: string) => {
    const t0 = performance.now();
    const res = await fetch(`${server.url}${path}`);
    await res.arrayBuffer();
    return performance.now() - t0;
  };
  // Warm both paths, then alternate them so noise hits both alike.
  for (let i = 0; i < 20; i++) await Promise.all([time("/api/health"), time(layoutPath)]);
  const health: number[] = [];
  const layout: number[] = [];
  for (let i = 0; i < rounds; i++) {
    health.push(await time("/api/health"));
    layout.push(await time(layoutPath));
  }
  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(p * s.length))];
  };
  const round = (n: number) => Math.round(n * 100) / 100;
  const result = {
    scenario: "layout-latency",
    seats: 1000,
    rounds,
    healthMs: { p50: round(pct(health, 0.5)), p99: round(pct(health, 0.99)) },
    layoutMs: { p50: round(pct(layout, 0.5)), p99: round(pct(layout, 0.99)) },
    ratio: {
      p50: round(pct(layout, 0.5) / pct(health, 0.5)),
      p99: round(pct(layout, 0.99) / pct(health, 0.99)),
    },
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  server.signal("SIGTERM");
  await server.exited;
  await dropDatabase(stores.databaseUrl, name);
  const redis = createClient({ url: stores.redisUrl });
  await redis.connect();
  for await (const keys of redis.scanIterator({ MATCH: `${name}:*`, COUNT: 500 })) {
    if (keys.length) await redis.unlink(keys);
  }
  await redis.close();
  await stores.stop();
}
