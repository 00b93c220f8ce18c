// Issue 16, the sale's findings: order numbers unique across instances and a collision that
// hurts nobody (6), a refused statement that is not an outage (5), no sold records and session
// keys that expire (8), keys of one slot and one clock (12), the hourly per-buyer cap (3).
import assert from "node:assert/strict";
import { orderNumbers, takeInstanceNumber } from "#lib/orders/order_numbers.ts";
import { releaseReservation, reserveStock } from "#lib/sale/stock_gate.ts";
import { suite } from "./support/env.ts";
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
