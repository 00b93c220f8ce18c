// Issue 16, the sale's findings: order numbers unique across instances and a collision that
// hurts nobody (6), a refused statement that is not an outage (5), no sold records and session
// keys that expire (8), keys of one slot and one clock (12), the hourly per-buyer cap (3).
import assert from "node:assert/strict";
import { audit } from "#lib/ops/audit.ts";
import { compareSession } from "#lib/ops/reconcile.ts";
import { payOrder } from "#lib/orders/lifecycle.ts";
import { orderNumbers, takeInstanceNumber } from "#lib/orders/order_numbers.ts";
import { rebuildSession } from "#lib/sale/session_rebuild.ts";
import { releaseReservation, reserveStock } from "#lib/sale/stock_gate.ts";
import type { RedisReply } from "#lib/platform/redis.ts";
import type { ScriptName } from "#lib/platform/scripts.ts";
import { createCafe } from "./support/cafe.ts";
import { suite, type TestEnv } from "./support/env.ts";
import { createSale, stockOf } from "./support/sale.ts";
import { createSeatedSale } from "./support/seating.ts";

suite("hardening: order numbers, collisions and refused statements", async (t, env) => {
  // First: the column below is narrowed while no order row is longer.
  await t.step(
    "a statement MySQL refuses is a 500 that gives the seats back, never 'database unavailable'",
    async () => {
      const sale = await createSeatedSale(env, { rows: 1, cols: 2, name: "Balcony" });
      const buyer = await env.user();
      const create = () =>
        env.call<string>("POST", "/api/order/create", {
          token: buyer.token,
          body: { sessionId: sale.sessionId, seatIds: [sale.seatIds[0]] },
        });
      // A column narrower than what the service writes (as a bug would make it).
      await env.ctx.db.exec("ALTER TABLE order_items MODIFY seat_info VARCHAR(4) NULL");
      try {
        const refused = await create();
        assert.equal(refused.status, 500, JSON.stringify(refused.body));
        assert.equal(refused.body.error, "INTERNAL");
        const stock = await stockOf(env, sale);
        assert.deepEqual(stock.redis, { total: 2, locked: 0, sold: 0 }, "nothing stays locked");
        const claim = await env.ctx.redis.send<string | null>(
          ["HGET", env.ctx.keys.claims(sale.sessionId), String(sale.seatIds[0])],
          env.ctx.keys.claims(sale.sessionId),
        );
        assert.equal(claim, null);
      } finally {
        await env.ctx.db.exec("ALTER TABLE order_items MODIFY seat_info VARCHAR(140) NULL");
      }
      const ok = await create();
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
    },
  );
  await t.step("each instance takes its own number from MySQL", async () => {
    const a = await takeInstanceNumber(env.ctx.db);
    const b = await takeInstanceNumber(env.ctx.db);
    assert.equal(b, (a + 1) % 1000);
  });

  await t.step(
    "a number already reserved by another buyer is skipped, and that buyer keeps it",
    async () => {
      const sale = await createSeatedSale(env, { rows: 1, cols: 3 });
      const [alice, bob] = await env.users(2);
      const first = await env.call<string>("POST", "/api/order/create", {
        token: alice.token,
        body: { sessionId: sale.sessionId, seatIds: [sale.seatIds[0]] },
      });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const taken = first.body.data;
      // The next number this process issues is Alice's (as two instances sharing digits would).
      const issuer = await orderNumbers(env.ctx);
      const real = issuer.next.bind(issuer);
      let collide = true;
      issuer.next = (now: number) => collide ? (collide = false, taken) : real(now);
      const second = await env.call<string>("POST", "/api/order/create", {
        token: bob.token,
        body: { sessionId: sale.sessionId, seatIds: [sale.seatIds[1]] },
      });
      issuer.next = real;
      assert.equal(collide, false, "the colliding number was drawn");
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.notEqual(second.body.data, taken);
      const s = sale.sessionId;
      const record = await env.ctx.redis.send<string | null>(
        ["HGET", env.ctx.keys.reservations(s), taken],
        env.ctx.keys.reservations(s),
      );
      assert.equal(JSON.parse(record!).u, alice.id, "Alice's reservation is untouched");
      const claim = await env.ctx.redis.send<string | null>(
        ["HGET", env.ctx.keys.claims(s), String(sale.seatIds[0])],
        env.ctx.keys.claims(s),
      );
      assert.equal(claim, `${taken}|p`);
      const stock = await stockOf(env, sale);
      assert.deepEqual(stock.redis, { total: 3, locked: 2, sold: 0 });
      assert.deepEqual(stock.mysql, stock.redis);
    },
  );

  await t.step(
    "a release names the buyer: another buyer's reservation is not given back",
    async () => {
      const sale = await createSale(env, { stock: 5, limit: 4 });
      const [alice, mallory] = await env.users(2);
      const orderNo = "20300101000000000999001";
      const where = { orderNo, sessionId: sale.sessionId, ticketId: sale.ticketId };
      const reserved = await reserveStock(env.ctx, {
        ...where,
        userId: alice.id,
        quantity: 2,
        limit: 4,
        slots: [],
        dedupTtlMs: 0,
      });
      assert.equal(reserved.outcome, "reserved");
      assert.equal(await releaseReservation(env.ctx, { ...where, userId: mallory.id }), false);
      assert.deepEqual((await stockOf(env, sale)).redis, { total: 5, locked: 2, sold: 0 });
      assert.equal(await releaseReservation(env.ctx, { ...where, userId: alice.id }), true);
      assert.deepEqual((await stockOf(env, sale)).redis, { total: 5, locked: 0, sold: 0 });
    },
  );
});

/** "YYYY-MM-DD" (UTC, the tests' time zone), `days` from today. */
function day(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Drops every key of the session, as a Redis that restarted empty would have. */
async function wipeSession(env: TestEnv, sessionId: number): Promise<void> {
  await env.ctx.redis.deleteByPrefix(`${env.config.redisPrefix}{s:${sessionId}}`);
}

suite("hardening: unpaid seat-hours per buyer and session are capped", async (t, env) => {
  const cafe = await createCafe(env); // 10 seats
  const [alice, bob, carol] = await env.users(3);
  const s = cafe.seatIds;
  const D = day(2);
  const book = (token: string, seatIds: number[], hour: number, hours: number) =>
    env.call<string>("POST", "/api/order/create", {
      token,
      body: {
        showId: cafe.showId,
        seatIds,
        bookingDate: `${D} ${String(hour).padStart(2, "0")}:00:00`,
        bookingDuration: hours,
      },
    });
  const hold = (token: string, seatIds: number[], hour: number, hours: number) =>
    env.call("POST", "/api/seat/lock", {
      token,
      body: { seatIds, startTime: `${D}T${String(hour).padStart(2, "0")}:00:00Z`, hours },
    });
  let aliceFirst = "";

  await t.step("orders alone: 6 seat-hours booked, the 7th is 409 LIMIT_EXCEEDED", async () => {
    const first = await book(alice.token, [s[0], s[1]], 8, 2);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    aliceFirst = first.body.data;
    const second = await book(alice.token, [s[2]], 8, 2);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const over = await book(alice.token, [s[3]], 8, 1);
    assert.equal(over.status, 409, JSON.stringify(over.body));
    assert.equal(over.body.error, "LIMIT_EXCEEDED");
    assert.match(over.body.message, /at most 6 seat-hours .* you have 6/);
    const others = await book(bob.token, [s[3]], 8, 3);
    assert.equal(others.status, 200, "another buyer is not held to Alice's count");
  });

  await t.step(
    "holds and unpaid orders count together; a paid order no longer counts",
    async () => {
      const refused = await hold(alice.token, [s[4]], 12, 1);
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.equal((refused.body as { error: string }).error, "LIMIT_EXCEEDED");
      const paid = await env.call("POST", `/api/order/pay/${aliceFirst}`, { token: alice.token });
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      // 2 unpaid: 2 held and 2 booked fit; one more does not.
      assert.equal((await hold(alice.token, [s[4]], 12, 2)).status, 200);
      assert.equal((await book(alice.token, [s[5]], 12, 2)).status, 200);
      const more = await hold(alice.token, [s[6]], 12, 1);
      assert.equal(more.status, 409, JSON.stringify(more.body));
      // Booking the held seat-hours moves them from holds to orders: still 6.
      const taken = await book(alice.token, [s[4]], 12, 2);
      assert.equal(taken.status, 200, JSON.stringify(taken.body));
      assert.equal((await book(alice.token, [s[6]], 14, 1)).status, 409);
    },
  );

  await t.step("concurrent creates of one buyer never pass the cap", async () => {
    const tries = await Promise.all(
      Array.from({ length: 8 }, (_, i) => book(carol.token, [s[7 + (i % 3)]], 2 * i, 2)),
    );
    const ok = tries.filter((r) => r.status === 200);
    assert.equal(ok.length, 3, JSON.stringify(tries.map((r) => r.body.error ?? r.body.data)));
    assert.ok(tries.every((r) => r.status === 200 || r.body.error === "LIMIT_EXCEEDED"));
  });

  await t.step("a Redis that lost the session rebuilds the count from MySQL", async () => {
    await wipeSession(env, cafe.sessionId);
    const over = await book(carol.token, [s[9]], 20, 1);
    assert.equal(over.status, 409, JSON.stringify(over.body));
    const key = env.ctx.keys.unpaidSeatHours(cafe.sessionId);
    const counts = await env.ctx.redis.send<string[]>(["HGETALL", key], key);
    assert.deepEqual(
      Object.fromEntries(counts.flatMap((v, i) => i % 2 ? [] : [[v, Number(counts[i + 1])]])),
      { [alice.id]: 6, [bob.id]: 3, [carol.id]: 6 },
    );
    assert.deepEqual(await compareSession(env.ctx, cafe.sessionId), []);
  });

  await t.step("a cancel gives the seat-hours back", async () => {
    const [mine] = await env.ctx.db.rows<{ order_no: string }>(
      "SELECT order_no FROM orders WHERE user_id = ? AND status = 0 ORDER BY id LIMIT 1",
      [carol.id],
    );
    const cancel = await env.call("PUT", `/api/order/cancel/${mine.order_no}`, {
      token: carol.token,
    });
    assert.equal(cancel.status, 200);
    assert.equal((await book(carol.token, [s[9]], 20, 2)).status, 200);
    assert.deepEqual(await compareSession(env.ctx, cafe.sessionId), []);
  });
}, { HOURLY_MAX_SEAT_HOURS: "6" });

/**
 * Runs `around` in place of every script call of the service until the returned function is
 * called: `run()` makes the real call.
 */
function aroundScripts(
  env: TestEnv,
  around: (name: ScriptName, keys: string[], run: () => Promise<RedisReply>) => Promise<RedisReply>,
): () => void {
  const real = env.ctx.scripts.run;
  const wrapped = (name: ScriptName, keys: string[], args: (string | number)[]) =>
    around(name, keys, () => real.call(env.ctx.scripts, name, keys, args));
  env.ctx.scripts.run = wrapped as unknown as typeof real;
  return () => {
    env.ctx.scripts.run = real;
  };
}

/** Every key of every script call in `fn`, with the script's name. */
async function scriptKeys(env: TestEnv, fn: () => Promise<void>): Promise<[string, string][]> {
  const seen: [string, string][] = [];
  const restore = aroundScripts(env, (name, keys, run) => {
    for (const k of keys) seen.push([name, k]);
    return run();
  });
  try {
    await fn();
  } finally {
    restore();
  }
  return seen;
}

suite(
  "hardening: no sold records, session keys that expire, one slot, one clock",
  async (t, env) => {
    const redis = <T extends RedisReply>(cmd: string[]) => env.ctx.redis.send<T>(cmd, cmd[1]);

    await t.step(
      "without a dedup window, every key of every sale script is in the session's slot",
      async () => {
        const ga = await createSale(env, { stock: 10, limit: 4 });
        const seated = await createSeatedSale(env, { rows: 1, cols: 4 });
        const buyer = await env.user();
        const seen = await scriptKeys(env, async () => {
          const a = await env.call<string>("POST", "/api/order/create", {
            token: buyer.token,
            body: { ticketId: ga.ticketId, quantity: 2 },
          });
          assert.equal(a.status, 200, JSON.stringify(a.body));
          const held = await env.call("POST", "/api/seat/lock", {
            token: buyer.token,
            body: { seatIds: [seated.seatIds[0]] },
          });
          assert.equal(held.status, 200);
          const b = await env.call<string>("POST", "/api/order/create", {
            token: buyer.token,
            body: { sessionId: seated.sessionId, seatIds: [seated.seatIds[0], seated.seatIds[1]] },
          });
          assert.equal(b.status, 200, JSON.stringify(b.body));
          assert.equal(
            (await env.call("POST", `/api/order/pay/${a.body.data}`, { token: buyer.token }))
              .status,
            200,
          );
          assert.equal(
            (await env.call("PUT", `/api/order/cancel/${b.body.data}`, { token: buyer.token }))
              .status,
            200,
          );
        });
        assert.ok(seen.some(([name]) => name === "reserve"));
        for (const [name, key] of seen) {
          assert.match(key, /\{s:\d+\}/, `${name}: key "${key}" is outside every session's slot`);
        }
      },
    );

    await t.step("a paid order leaves no record in Redis; its seats stay sold", async () => {
      const sale = await createSeatedSale(env, { rows: 1, cols: 2 });
      const [buyer, other] = await env.users(2);
      const created = await env.call<string>("POST", "/api/order/create", {
        token: buyer.token,
        body: { sessionId: sale.sessionId, seatIds: [sale.seatIds[0]] },
      });
      const orderNo = created.body.data;
      const reservations = env.ctx.keys.reservations(sale.sessionId);
      assert.ok(await redis<string | null>(["HGET", reservations, orderNo]));
      for (let i = 0; i < 2; i++) {
        const paid = await env.call("POST", `/api/order/pay/${orderNo}`, { token: buyer.token });
        assert.equal(paid.status, 200, "paying again answers the same");
      }
      assert.equal(await redis<number>(["HLEN", reservations]), 0, "no sold record kept");
      const claims = env.ctx.keys.claims(sale.sessionId);
      assert.equal(await redis(["HGET", claims, String(sale.seatIds[0])]), `${orderNo}|s`);
      assert.deepEqual((await stockOf(env, sale)).redis, { total: 2, locked: 0, sold: 1 });
      const taken = await env.call("POST", "/api/order/create", {
        token: other.token,
        body: { sessionId: sale.sessionId, seatIds: [sale.seatIds[0]] },
      });
      assert.equal(taken.status, 409);
      assert.deepEqual(await compareSession(env.ctx, sale.sessionId), []);
      const report = await audit(env.ctx, { sessionIds: [sale.sessionId], graceMs: 0 });
      assert.ok(report.ok, JSON.stringify(report));
    });

    await t.step("every key of a session expires after its end plus the grace period", async () => {
      const sale = await createSeatedSale(env, { rows: 1, cols: 3 });
      const buyer = await env.user();
      await wipeSession(env, sale.sessionId);
      // Rebuilt on first use; the reservation, claims and buyers keys are created after it.
      const created = await env.call<string>("POST", "/api/order/create", {
        token: buyer.token,
        body: { sessionId: sale.sessionId, seatIds: [sale.seatIds[0]] },
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const ends = Date.parse("2030-05-01T22:00:00Z") + env.config.sessionKeysGraceSeconds * 1000;
      const ready = env.ctx.keys.sessionReady(sale.sessionId);
      assert.equal(await redis<number>(["PEXPIRETIME", ready]), ends);
      const keys: string[] = [];
      await env.ctx.redis.scan(`${env.config.redisPrefix}{s:${sale.sessionId}}*`, (batch) => {
        keys.push(...batch);
        return Promise.resolve();
      });
      assert.ok(keys.length >= 5, keys.join(" "));
      for (const key of keys) {
        const at = await redis<number>(["PEXPIRETIME", key]);
        assert.notEqual(at, -1, `${key} never expires`);
        if (key.includes(":hold") || key.includes(":dedup")) continue; // their own, shorter
        assert.ok(at >= ends, `${key} expires before the ready marker`);
      }
    });

    await t.step(
      "a session past its end, used again, is rebuilt and lives a grace period",
      async () => {
        const sale = await createSale(env, { stock: 5, limit: 4 });
        const buyer = await env.user();
        const create = () =>
          env.call<string>("POST", "/api/order/create", {
            token: buyer.token,
            body: { ticketId: sale.ticketId, quantity: 1 },
          });
        assert.equal((await create()).status, 200);
        await env.ctx.db.exec("UPDATE sessions SET start_time = ?, end_time = ? WHERE id = ?", [
          new Date(Date.now() - 86_400_000 * 4),
          new Date(Date.now() - 86_400_000 * 3),
          sale.sessionId,
        ]);
        await wipeSession(env, sale.sessionId); // as expiry would
        await rebuildSession(env.ctx, sale.sessionId); // its next use
        const ttl = await redis<number>(["PTTL", env.ctx.keys.sessionReady(sale.sessionId)]);
        const grace = env.config.sessionKeysGraceSeconds * 1000;
        assert.ok(ttl > grace - 60_000 && ttl <= grace, `${ttl}`);
        assert.deepEqual((await stockOf(env, sale)).redis, { total: 5, locked: 1, sold: 0 });
      },
    );

    await t.step(
      "adopt compares Redis's times: an instance whose clock is ahead still adopts",
      async () => {
        const sale = await createSale(env, { stock: 5, limit: 4 });
        const buyer = await env.user();
        const realNow = env.ctx.now;
        // This instance runs an hour ahead; between its reserve and its commit Redis loses the
        // session and another instance (on time) rebuilds it from MySQL, without the order.
        env.ctx.now = () => Date.now() + 3_600_000;
        let lost = false;
        const restore = aroundScripts(env, async (name, _keys, run) => {
          const reply = await run();
          if (name === "reserve" && !lost) {
            lost = true;
            await wipeSession(env, sale.sessionId);
            await rebuildSession({ ...env.ctx, now: realNow }, sale.sessionId);
          }
          return reply;
        });
        let orderNo: string;
        try {
          const created = await env.call<string>("POST", "/api/order/create", {
            token: buyer.token,
            body: { ticketId: sale.ticketId, quantity: 2 },
          });
          assert.equal(created.status, 200, JSON.stringify(created.body));
          orderNo = created.body.data;
        } finally {
          env.ctx.now = realNow;
          restore();
        }
        const reservations = env.ctx.keys.reservations(sale.sessionId);
        assert.ok(await redis(["HGET", reservations, orderNo]), "the reservation was adopted");
        const stock = await stockOf(env, sale);
        assert.deepEqual(stock.redis, { total: 5, locked: 2, sold: 0 });
        assert.deepEqual(stock.mysql, stock.redis);
      },
    );

    await t.step(
      "settle compares MySQL's times: a rebuild on a clock ahead still settles",
      async () => {
        const sale = await createSale(env, { stock: 5, limit: 4 });
        const buyer = await env.user();
        const created = await env.call<string>("POST", "/api/order/create", {
          token: buyer.token,
          body: { ticketId: sale.ticketId, quantity: 1 },
        });
        const orderNo = created.body.data;
        await wipeSession(env, sale.sessionId);
        // The order is paid while the rebuild (on an instance an hour ahead) has read MySQL.
        let paid = false;
        const restore = aroundScripts(env, async (name, _keys, run) => {
          if (name === "rebuild-session" && !paid) {
            paid = true;
            await payOrder(env.ctx, buyer.id, orderNo, 1);
          }
          return await run();
        });
        try {
          await rebuildSession({ ...env.ctx, now: () => Date.now() + 3_600_000 }, sale.sessionId);
        } finally {
          restore();
        }
        const reservations = env.ctx.keys.reservations(sale.sessionId);
        assert.equal(await redis(["HGET", reservations, orderNo]), null);
        assert.deepEqual((await stockOf(env, sale)).redis, { total: 5, locked: 0, sold: 1 });
      },
    );
  },
  { DEDUP_WINDOW_SECONDS: "0" },
);
