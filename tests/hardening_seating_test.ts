/**
 * Issue 16, the seating and platform findings: every request does bounded work (availability
 * capped, layout and sweeps reading a per-session hold index, never a key per seat or a keyspace
 * SCAN), the Redis client recovers by itself from a timed-out or oversized command, the worst
 * request one can build leaves the service ready within 5 s, and one expiry run drains a sale's
 * backlog without making another tier wait.
 */
import assert from "node:assert/strict";
import { gunzipSync, inflateSync } from "node:zlib";
import { createApp } from "#http/app.ts";
import { connectRedis, MAX_COMMAND_ARGS } from "#lib/platform/redis.ts";
import { createDb } from "#lib/platform/db.ts";
import type { AppContext } from "#lib/platform/context.ts";
import { isAppError } from "#lib/platform/errors.ts";
import { reconcile } from "#lib/ops/reconcile.ts";
import { readSessionState } from "#lib/sale/session_rebuild.ts";
import { runJob } from "#lib/ops/jobs/runner.ts";
import { wallClock } from "#lib/platform/time.ts";
import { dropDatabase, suite, type TestEnv, testStores, uniqueName } from "./support/env.ts";
import { spawnServer } from "./support/process.ts";
import { createSale, http, stockOf } from "./support/sale.ts";
import { createSeatedSale } from "./support/seating.ts";
import { createCafeAreas, type CreateVia } from "./support/cafe.ts";

const DAY_MS = 86_400_000;

/** "YYYY-MM-DD" in UTC, `days` from today. */
const day = (days: number) => wallClock(new Date(Date.now() + days * DAY_MS), "UTC").date;

type Call = (
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
) => Promise<{ status: number; body: { data: unknown; message: string } }>;

/** An internet café (show type 6) on sale for a month, with areas of the given sizes. */
function createCafe(call: Call, token: string, areas: [number, number][]) {
  const create: CreateVia = async (path, body) => {
    const res = await call("POST", path, token, body);
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    return (res.body.data as { id: number }).id;
  };
  return createCafeAreas(
    create,
    areas.map(([rows, cols], i) => ({ name: `Hall ${i}`, rows, cols })),
    { price: 10, nightPrice: 13, date: day },
  );
}

const envCall = (env: TestEnv): Call => async (method, path, token, body) => {
  const res = await env.call(method, path, { token, body });
  return { status: res.status, body: res.body };
};

suite(
  "finding 1: availability only for hourly areas, at most AVAILABILITY_MAX_SLOTS seat-hours",
  async (_t, env) => {
    const admin = await env.admin();
    const cafe = await createCafe(envCall(env), admin.token, [[4, 5]]);
    const seated = await createSeatedSale(env, { rows: 2, cols: 2 });
    const ask = (areaId: number, days: number) =>
      env.call(`GET`, `/api/seat/availability?areaId=${areaId}&date=${day(1)}&days=${days}`);
    // 20 seats × 24 hours = 480 seat-hours: within the cap of 500.
    const one = await ask(cafe.areaIds[0], 1);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    // Two days are 960: a 400 that names the cap, read nothing.
    const two = await ask(cafe.areaIds[0], 2);
    assert.equal(two.status, 400, JSON.stringify(two.body));
    assert.match(two.body.message, /AVAILABILITY_MAX_SLOTS/);
    assert.match(two.body.message, /\b500\b/);
    assert.match(two.body.message, /960/);
    // A seated (not hourly) area has a layout, not hours.
    const notHourly = await ask(seated.areaId, 1);
    assert.equal(notHourly.status, 400, JSON.stringify(notHourly.body));
    assert.match(notHourly.body.message, /areaId/);
  },
  { AVAILABILITY_MAX_SLOTS: "500" },
);

Deno.test("finding 1: the Redis client recovers by itself from a timed-out or oversized command", async () => {
  const { redisUrl } = await testStores();
  const redis = await connectRedis({ url: redisUrl, commandTimeoutMs: 250 });
  const key = `${uniqueName()}:k`;
  try {
    // A script that keeps Redis busy past the deadline (600 ms, under Redis's own script limit).
    const slow = redis.send([
      "EVAL",
      `local s = redis.call("TIME")
       repeat local n = redis.call("TIME")
       until (n[1] - s[1]) * 1000000 + (n[2] - s[2]) > 600000
       return 1`,
      "0",
    ]);
    const behind = redis.send(["GET", key]);
    const began = performance.now();
    await assert.rejects(slow, (e) => isAppError(e) && e.status === 503);
    assert.ok(performance.now() - began < 550, "the deadline holds for a command already written");
    await assert.rejects(behind, (e) => isAppError(e) && e.status === 503);
    // Ready again by itself, on a fresh connection, with replies in order.
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        assert.equal(await redis.send(["PING"]), "PONG");
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const replies = await Promise.all([
      redis.send(["SET", key, "a", "PX", "60000"]),
      redis.send(["GET", key]),
      redis.send(["ECHO", "b"]),
    ]);
    assert.deepEqual(replies, ["OK", "a", "b"]);
    // Too large to send: refused before a buffer is built; the connection is untouched.
    const huge = Array.from({ length: MAX_COMMAND_ARGS + 1 }, (_, i) => `${key}:${i}`);
    await assert.rejects(redis.send(["MGET", ...huge]), /redis command of/);
    assert.equal(await redis.send(["ECHO", "still here"]), "still here");
  } finally {
    await redis.send(["DEL", key]).catch(() => {});
    await redis.close();
  }
});

Deno.test({
  name: "finding 1: the MySQL pool recovers at once from a statement past its deadline",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const { databaseUrl } = await testStores();
    const url = new URL(databaseUrl);
    url.pathname = "/mysql";
    // One connection: a timed-out statement left on it would hold up everything after it.
    const db = createDb({ url: url.toString(), poolSize: 1, queryTimeoutMs: 300 });
    try {
      await assert.rejects(db.rows("SELECT SLEEP(3)"), (e) => isAppError(e) && e.status === 503);
      let began = performance.now();
      assert.deepEqual(await db.rows("SELECT 1 AS one"), [{ one: 1 }]);
      assert.ok(performance.now() - began < 1000, "not queued behind the timed-out statement");
      // The same inside a transaction: no ROLLBACK waiting behind the statement.
      began = performance.now();
      await assert.rejects(
        db.tx((tx) => tx.rows("SELECT SLEEP(3)")),
        (e) => isAppError(e) && e.status === 503,
      );
      assert.deepEqual(await db.rows("SELECT 2 AS two"), [{ two: 2 }]);
      assert.ok(performance.now() - began < 1500, "the transaction's connection was dropped");
    } finally {
      await db.close();
    }
  },
});

Deno.test({
  name: "finding 1: the worst-request drill: ready within 5 s after it, and a purchase succeeds",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const stores = await testStores();
    const name = uniqueName();
    const dbUrl = new URL(stores.databaseUrl);
    dbUrl.pathname = `/${name}`;
    const server = spawnServer({
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: stores.redisUrl,
      REDIS_PREFIX: `${name}:`,
      JWT_SECRET: "drill-secret-drill-secret-drill-secret-0123",
      ADMIN_USERNAME: "drilladmin",
      ADMIN_PASSWORD: "drilladmin-pw",
      JOBS: "false",
      LOG_LEVEL: "warn",
    });
    try {
      await server.waitForLine(/API docs:/);
      for (let i = 0;; i++) {
        const up = await fetch(`${server.url}/api/health`).then(
          (r) => r.body?.cancel(),
          () => false,
        );
        if (up !== false) break;
        if (i > 600) throw new Error("server did not answer /api/health");
        await new Promise((r) => setTimeout(r, 50));
      }
      const call: Call = (method, path, token, body) =>
        http(server.url, method, path, { token, body });
      const login = await call("POST", "/api/user/login", undefined, {
        username: "drilladmin",
        password: "drilladmin-pw",
      });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      const admin = (login.body.data as { token: string }).token;
      // The largest area the API accepts (100 × 100) of a café, and one at the availability cap.
      const cafe = await createCafe(call, admin, [[100, 100], [20, 20]]);
      const [huge, capped] = cafe.areaIds;
      const reg = await call("POST", "/api/user/register", undefined, {
        username: "drillbuyer",
        password: "drill-pw-1",
        phone: "13800000000",
      });
      assert.equal(reg.status, 200, JSON.stringify(reg.body));
      const buyer = await call("POST", "/api/user/login", undefined, {
        username: "drillbuyer",
        password: "drill-pw-1",
      });
      const token = (buyer.body.data as { token: string }).token;
      const tomorrow = day(1);
      const worst = [
        // 10,000 seats × 168 hours: 1,680,000 seat-hours (the request that wedged the service).
        ...Array.from(
          { length: 6 },
          () =>
            call("GET", `/api/seat/availability?areaId=${huge}&date=${tomorrow}&days=7`, undefined),
        ),
        // The largest availability allowed: 400 seats × 24 hours, under the 10,000 cap.
        ...Array.from(
          { length: 6 },
          () => call("GET", `/api/seat/availability?areaId=${capped}&date=${tomorrow}`, token),
        ),
        // The largest layout and area list.
        ...Array.from(
          { length: 4 },
          () => call("GET", `/api/seat/layout/${huge}?sessionId=${cafe.sessionId}`, token),
        ),
        ...Array.from(
          { length: 4 },
          () => call("GET", `/api/seat/areas?sessionId=${cafe.sessionId}`, undefined),
        ),
        // Best seats of the whole 10,000-seat area for 12 hours: 120,000 seat-hours weighed.
        call("POST", "/api/seat/best", token, {
          sessionId: cafe.sessionId,
          areaId: huge,
          count: 10,
          startTime: `${tomorrow}T08:00:00Z`,
          hours: 12,
        }),
      ];
      const replies = await Promise.all(worst);
      const statuses = replies.map((r) => r.status);
      for (const r of replies.slice(0, 6)) {
        assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
        assert.match(r.body.message, /AVAILABILITY_MAX_SLOTS/);
      }
      assert.ok(statuses.every((s) => s < 500), `no 5xx: ${statuses.join(",")}`);
      const after = performance.now();
      for (;;) {
        const ready = await fetch(`${server.url}/api/ready`).then((r) => {
          r.body?.cancel();
          return r.status;
        }, () => 0);
        if (ready === 200) break;
        assert.ok(performance.now() - after < 5000, "ready within 5 s of the worst requests");
        await new Promise((r) => setTimeout(r, 50));
      }
      // A purchase: hold a seat-hour and order it.
      const order = await call("POST", "/api/order/create", token, {
        showId: cafe.showId,
        sessionId: cafe.sessionId,
        seatIds: [await firstSeat(call, capped, cafe.sessionId, token)],
        bookingDate: `${day(2)} 10:00:00`,
        bookingDuration: 2,
      });
      assert.equal(order.status, 200, JSON.stringify(order.body));
    } finally {
      server.signal("SIGTERM");
      await server.exited;
      await dropDatabase(stores.databaseUrl, name);
      const redis = await connectRedis({ url: stores.redisUrl });
      await redis.deleteByPrefix(`${name}:`);
      await redis.close();
    }
  },
});

async function firstSeat(call: Call, areaId: number, sessionId: number, token: string) {
  const layout = await call("GET", `/api/seat/layout/${areaId}?sessionId=${sessionId}`, token);
  assert.equal(layout.status, 200);
  return (layout.body.data as { seats: { id: number }[] }).seats[0].id;
}

/** Counts the Redis script calls of `fn` and the largest command's arguments; fails on a SCAN. */
async function watchRedis<T>(ctx: AppContext, fn: () => Promise<T>) {
  const send = ctx.redis.send;
  const scan = ctx.redis.scan;
  const seen = { commands: 0, largest: 0 };
  ctx.redis.send = (args, routingKey) => {
    if (args[0] === "EVALSHA" || args[0] === "EVAL") seen.commands++;
    seen.largest = Math.max(seen.largest, args.length);
    return send(args, routingKey);
  };
  ctx.redis.scan = () => Promise.reject(new Error("a keyspace SCAN"));
  try {
    return { result: await fn(), ...seen };
  } finally {
    ctx.redis.send = send;
    ctx.redis.scan = scan;
  }
}

suite(
  "findings 9 and 17: layout, hold sweep and reconcile read the session's hold index, no SCAN",
  async (t, env) => {
    const sale = await createSeatedSale(env, { rows: 25, cols: 40 });
    const [alice, bob] = await env.users(2);
    const held = sale.seatIds.slice(0, 3);
    const lock = await env.call("POST", "/api/seat/lock", {
      token: alice.token,
      body: { seatIds: held },
    });
    assert.equal(lock.status, 200, JSON.stringify(lock.body));
    const layoutPath = `/api/seat/layout/${sale.areaId}?sessionId=${sale.sessionId}`;

    await t.step("a 1,000-seat layout: at most one small Redis command, shared", async () => {
      type Seats = { seats: { id: number; lockStatus: number; lockedByCurrentUser: boolean }[] };
      // Fifty buyers at once: one read of the live state between them, no key per seat.
      const crowd = await env.users(50);
      const began = performance.now();
      const { result, commands, largest } = await watchRedis(
        env.ctx,
        () =>
          Promise.all(
            crowd.map((b) => env.call<Seats>("GET", layoutPath, { token: b.token })),
          ),
      );
      for (const r of result) assert.equal(r.status, 200);
      // One read per LAYOUT_CACHE_MS at most, however many buyers ask (a slow machine may need two).
      const reads = Math.ceil((performance.now() - began) / env.config.layoutCacheMs) + 1;
      assert.ok(commands <= reads, `${commands} script calls for 50 layouts (at most ${reads})`);
      // One argument per seat at most (the slots), never a key per seat as well.
      assert.ok(largest <= 1000 + 10, `largest command: ${largest} arguments`);
      for (const r of result) {
        assert.equal(r.body.data.seats.filter((s) => s.lockStatus === 1).length, 3);
      }
      const mine = await env.call<Seats>("GET", layoutPath, { token: alice.token });
      assert.deepEqual(
        mine.body.data.seats.filter((s) => s.lockedByCurrentUser).map((s) => s.id),
        held,
      );
    });

    await t.step("this process's own hold shows at once, the cache notwithstanding", async () => {
      type Seats = { seats: { id: number; lockStatus: number }[] };
      const before = await env.call<Seats>("GET", layoutPath);
      assert.equal(before.body.data.seats.find((s) => s.id === sale.seatIds[10])!.lockStatus, 0);
      const lockMore = await env.call("POST", "/api/seat/lock", {
        token: bob.token,
        body: { seatIds: [sale.seatIds[10]] },
      });
      assert.equal(lockMore.status, 200);
      const after = await env.call<Seats>("GET", layoutPath);
      assert.equal(after.body.data.seats.find((s) => s.id === sale.seatIds[10])!.lockStatus, 1);
      const undo = await env.call("POST", "/api/seat/release", {
        token: bob.token,
        body: { seatIds: [sale.seatIds[10]] },
      });
      assert.equal(undo.status, 200);
      const again = await env.call<Seats>("GET", layoutPath);
      assert.equal(again.body.data.seats.find((s) => s.id === sale.seatIds[10])!.lockStatus, 0);
    });

    await t.step(
      "the shared layout reply is sent compressed to a client that takes deflate or gzip",
      async () => {
        // The suite checks every reply against its schema, which sends the text; the service
        // sends the shared bytes.
        const app = createApp(env.ctx, undefined, { checkReplies: false });
        const plain = await app.request(layoutPath);
        assert.equal(plain.headers.get("content-encoding"), null);
        const expected = await plain.json();
        // A browser takes both: the layout's blocks are compressed one by one (deflate), so a
        // hold recompresses only its own; a client that takes gzip only gets gzip.
        for (
          const [accept, coding, inflate] of [
            ["gzip, deflate, br", "deflate", inflateSync],
            ["gzip", "gzip", gunzipSync],
            ["deflate", "deflate", inflateSync],
          ] as const
        ) {
          const zipped = await app.request(layoutPath, { headers: { "accept-encoding": accept } });
          assert.equal(zipped.headers.get("content-encoding"), coding, accept);
          const raw = new Uint8Array(await zipped.arrayBuffer());
          const text = new TextDecoder().decode(inflate(raw));
          assert.ok(raw.byteLength * 5 < text.length, `${raw.byteLength} of ${text.length} bytes`);
          assert.deepEqual(JSON.parse(text), expected, accept);
        }
        const refused = await app.request(layoutPath, {
          headers: { "accept-encoding": "gzip;q=0" },
        });
        assert.equal(refused.headers.get("content-encoding"), null);
        await refused.body?.cancel();
      },
    );

    await t.step("the hold sweep finds a hold that lost its TTL, with no SCAN", async () => {
      const stray = env.ctx.keys.hold(sale.sessionId, String(held[0]));
      await env.ctx.redis.send(["PERSIST", stray], stray);
      const { result } = await watchRedis(
        env.ctx,
        () =>
          env.call<{ counts: Record<string, number>; outcome: string }>(
            "POST",
            "/api/admin/jobs/release-holds/run",
            { token: sale.adminToken },
          ),
      );
      assert.equal(result.status, 200, JSON.stringify(result.body));
      assert.equal(result.body.data.outcome, "ok");
      assert.equal(result.body.data.counts.removed, 1);
      assert.equal(Number(await env.ctx.redis.send(["EXISTS", stray], stray)), 0);
    });

    await t.step("reconcile finds and deletes a stray hold, with no SCAN", async () => {
      const stray = env.ctx.keys.hold(sale.sessionId, String(held[1]));
      await env.ctx.redis.send(["PERSIST", stray], stray);
      const { result } = await watchRedis(env.ctx, () => reconcile(env.ctx, { repair: true }));
      assert.deepEqual(
        result.differences.map((d) => [d.kind, d.key]),
        [["hold-stray", stray]],
      );
      assert.equal(result.repaired?.holdsDeleted, 1);
      assert.deepEqual(result.repaired?.remaining, []);
    });

    await t.step("a released hold leaves the index; another buyer's stays", async () => {
      const index = env.ctx.keys.sessionHolds(sale.sessionId);
      const release = await env.call("POST", "/api/seat/release", {
        token: bob.token,
        body: { seatIds: [held[2]] },
      });
      assert.equal(release.status, 200);
      assert.notEqual(await env.ctx.redis.send(["ZSCORE", index, String(held[2])], index), null);
      const own = await env.call("POST", "/api/seat/release", {
        token: alice.token,
        body: { seatIds: [held[2]] },
      });
      assert.equal(own.status, 200);
      assert.equal(await env.ctx.redis.send(["ZSCORE", index, String(held[2])], index), null);
    });
  },
);

suite(
  "finding 4: one expiry run drains 1,500 overdue orders, and another tier's too",
  async (_t, env) => {
    const flash = await createSale(env, { stock: 2000, limit: 10 });
    const other = await createSale(env, { stock: 10, limit: 4 });
    const buyers = await env.users(150);
    // 150 buyers × 10 tickets, one ticket an order: 1,500 unpaid orders, 30 at a time.
    const jobs = buyers.flatMap((b) => Array.from({ length: 10 }, () => b));
    for (let i = 0; i < jobs.length; i += 30) {
      const res = await Promise.all(
        jobs.slice(i, i + 30).map((b) =>
          env.call("POST", "/api/order/create", {
            token: b.token,
            body: { ticketId: flash.ticketId, quantity: 1 },
          })
        ),
      );
      for (const r of res) assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const lone = await env.call("POST", "/api/order/create", {
      token: buyers[0].token,
      body: { ticketId: other.ticketId, quantity: 2 },
    });
    assert.equal(lone.status, 200, JSON.stringify(lone.body));
    // All of them past their window; the other tier's the youngest of all.
    await env.ctx.db.exec(
      "UPDATE orders SET expire_at = ? WHERE ticket_id = ?",
      [new Date(Date.now() - 60_000), flash.ticketId],
    );
    await env.ctx.db.exec(
      "UPDATE orders SET expire_at = ? WHERE ticket_id = ?",
      [new Date(Date.now() - 1_000), other.ticketId],
    );
    const run = await env.call<{ outcome: string; counts: Record<string, number> }>(
      "POST",
      "/api/admin/jobs/expire-orders/run",
      { token: flash.adminToken },
    );
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.equal(run.body.data.outcome, "ok", JSON.stringify(run.body.data));
    assert.equal(run.body.data.counts.expired, 1501, JSON.stringify(run.body.data));
    const [{ n }] = await env.ctx.db.rows<{ n: number }>(
      "SELECT COUNT(*) AS n FROM orders WHERE status = 0",
    );
    assert.equal(Number(n), 0);
    assert.deepEqual(await stockOf(env, flash), {
      mysql: { total: 2000, locked: 0, sold: 0 },
      redis: { total: 2000, locked: 0, sold: 0 },
    });
    assert.deepEqual(await stockOf(env, other), {
      mysql: { total: 10, locked: 0, sold: 0 },
      redis: { total: 10, locked: 0, sold: 0 },
    });
  },
  // Ten identical one-ticket orders of one buyer are ten orders here.
  { DEDUP_WINDOW_SECONDS: "0" },
);

suite(
  "finding 8: seat-hours of bookings that are over leave the rebuild, reconcile and both stores",
  async (_t, env) => {
    const admin = await env.admin();
    const cafe = await createCafe(envCall(env), admin.token, [[2, 2]]);
    const [buyer] = await env.users(1);
    const seats = await env.ctx.db.rows<{ id: number }>(
      "SELECT id FROM seats WHERE area_id = ? ORDER BY id",
      [cafe.areaIds[0]],
    );
    const book = async (seatId: number, date: string) => {
      const res = await env.call<string>("POST", "/api/order/create", {
        token: buyer.token,
        body: { seatIds: [seatId], bookingDate: `${date} 10:00:00`, bookingDuration: 2 },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.data;
    };
    const soon = await book(seats[0].id, day(1));
    const later = await book(seats[1].id, day(5));
    for (const no of [soon, later]) {
      const pay = await env.call("POST", `/api/order/pay/${no}`, { token: buyer.token });
      assert.equal(pay.status, 200, JSON.stringify(pay.body));
    }
    const claimsOf = async () =>
      (await env.ctx.db.rows<{ slot: string }>(
        "SELECT slot FROM seat_claims WHERE session_id = ? ORDER BY slot",
        [cafe.sessionId],
      )).map((r) => r.slot);
    const redisClaims = async () => {
      const key = env.ctx.keys.claims(cafe.sessionId);
      const flat = await env.ctx.redis.send<string[]>(["HKEYS", key], key);
      return flat.sort();
    };
    assert.equal((await claimsOf()).length, 4);
    // Three days on: the first booking is over, the second still ahead.
    const realNow = env.ctx.now;
    env.ctx.now = () => Date.now() + 3 * DAY_MS;
    try {
      const state = await readSessionState(env.ctx, cafe.sessionId);
      const ahead = Object.keys(state.claims).sort();
      assert.equal(ahead.length, 2, "the rebuild reads only bookings not over");
      assert.ok(ahead.every((s) => s.startsWith(`${seats[1].id}@`)), ahead.join(","));
      // Reconcile sees nothing to repair: Redis still has the old claims, both sides skip them.
      const report = await reconcile(env.ctx, { repair: false });
      assert.deepEqual(report.differences, []);
      // (Tokens issued today are expired by then: the job runs as the cron would.)
      const run = await runJob(env.ctx, "prune-past-hours", "cron");
      assert.equal(run.outcome, "ok", JSON.stringify(run));
      assert.deepEqual(run.counts, { rows: 2, claims: 2 });
      assert.deepEqual(await claimsOf(), ahead);
      assert.deepEqual(await redisClaims(), ahead);
      // Nothing more to prune.
      assert.deepEqual((await runJob(env.ctx, "prune-past-hours", "cron")).counts, {
        rows: 0,
        claims: 0,
      });
    } finally {
      env.ctx.now = realNow;
    }
    // The order itself stays as it was.
    const detail = await env.call<{ status: number }>("GET", `/api/order/${soon}`, {
      token: buyer.token,
    });
    assert.equal(detail.body.data.status, 1);
  },
);
