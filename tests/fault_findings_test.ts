/**
 * Regression tests for what the fault drills (tests/faults/) found, one per finding, each small
 * enough to run in the normal suite against the run's stores.
 */
import assert from "node:assert/strict";
import { audit } from "#lib/ops/audit.ts";
import { reconcile } from "#lib/ops/reconcile.ts";
import { rebuildSession } from "#lib/sale/session_rebuild.ts";
import { reserveStock } from "#lib/sale/stock_gate.ts";
import { suite } from "./support/env.ts";
import { createSale, stockOf } from "./support/sale.ts";

/** An order number that never reaches MySQL (the process died after reserving it). */
const DEAD_ORDER = "20300101000000000000001";

suite(
  "finding: reconcile releases a general-admission reservation whose order never came",
  async (_t, env) => {
    const sale = await createSale(env, { stock: 10 });
    const [buyer] = await env.users(1);
    const ok = await env.call("POST", "/api/order/create", {
      token: buyer.token,
      body: { ticketId: sale.ticketId, quantity: 1 },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    // What a crash between the Redis reserve and the MySQL commit leaves behind.
    await reserveStock(env.ctx, {
      orderNo: DEAD_ORDER,
      userId: buyer.id,
      sessionId: sale.sessionId,
      ticketId: sale.ticketId,
      quantity: 2,
      limit: 4,
      slots: [],
      dedupTtlMs: 0,
    });
    assert.deepEqual((await stockOf(env, sale)).redis, { total: 10, locked: 3, sold: 0 });
    const realNow = env.ctx.now;
    env.ctx.now = () => Date.now() + (env.config.reconcileGraceSeconds + 1) * 1000;
    try {
      // It used to throw "object is not iterable": cjson stores the empty slot list as {}.
      const report = await reconcile(env.ctx, { repair: true });
      assert.deepEqual(report.repaired?.released, [DEAD_ORDER]);
      assert.deepEqual(report.repaired?.remaining, []);
    } finally {
      env.ctx.now = realNow;
    }
    const stock = await stockOf(env, sale);
    assert.deepEqual(stock.redis, { total: 10, locked: 1, sold: 0 });
    assert.deepEqual(stock.mysql, stock.redis);
    const report = await audit(env.ctx, { graceMs: 0 });
    assert.ok(report.ok, JSON.stringify(report.violations));
  },
);

suite(
  "finding: an Idempotency-Key whose first request died before MySQL is not stuck forever",
  async (t, env) => {
    const sale = await createSale(env, { stock: 10 });
    const [buyer] = await env.users(1);
    const key = "retry-after-crash";
    // The first request reserved (setting the key) and died before its MySQL commit.
    await reserveStock(env.ctx, {
      orderNo: DEAD_ORDER,
      userId: buyer.id,
      sessionId: sale.sessionId,
      ticketId: sale.ticketId,
      quantity: 1,
      limit: 4,
      slots: [],
      dedupKey: `k:${key}`,
      dedupTtlMs: 24 * 3600_000,
    });
    const create = () =>
      env.call<string>("POST", "/api/order/create", {
        token: buyer.token,
        body: { ticketId: sale.ticketId, quantity: 1 },
        headers: { "idempotency-key": key },
      });

    await t.step("while its reservation stands, a retry is told to come back", async () => {
      const waiting = await create();
      assert.equal(waiting.status, 409, JSON.stringify(waiting.body));
      assert.equal(waiting.body.error, "CONFLICT");
      assert.equal(waiting.headers.get("retry-after"), "1");
    });

    await t.step("once reconcile released it, the retry creates the order", async () => {
      const realNow = env.ctx.now;
      env.ctx.now = () => Date.now() + (env.config.reconcileGraceSeconds + 1) * 1000;
      try {
        const report = await reconcile(env.ctx, { repair: true });
        assert.deepEqual(report.repaired?.released, [DEAD_ORDER]);
      } finally {
        env.ctx.now = realNow;
      }
      // It used to answer 409 "still being processed" for the key's whole 24 hours.
      const retry = await create();
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.notEqual(retry.body.data, DEAD_ORDER);
      const again = await create();
      assert.equal(again.body.data, retry.body.data, "the key now names the new order");
      const stock = await stockOf(env, sale);
      assert.deepEqual(stock.mysql, { total: 10, locked: 1, sold: 0 });
      assert.deepEqual(stock.redis, stock.mysql);
    });
  },
);

suite(
  "finding: an order committed after a Redis wipe and rebuild keeps its reservation",
  async (_t, env) => {
    const sale = await createSale(env, { stock: 10, limit: 4 });
    const [buyer] = await env.users(1);
    // Redis restarts empty between this create's reserve and its MySQL commit, and another
    // request rebuilds the session from MySQL (which has no such order yet) in that moment.
    // The hook: the first transaction (the create's own, however the Db runs it) starts late.
    type Fn = (...args: unknown[]) => Promise<unknown>;
    const db = env.ctx.db as unknown as Record<string, Fn>;
    const originals = new Map(
      ["tx", "atomic"].filter((m) => typeof db[m] === "function").map((m) => [m, db[m]]),
    );
    let wiped = false;
    for (const [m, real] of originals) {
      db[m] = async (...args) => {
        if (!wiped) {
          wiped = true;
          await env.ctx.redis.deleteByPrefix(env.config.redisPrefix);
          await rebuildSession(env.ctx, sale.sessionId);
        }
        return await real.apply(env.ctx.db, args);
      };
    }
    let first;
    try {
      first = await env.call<string>("POST", "/api/order/create", {
        token: buyer.token,
        body: { ticketId: sale.ticketId, quantity: 3 },
      });
    } finally {
      for (const [m, real] of originals) db[m] = real;
    }
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.ok(wiped);
    // It used to be missing from Redis: locked 0 there, 3 in MySQL, and the buyer's count lost.
    const stock = await stockOf(env, sale);
    assert.deepEqual(stock.mysql, { total: 10, locked: 3, sold: 0 });
    assert.deepEqual(stock.redis, stock.mysql);
    const more = await env.call("POST", "/api/order/create", {
      token: buyer.token,
      body: { ticketId: sale.ticketId, quantity: 2 },
    });
    assert.equal(more.status, 409, "3 + 2 is over the limit of 4");
    assert.equal(more.body.error, "LIMIT_EXCEEDED");
    // A cancelled order's reservation is released, not adopted back.
    const cancel = await env.call("PUT", `/api/order/cancel/${first.body.data}`, {
      token: buyer.token,
    });
    assert.equal(cancel.status, 200);
    const after = await stockOf(env, sale);
    assert.deepEqual(after.redis, { total: 10, locked: 0, sold: 0 });
    const report = await audit(env.ctx, { graceMs: 0 });
    assert.ok(report.ok, JSON.stringify(report.violations));
  },
);
