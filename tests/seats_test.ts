import assert from "node:assert/strict";
import { audit } from "#lib/ops/audit.ts";
import type { SqlValue } from "#lib/platform/db.ts";
import { suite, type TestEnv } from "./support/env.ts";
import { http, listen, stockOf } from "./support/sale.ts";
import { createSeatedSale, eventually, type SeatedSale } from "./support/seating.ts";

interface LayoutSeat {
  id: number;
  status: number;
  lockStatus: number;
  lockedByCurrentUser: boolean;
  lockExpireTime: string | null;
  seatCode: string;
}
interface Layout {
  totalSeats: number;
  availableSeats: number;
  seats: LayoutSeat[];
}

async function layout(env: TestEnv, sale: SeatedSale, token?: string) {
  const res = await env.call<Layout>(
    "GET",
    `/api/seat/layout/${sale.areaId}?sessionId=${sale.sessionId}`,
    {
      token,
    },
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data;
}

async function assertAuditOk(env: TestEnv, sale: SeatedSale) {
  const report = await audit(env.ctx, { sessionIds: [sale.sessionId], graceMs: 0 });
  assert.ok(report.ok, JSON.stringify(report.violations, null, 2));
}

/** Deterministic pseudo-random numbers, so a failing race can be replayed. */
function random(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

suite("seats: 200 buyers race for 10 seats in overlapping sets (real HTTP)", async (t, env) => {
  const sale = await createSeatedSale(env, { rows: 2, cols: 5, limit: 4 });
  const buyers = await env.users(200);
  const server = listen(env);
  const rnd = random(42);
  const sets = buyers.map(() => {
    const n = 2 + Math.floor(rnd() * 3);
    const pick = new Set<number>();
    while (pick.size < n) pick.add(sale.seatIds[Math.floor(rnd() * 10)]);
    return [...pick];
  });
  try {
    let winners: number[] = [];
    await t.step("holds: every buyer gets all of its set or none; no seat held twice", async () => {
      const results = await Promise.all(
        buyers.map((b, i) =>
          http<{ seatIds: number[] }>(server.url, "POST", "/api/seat/lock", {
            token: b.token,
            body: { sessionId: sale.sessionId, seatIds: sets[i] },
          })
        ),
      );
      const held = new Map<number, number>();
      results.forEach((r, i) => {
        if (r.status === 200) {
          winners.push(i);
          assert.deepEqual(r.body.data.seatIds, sets[i]);
          for (const s of sets[i]) {
            assert.ok(!held.has(s), `seat ${s} held by buyers ${held.get(s)} and ${i}`);
            held.set(s, i);
          }
        } else {
          assert.equal(r.status, 409, JSON.stringify(r.body));
          assert.equal(r.body.error, "SEAT_UNAVAILABLE");
        }
      });
      assert.ok(winners.length >= 1);
      // Redis agrees: each held seat's holder is the winner we computed, no other seat is held.
      const view = await layout(env, sale);
      for (const seat of view.seats) {
        assert.equal(seat.lockStatus, held.has(seat.id) ? 1 : 0, seat.seatCode);
      }
      for (const i of winners) {
        const mine = await layout(env, sale, buyers[i].token);
        for (const seat of mine.seats) {
          assert.equal(seat.lockedByCurrentUser, held.get(seat.id) === i, seat.seatCode);
        }
      }
      console.log(
        `seat race: ${buyers.length} buyers, ${winners.length} won their set, ${held.size}/10 seats held`,
      );
    });

    await t.step("the winners' seated orders, all at once, never share a seat", async () => {
      // Losers also try to order their sets at the same time: free seats could be taken, held ones not.
      const results = await Promise.all(
        buyers.map((b, i) =>
          http<string>(server.url, "POST", "/api/order/create", {
            token: b.token,
            body: { sessionId: sale.sessionId, seatIds: sets[i] },
          }).then((r) => ({ i, ...r }))
        ),
      );
      for (const i of winners) {
        assert.equal(results[i].status, 200, JSON.stringify(results[i].body));
      }
      for (const r of results.filter((r) => r.status !== 200)) {
        assert.equal(r.status, 409, JSON.stringify(r.body));
      }
      const owners = await env.ctx.db.rows<{ seat_id: number; n: number }>(
        `SELECT i.seat_id, COUNT(*) AS n FROM order_items i JOIN orders o ON o.id = i.order_id
          WHERE o.session_id = ? AND o.status IN (0, 1) GROUP BY i.seat_id`,
        [sale.sessionId],
      );
      for (const o of owners) assert.equal(Number(o.n), 1, `seat ${o.seat_id}`);
      winners = results.filter((r) => r.status === 200).map((r) => r.i);
      const stock = await stockOf(env, sale);
      assert.equal(stock.mysql.locked, owners.length);
      assert.deepEqual(stock.redis, stock.mysql);
      await assertAuditOk(env, sale);
    });

    await t.step("after cancelling, those seats are free again", async () => {
      const orders = await env.ctx.db.rows<{ order_no: string; user_id: number }>(
        "SELECT order_no, user_id FROM orders WHERE session_id = ? AND status = 0",
        [sale.sessionId],
      );
      const token = new Map(buyers.map((b) => [b.id, b.token]));
      for (const o of orders) {
        const r = await http(server.url, "PUT", `/api/order/cancel/${o.order_no}`, {
          token: token.get(o.user_id),
        });
        assert.equal(r.status, 200);
      }
      const view = await layout(env, sale);
      assert.equal(view.availableSeats, 10);
      assert.ok(view.seats.every((s) => s.status === 1 && s.lockStatus === 0));
      const [{ n }] = await env.ctx.db.rows<{ n: number }>("SELECT COUNT(*) AS n FROM seat_claims");
      assert.equal(Number(n), 0);
      await assertAuditOk(env, sale);
    });
  } finally {
    await server.close();
  }
});

suite("seats: holds, seated orders, layout, bad input", async (t, env) => {
  const sale = await createSeatedSale(env, { rows: 3, cols: 4, limit: 4, price: 120 });
  const other = await createSeatedSale(env, { rows: 1, cols: 2 });
  const [alice, bob] = await env.users(2);
  const [s1, s2, s3, s4, s5, s6] = sale.seatIds;
  const hold = (token: string, seatIds: unknown, sessionId: unknown = sale.sessionId) =>
    env.call<{ seatIds: number[]; expireTime: string }>("POST", "/api/seat/lock", {
      token,
      body: { sessionId, seatIds },
    });

  await t.step("areas list live counts; the tier's stock is the seat count", async () => {
    const res = await env.call<Record<string, unknown>[]>(
      "GET",
      `/api/seat/areas?showId=${sale.showId}&showType=1`,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.length, 1);
    assert.equal(res.body.data[0].totalSeats, 12);
    assert.equal(res.body.data[0].availableSeats, 12);
    assert.equal(res.body.data[0].floorLevel, 1);
    assert.deepEqual((await stockOf(env, sale)).mysql, { total: 12, locked: 0, sold: 0 });
  });

  await t.step("hold, extend, layout for the holder and for others, release only own", async () => {
    const first = await hold(alice.token, [s1, s2]);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const again = await hold(alice.token, [s1, s2]);
    assert.equal(again.status, 200);
    assert.ok(again.body.data.expireTime >= first.body.data.expireTime);
    const single = await env.call(
      "POST",
      `/api/seat/lock/single?seatId=${s3}&sessionId=${sale.sessionId}`,
      {
        token: alice.token,
      },
    );
    assert.equal(single.status, 200);
    const mine = await layout(env, sale, alice.token);
    const theirs = await layout(env, sale, bob.token);
    for (const id of [s1, s2, s3]) {
      const m = mine.seats.find((s) => s.id === id)!;
      const o = theirs.seats.find((s) => s.id === id)!;
      assert.equal(m.lockedByCurrentUser, true);
      assert.equal(o.lockedByCurrentUser, false);
      assert.equal(m.status, 2);
      assert.equal(m.lockStatus, 1);
      assert.ok(m.lockExpireTime);
    }
    assert.equal(mine.availableSeats, 9);
    // Bob's release of Alice's seats changes nothing.
    const bobRelease = await env.call("POST", "/api/seat/release", {
      token: bob.token,
      body: { sessionId: sale.sessionId, seatIds: [s1, s2] },
    });
    assert.equal(bobRelease.status, 200);
    assert.equal((await layout(env, sale)).availableSeats, 9);
    const release = await env.call(
      "POST",
      `/api/seat/release/single?seatId=${s3}&sessionId=${sale.sessionId}`,
      {
        token: alice.token,
      },
    );
    assert.equal(release.status, 200);
    const unlock = await env.call("PUT", "/api/seat/unlock", {
      token: alice.token,
      body: { seatIds: [s2] },
    });
    assert.equal(unlock.status, 200);
    assert.equal((await layout(env, sale)).availableSeats, 11);
  });

  await t.step("bad input: 400/404/409 naming the seats, nothing changes", async () => {
    const held = await hold(bob.token, [s6]);
    assert.equal(held.status, 200);
    const disable = await env.call("PUT", "/api/seat/status", {
      token: sale.adminToken,
      body: { seatIds: [s5], status: 0 },
    });
    assert.equal(disable.status, 200, JSON.stringify(disable.body));
    assert.deepEqual((await stockOf(env, sale)).mysql, { total: 11, locked: 0, sold: 0 });
    const before = await layout(env, sale);
    const cases: [string, unknown, number, string][] = [
      ["empty", [], 400, "seatIds"],
      ["more than 10", Array.from({ length: 11 }, (_, i) => i + 1), 400, "seatIds"],
      ["duplicated", [s3, s3], 400, "twice"],
      ["unknown", [s3, 999999], 404, "999999"],
      ["of another session", [other.seatIds[0]], 400, "session"],
      ["disabled", [s4, s5], 409, String(s5)],
      ["held by someone else", [s4, s6], 409, String(s6)],
      ["not numbers", ["x"], 400, "seatIds"],
    ];
    for (const [name, seatIds, status, mention] of cases) {
      for (const path of ["/api/seat/lock", "/api/order/create"]) {
        const res = await env.call(path === "/api/seat/lock" ? "POST" : "POST", path, {
          token: alice.token,
          body: { sessionId: sale.sessionId, seatIds },
        });
        assert.equal(res.status, status, `${path} ${name}: ${JSON.stringify(res.body)}`);
        assert.ok(res.body.message.includes(mention), `${path} ${name}: ${res.body.message}`);
      }
    }
    const after = await layout(env, sale);
    assert.deepEqual(after, before);
    assert.deepEqual((await stockOf(env, sale)).mysql, { total: 11, locked: 0, sold: 0 });
    const [{ n }] = await env.ctx.db.rows<{ n: number }>("SELECT COUNT(*) AS n FROM orders");
    assert.equal(Number(n), 0);
  });

  await t.step(
    "seated order: free + own held seats; priced per seat; in an order → 409; sold shows sold",
    async () => {
      await hold(alice.token, [s1]);
      const created = await env.call<string>("POST", "/api/order/create", {
        token: alice.token,
        body: { seatIds: [s1, s2], totalPrice: 1 },
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const detail = await env.call<Record<string, unknown> & { items: { seatId: number }[] }>(
        "GET",
        `/api/order/${created.body.data}`,
        { token: alice.token },
      );
      assert.equal(detail.body.data.totalAmount, 240);
      assert.equal(detail.body.data.quantity, 2);
      assert.deepEqual(detail.body.data.items.map((i) => i.seatId), [s1, s2]);
      assert.equal(detail.body.data.seatId, s1);
      for (const path of ["/api/seat/lock", "/api/order/create"]) {
        const res = await env.call("POST", path, { token: bob.token, body: { seatIds: [s2, s3] } });
        assert.equal(res.status, 409, path);
        assert.ok(res.body.message.includes(String(s2)), res.body.message);
      }
      const pay = await env.call("POST", `/api/order/pay/${created.body.data}`, {
        token: alice.token,
      });
      assert.equal(pay.status, 200);
      const view = await layout(env, sale, bob.token);
      assert.equal(view.seats.find((s) => s.id === s1)!.status, 3);
      assert.equal(view.seats.find((s) => s.id === s5)!.status, 0);
      // One seatId with a larger quantity (the reference client) means that one seat.
      const single = await env.call<string>("POST", "/api/order/create", {
        token: bob.token,
        body: { seatId: s3, quantity: 5 },
      });
      assert.equal(single.status, 200, JSON.stringify(single.body));
      const wrongTier = await env.call("POST", "/api/order/create", {
        token: bob.token,
        body: { seatIds: [s4], ticketId: other.ticketId },
      });
      assert.equal(wrongTier.status, 400);
      await assertAuditOk(env, sale);
    },
  );

  await t.step(
    "Redis flushed: a paid seat is still refused, and shown sold after recovery",
    async () => {
      await env.ctx.redis.deleteByPrefix(env.config.redisPrefix);
      const res = await env.call("POST", "/api/order/create", {
        token: bob.token,
        body: { seatIds: [s1] },
      });
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.equal(res.body.error, "SEAT_UNAVAILABLE");
      const view = await layout(env, sale);
      assert.equal(view.seats.find((s) => s.id === s1)!.status, 3);
      assert.equal(view.seats.find((s) => s.id === s3)!.status, 2);
      assert.equal(view.seats.find((s) => s.id === s5)!.status, 0);
    },
  );

  await t.step(
    "Redis wrong (a sold seat's mark deleted): MySQL still refuses the seat",
    async () => {
      const claims = env.ctx.keys.claims(sale.sessionId);
      assert.equal(await env.ctx.redis.send(["HDEL", claims, String(s1)], claims), 1);
      const res = await env.call("POST", "/api/order/create", {
        token: bob.token,
        body: { seatIds: [s1] },
      });
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.equal(res.body.error, "SEAT_UNAVAILABLE");
      const [{ n }] = await env.ctx.db.rows<{ n: number }>(
        "SELECT COUNT(*) AS n FROM seat_claims WHERE slot = ?",
        [String(s1)],
      );
      assert.equal(Number(n), 1);
      // The admin's verify finds the difference and repairs it from MySQL.
      const verify = await env.call<{ repaired: boolean; seats: { consistent: boolean }[] }>(
        "POST",
        `/api/seat-consistency/verify/${s1}`,
        { token: sale.adminToken },
      );
      assert.equal(verify.status, 200, JSON.stringify(verify.body));
      assert.equal(verify.body.data.repaired, true);
      assert.equal(verify.body.data.seats[0].consistent, true);
      const status = await env.call<{ consistent: boolean; mysql: { orderStatus: number } }>(
        "GET",
        `/api/seat-consistency/status/${s1}`,
        { token: sale.adminToken },
      );
      assert.equal(status.body.data.consistent, true);
      assert.equal(status.body.data.mysql.orderStatus, 1);
      const buyerTry = await env.call("GET", `/api/seat-consistency/status/${s1}`, {
        token: bob.token,
      });
      assert.equal(buyerTry.status, 403);
      await assertAuditOk(env, sale);
    },
  );

  await t.step(
    "a hold of seats of an area this process has loaded runs no seat query; an unknown seat does",
    async () => {
      const fresh = await createSeatedSale(env, { rows: 1, cols: 3 });
      const first = await hold(bob.token, [fresh.seatIds[0]], fresh.sessionId);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      // A spy on the real read path (it still runs every statement), not a stand-in for it.
      const read = env.ctx.db.read;
      const rows = read.rows;
      const seatQueries: string[] = [];
      read.rows = <T>(sql: string, params?: SqlValue[]) => {
        if (/FROM seats WHERE id IN/.test(sql)) seatQueries.push(sql);
        return rows.call(read, sql, params) as Promise<T[]>;
      };
      try {
        const second = await hold(bob.token, [fresh.seatIds[1], fresh.seatIds[2]], fresh.sessionId);
        assert.equal(second.status, 200, JSON.stringify(second.body));
        assert.deepEqual(seatQueries, []);
        const unknown = await hold(bob.token, [fresh.seatIds[2] + 1_000_000], fresh.sessionId);
        assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
        assert.equal(seatQueries.length, 1);
      } finally {
        read.rows = rows;
      }
    },
  );
});

suite("seats: a hold lapses by itself", async (t, env) => {
  const sale = await createSeatedSale(env, { rows: 1, cols: 3 });
  const [alice, bob] = await env.users(2);
  const seat = sale.seatIds[0];
  await t.step(
    "expired hold → free for the next buyer, whose hold then blocks the first",
    async () => {
      const held = await env.call("POST", "/api/seat/lock", {
        token: alice.token,
        body: { seatIds: [seat] },
      });
      assert.equal(held.status, 200);
      const bobEarly = await env.call("POST", "/api/seat/lock", {
        token: bob.token,
        body: { seatIds: [seat] },
      });
      assert.equal(bobEarly.status, 409);
      const key = env.ctx.keys.hold(sale.sessionId, String(seat));
      await eventually(async () => Number(await env.ctx.redis.send(["EXISTS", key], key)) === 0);
      const view = await env.call<Layout>("GET", `/api/seat/layout/${sale.areaId}`);
      assert.equal(view.body.data.seats[0].status, 1);
      const bobHold = await env.call("POST", "/api/seat/lock", {
        token: bob.token,
        body: { seatIds: [seat] },
      });
      assert.equal(bobHold.status, 200);
      const aliceOrder = await env.call("POST", "/api/order/create", {
        token: alice.token,
        body: { seatIds: [seat] },
      });
      assert.equal(aliceOrder.status, 409);
      assert.equal(aliceOrder.body.error, "SEAT_UNAVAILABLE");
    },
  );
}, { SEAT_HOLD_SECONDS: "1" });

suite("seats: one buyer cannot hold a whole venue, 10 seats at a time", async (t, env) => {
  const sale = await createSeatedSale(env, { rows: 3, cols: 10, limit: 4 });
  const [hoarder, other] = await env.users(2);
  const lock = (token: string, seatIds: number[]) =>
    env.call("POST", "/api/seat/lock", { token, body: { seatIds } });
  const first = sale.seatIds.slice(0, 10);
  await t.step(
    "10 held; an 11th is 409 LIMIT_EXCEEDED and holds nothing; extending is free",
    async () => {
      assert.equal((await lock(hoarder.token, first)).status, 200);
      const more = await lock(hoarder.token, [sale.seatIds[10]]);
      assert.equal(more.status, 409, JSON.stringify(more.body));
      assert.equal(more.body.error, "LIMIT_EXCEEDED");
      const view = await layout(env, sale, other.token);
      assert.equal(view.seats.find((s) => s.id === sale.seatIds[10])!.lockStatus, 0);
      assert.equal(
        (await lock(hoarder.token, first.slice(0, 4))).status,
        200,
        "re-holding extends",
      );
      assert.equal(
        (await lock(other.token, [sale.seatIds[10]])).status,
        200,
        "others are not capped by it",
      );
    },
  );
  await t.step("released or ordered seats leave the count", async () => {
    const release = await env.call("POST", "/api/seat/release", {
      token: hoarder.token,
      body: { seatIds: first.slice(0, 2) },
    });
    assert.equal(release.status, 200);
    assert.equal((await lock(hoarder.token, sale.seatIds.slice(11, 13))).status, 200);
    const order = await env.call("POST", "/api/order/create", {
      token: hoarder.token,
      body: { seatIds: first.slice(2, 6) },
    });
    assert.equal(order.status, 200, JSON.stringify(order.body));
    assert.equal((await lock(hoarder.token, sale.seatIds.slice(13, 17))).status, 200);
    assert.equal((await lock(hoarder.token, [sale.seatIds[17]])).status, 409);
    await assertAuditOk(env, sale);
  });
});
