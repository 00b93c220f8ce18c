// Layout of a 1,000-seat area vs /api/health on the same server, measured with wrk, alternating.
import { findOrStartStores } from "#dev/local_stores.ts";
import { dropDatabase } from "../tests/support/env.ts";
import { spawnServer } from "../tests/support/process.ts";
import { createClient } from "#deps";

const rounds = Number(Deno.env.get("ROUNDS") ?? "2");
const secs = Deno.env.get("SECS") ?? "8";
const stores = await findOrStartStores({ dataDir: ".data/test-stores", startMissing: true });
const name = `bo_wrk_layout_${crypto.randomUUID().slice(0, 8)}`;
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
  LOG_LEVEL: Deno.env.get("SERVER_LOG_LEVEL") ?? "warn",
});
try {
  await server.waitForLine(/API docs:/);
  for (let i = 0;; i++) {
    const up = await fetch(`${server.url}/api/health`).then((r) => r.body?.cancel(), () => false);
    if (up !== false) break;
    if (i > 600) throw new Error("no health");
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
  // A few seats held, so the layout carries live state.
  const layout0 = await call("GET", `/api/seat/layout/${area.id}?sessionId=${session.id}`, token);
  await call("POST", "/api/seat/lock", token, {
    seatIds: layout0.seats.slice(0, 5).map((s: { id: number }) => s.id),
  });
  const layoutPath = `/api/seat/layout/${area.id}?sessionId=${session.id}`;
  const bytes = (await (await fetch(`${server.url}${layoutPath}`, {
    headers: { authorization: `Bearer ${token}` },
  })).arrayBuffer()).byteLength;
  // The wrk token: a buyer who holds none of the seats (the admin holds five).
  await call("POST", "/api/user/register", undefined, {
    username: "wrkbuyer",
    password: "wrk-pw-1",
    phone: "13800000000",
  });
  const buyer = (await call("POST", "/api/user/login", undefined, {
    username: "wrkbuyer",
    password: "wrk-pw-1",
  })).token;
  const auth = Deno.env.get("ANON") === "1"
    ? []
    : ["-H", `Authorization: Bearer ${Deno.env.get("AS_ADMIN") === "1" ? token : buyer}`];
  const wrk = async (path: string) => {
    const out = await new Deno.Command("wrk", {
      args: [
        "-t2",
        "-c50",
        `-d${secs}s`,
        ...auth,
        ...(Deno.env.get("GZIP") === "1" && path !== "/api/health"
          ? ["-H", "Accept-Encoding: gzip"]
          : []),
        `${server.url}${path}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? "0");
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? "0");
    const lat = /Latency\s+(\S+)/.exec(text)?.[1];
    return { rps, non2xx, lat };
  };
  const runs: { health: number; layout: number }[] = [];
  for (let i = 0; i < rounds; i++) {
    const h = await wrk("/api/health");
    const l = await wrk(layoutPath);
    console.error(JSON.stringify({ round: i, health: h, layout: l }));
    runs.push({ health: h.rps, layout: l.rps });
  }
  const health = runs.reduce((a, r) => a + r.health, 0) / runs.length;
  const layout = runs.reduce((a, r) => a + r.layout, 0) / runs.length;
  console.log(
    JSON.stringify({
      seats: 1000,
      layoutBytes: bytes,
      runs,
      healthRps: Math.round(health),
      layoutRps: Math.round(layout),
      ratio: Math.round(layout / health * 1000) / 1000,
    }),
  );
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
