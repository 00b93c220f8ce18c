import assert from "node:assert/strict";
import { createApp } from "#http/app.ts";
import { audit } from "#lib/ops/audit.ts";
import { closeContext, createContext } from "#lib/boot.ts";
import { freePort, startRedis } from "#dev/local_stores.ts";
import { createLogger } from "#lib/platform/log.ts";
import { expireOrder } from "#lib/orders/lifecycle.ts";
import { suite, type TestEnv } from "./support/env.ts";
import { type Family, parsePrometheusText, value } from "./support/prom_text.ts";
import { createSale, http, listen, type Sale, stockOf } from "./support/sale.ts";

async function scrape(url: string) {
  return parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
}

type Order = Record<string, unknown> & { orderNo: string; status: number; items: unknown[] };

async function assertAuditOk(env: TestEnv, sale: Sale, graceMs = 0) {
  const report = await audit(env.ctx, { sessionIds: [sale.sessionId], graceMs });
  assert.ok(report.ok, JSON.stringify(report.violations, null, 2));
}

suite("orders: create, read, pay, cancel (general admission)", async (t, env) => {
  const sale = await createSale(env, { stock: 10, limit: 4, price: 380 });
  const [alice, bob] = await env.users(2);
  const create = (token: string, body: Record<string, unknown>, headers = {}) =>
    env.call<string>("POST", "/api/order/create", { token, body, headers });

  let orderNo = "";
  await t.step("create prices on the server and ignores client prices and userId", async () => {
    const res = await create(alice.token, {
      showId: sale.showId,
      sessionId: sale.sessionId,
      ticketId: sale.ticketId,
      quantity: 2,
      totalPrice: 0.01,
      userId: bob.id,
      contactPhone: "13800138000",
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    orderNo = res.body.data;
    assert.match(orderNo, /^\d{23}$/);
    const detail = await env.call<Order>("GET", `/api/order/${orderNo}`, { token: alice.token });
    assert.equal(detail.status, 200);
    const o = detail.body.data;
    assert.equal(o.userId, alice.id);
    assert.equal(o.totalAmount, 760);
    assert.equal(o.payAmount, 760);
    assert.equal(o.quantity, 2);
    assert.equal(o.status, 0);
    assert.equal(o.ticketId, sale.ticketId);
    assert.equal(o.venue, "Arena");
    assert.equal(o.items.length, 1);
    assert.match(String(o.expireTime), /^\d{4}-\d\d-\d\dT/);
    const stock = await stockOf(env, sale);
    assert.deepEqual(stock.mysql, { total: 10, locked: 2, sold: 0 });
    assert.deepEqual(stock.redis, { total: 10, locked: 2, sold: 0 });
  });

  await t.step(
    "all three detail paths answer; another buyer's order is 404 everywhere",
    async () => {
      const [{ id }] = await env.ctx.db.rows<{ id: number }>(
        "SELECT id FROM orders WHERE order_no = ?",
        [orderNo],
      );
      for (
        const path of [
          `/api/order/${id}`,
          `/api/order/detail/${id}`,
          `/api/order/detail/by-order-no/${orderNo}`,
        ]
      ) {
        const mine = await env.call<Order>("GET", path, { token: alice.token });
        assert.equal(mine.status, 200, path);
        assert.equal(mine.body.data.orderNo, orderNo);
        const theirs = await env.call("GET", path, { token: bob.token });
        assert.equal(theirs.status, 404, path);
        assert.equal(theirs.body.error, "NOT_FOUND");
      }
      for (
        const [method, path] of [
          ["POST", `/api/order/pay?orderNo=${orderNo}&payType=1`],
          ["POST", `/api/order/pay/${orderNo}`],
          ["POST", `/api/order/cancel?orderNo=${orderNo}`],
          ["PUT", `/api/order/cancel/${orderNo}`],
        ]
      ) {
        const res = await env.call(method, path, { token: bob.token });
        assert.equal(res.status, 404, `${method} ${path}`);
      }
      const list = await env.call<{ total: number }>("GET", `/api/order/list?userId=${alice.id}`, {
        token: bob.token,
      });
      assert.equal(list.body.data.total, 0);
      const own = await env.call<{ total: number; records: Order[] }>(
        "GET",
        "/api/order/user/page",
        {
          token: alice.token,
        },
      );
      assert.equal(own.body.data.total, 1);
      assert.equal(own.body.data.records[0].orderNo, orderNo);
      const paid = await env.call<{ total: number }>("GET", "/api/order/list?status=1", {
        token: alice.token,
      });
      assert.equal(paid.body.data.total, 0);
    },
  );

  await t.step("pay (query form), pay again → true, stock moves locked → sold", async () => {
    const first = await env.call("POST", `/api/order/pay?orderNo=${orderNo}&payType=2`, {
      token: alice.token,
    });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.data, true);
    const again = await env.call("POST", `/api/order/pay/${orderNo}`, { token: alice.token });
    assert.equal(again.body.data, true);
    const stock = await stockOf(env, sale);
    assert.deepEqual(stock.mysql, { total: 10, locked: 0, sold: 2 });
    assert.deepEqual(stock.redis, { total: 10, locked: 0, sold: 2 });
    const o = await env.call<Order>("GET", `/api/order/${orderNo}`, { token: alice.token });
    assert.equal(o.body.data.status, 1);
    assert.equal(o.body.data.payType, 2);
    const cancel = await env.call("PUT", `/api/order/cancel/${orderNo}`, { token: alice.token });
    assert.equal(cancel.status, 409);
    assert.equal(cancel.body.error, "ORDER_STATE");
  });

  await t.step(
    "pay with a JSON body (orderId + paymentMethod), cancel, pay a cancelled → 409",
    async () => {
      const res = await create(alice.token, { ticketId: sale.ticketId, quantity: 1 });
      const no = res.body.data;
      const cancel = await env.call("POST", `/api/order/cancel?orderNo=${no}`, {
        token: alice.token,
      });
      assert.equal(cancel.body.data, true);
      const twice = await env.call("PUT", `/api/order/cancel/${no}`, { token: alice.token });
      assert.equal(twice.body.data, true);
      const pay = await env.call("POST", "/api/order/pay", {
        token: alice.token,
        body: { orderId: no, paymentMethod: "WECHAT", amount: 0.01 },
      });
      assert.equal(pay.status, 409);
      assert.equal(pay.body.error, "ORDER_STATE");
      const stock = await stockOf(env, sale);
      assert.deepEqual(stock.mysql, { total: 10, locked: 0, sold: 2 });
      assert.deepEqual(stock.redis, { total: 10, locked: 0, sold: 2 });
    },
  );

  await t.step(
    "paying an order past expire_at → 409 ORDER_EXPIRED, and its stock comes back",
    async () => {
      const res = await create(bob.token, { ticketId: sale.ticketId, quantity: 3 });
      const no = res.body.data;
      const realNow = env.ctx.now;
      env.ctx.now = () => Date.now() + (env.config.orderPaySeconds + 1) * 1000;
      try {
        const pay = await env.call("POST", `/api/order/pay/${no}`, {
          token: bob.token,
          body: { payType: 3 },
        });
        assert.equal(pay.status, 409);
        assert.equal(pay.body.error, "ORDER_EXPIRED");
      } finally {
        env.ctx.now = realNow;
      }
      env.ctx.now = () => Date.now() + (env.config.orderPaySeconds + 1) * 1000;
      try {
        assert.equal(await expireOrder(env.ctx, no), true);
        assert.equal(await expireOrder(env.ctx, no), false);
      } finally {
        env.ctx.now = realNow;
      }
      const o = await env.call<Order>("GET", `/api/order/${no}`, { token: bob.token });
      assert.equal(o.body.data.status, 3);
      const pay = await env.call("POST", `/api/order/pay/${no}`, { token: bob.token });
      assert.equal(pay.body.error, "ORDER_EXPIRED");
      const stock = await stockOf(env, sale);
      assert.deepEqual(stock.mysql, { total: 10, locked: 0, sold: 2 });
      assert.deepEqual(stock.redis, { total: 10, locked: 0, sold: 2 });
      await assertAuditOk(env, sale);
    },
  );
});

suite("orders: bad input is refused and moves no stock", async (t, env) => {
  const sale = await createSale(env, { stock: 50, limit: 2 });
  const other = await createSale(env, { stock: 5 });
  const closed = await createSale(env, { stock: 5, saleStart: "2029-01-01 00:00:00" });
  const [buyer] = await env.users(1);
  // One paid order, so "stock did not move" also covers sold.
  const first = await env.call<string>("POST", "/api/order/create", {
    token: buyer.token,
    body: { ticketId: sale.ticketId, quantity: 1 },
  });
  assert.equal(first.status, 200);
  const before = await stockOf(env, sale);
  const cases: [string, unknown, number, string][] = [
    ["quantity 0", { ticketId: sale.ticketId, quantity: 0 }, 400, "quantity"],
    ["negative quantity", { ticketId: sale.ticketId, quantity: -1 }, 400, "quantity"],
    ["fractional quantity", { ticketId: sale.ticketId, quantity: 1.5 }, 400, "quantity"],
    ["quantity over the tier limit", { ticketId: sale.ticketId, quantity: 3 }, 400, "quantity"],
    ["quantity over 10^6", { ticketId: sale.ticketId, quantity: 1_000_001 }, 400, "quantity"],
    ["quantity as a string", { ticketId: sale.ticketId, quantity: "2" }, 400, "quantity"],
    ["no quantity", { ticketId: sale.ticketId }, 400, "quantity"],
    ["no ticket", { quantity: 1 }, 400, "ticketId"],
    ["unknown ticket", { ticketId: 999999, quantity: 1 }, 404, "ticket 999999"],
    [
      "ticket of another session",
      { ticketId: sale.ticketId, sessionId: other.sessionId, quantity: 1 },
      400,
      "ticketId",
    ],
    [
      "ticket of another show",
      { ticketId: sale.ticketId, showId: other.showId, quantity: 1 },
      400,
      "ticketId",
    ],
    ["session not on sale yet", { ticketId: closed.ticketId, quantity: 1 }, 409, "on sale"],
    ["ticket id as garbage", { ticketId: "abc", quantity: 1 }, 400, "ticketId"],
    ["body an array", [1, 2], 400, ""],
  ];
  await t.step("each case: 4xx naming the cause", async () => {
    for (const [name, body, status, mention] of cases) {
      const res = await env.call("POST", "/api/order/create", { token: buyer.token, body });
      assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.success, false, name);
      assert.ok(
        res.body.message.includes(mention),
        `${name}: "${res.body.message}" lacks "${mention}"`,
      );
    }
    const noToken = await env.call("POST", "/api/order/create", {
      body: { ticketId: sale.ticketId, quantity: 1 },
    });
    assert.equal(noToken.status, 401);
    const bad = await env.call("POST", "/api/order/create", {
      token: buyer.token,
      rawBody: "{not json",
      headers: { "content-type": "application/json" },
    });
    assert.equal(bad.status, 400);
    const badKey = await env.call("POST", "/api/order/create", {
      token: buyer.token,
      body: { ticketId: sale.ticketId, quantity: 1 },
      headers: { "idempotency-key": "x".repeat(129) },
    });
    assert.equal(badKey.status, 400);
  });

  await t.step("a deleted tier is 404; unknown orders are 404", async () => {
    const del = await env.call("DELETE", `/api/ticket/${other.ticketId}`, {
      token: sale.adminToken,
    });
    assert.equal(del.status, 200);
    const res = await env.call("POST", "/api/order/create", {
      token: buyer.token,
      body: { ticketId: other.ticketId, quantity: 1 },
    });
    assert.equal(res.status, 404);
    // "ORD1" could be an order number imported from the reference system: 404, not 400.
    for (const ref of ["99999999999999999999999", "424242", "ORD1", "-1", "a.b"]) {
      const r = await env.call("GET", `/api/order/${ref}`, { token: buyer.token });
      assert.equal(r.status, ref === "a.b" || ref === "-1" ? 400 : 404, ref);
      const p = await env.call("POST", `/api/order/pay?orderNo=${ref}&payType=1`, {
        token: buyer.token,
      });
      assert.ok(p.status === 400 || p.status === 404, `${ref}: ${p.status}`);
    }
    const badPay = await env.call("POST", `/api/order/pay?orderNo=${first.body.data}&payType=9`, {
      token: buyer.token,
    });
    assert.equal(badPay.status, 400);
  });

  await t.step("stock did not move", async () => {
    assert.deepEqual(await stockOf(env, sale), before);
    const [{ n }] = await env.ctx.db.rows<{ n: number }>("SELECT COUNT(*) AS n FROM orders");
    assert.equal(Number(n), 1);
    await assertAuditOk(env, sale);
  });
});

suite("orders: flash sale over real HTTP — 1,000 buyers, stock 100, limit 2", async (t, env) => {
  const sale = await createSale(env, { stock: 100, limit: 2 });
  const buyers = await env.users(1000);
  const server = listen(env);
  try {
    let summary: Record<string, unknown> = {};
    await t.step("every buyer fires two creates at once; exactly the stock is sold", async () => {
      const before = await scrape(server.url);
      const started = performance.now();
      const requests = buyers.flatMap((b, i) =>
        [0, 1].map((k) =>
          http<string>(server.url, "POST", "/api/order/create", {
            token: b.token,
            body: { ticketId: sale.ticketId, quantity: 1 + ((i + k) % 2) },
            headers: { "idempotency-key": `${b.id}-${k}` },
          }).then((r) => ({ buyer: b.id, ...r }))
        )
      );
      const results = await Promise.all(requests);
      const ms = performance.now() - started;
      const byStatus: Record<string, number> = {};
      for (const r of results) {
        const key = r.status === 200 ? "200" : `${r.status} ${r.body.error}`;
        byStatus[key] = (byStatus[key] ?? 0) + 1;
      }
      summary = { requests: results.length, ms: Math.round(ms), byStatus };
      console.log(`flash sale: ${JSON.stringify(summary)}`);
      for (const r of results) {
        if (r.status !== 200) {
          assert.equal(r.status, 409, JSON.stringify(r.body));
          assert.ok(
            r.body.error === "SOLD_OUT" || r.body.error === "LIMIT_EXCEEDED",
            String(r.body.error),
          );
        }
      }
      const stock = await stockOf(env, sale);
      assert.deepEqual(stock.mysql, { total: 100, locked: 100, sold: 0 });
      assert.deepEqual(stock.redis, { total: 100, locked: 100, sold: 0 });
      const ok = results.filter((r) => r.status === 200);
      const [{ n, q }] = await env.ctx.db.rows<{ n: number; q: number }>(
        "SELECT COUNT(*) AS n, CAST(SUM(quantity) AS SIGNED) AS q FROM orders WHERE ticket_id = ?",
        [sale.ticketId],
      );
      assert.equal(Number(n), ok.length, "every 2xx create has its order row, and only those");
      assert.equal(Number(q), 100);
      // /metrics counted the same: orders created = 2xx creates, sold-out rejections too.
      const after = await scrape(server.url);
      const created = (m: Map<string, Family>) =>
        value(m, "boxoffice_orders_total", { event: "created" }) ?? 0;
      const soldOut = (m: Map<string, Family>) =>
        value(m, "boxoffice_sold_out_rejections_total") ?? 0;
      assert.equal(created(after) - created(before), ok.length);
      assert.equal(
        soldOut(after) - soldOut(before),
        results.filter((r) => r.body.error === "SOLD_OUT").length,
      );
    });

    await t.step("pay some, cancel some: invariants 1, 2, 4, 6, 7 hold", async () => {
      const orders = await env.ctx.db.rows<{ order_no: string; user_id: number }>(
        "SELECT order_no, user_id FROM orders WHERE ticket_id = ? ORDER BY id",
        [sale.ticketId],
      );
      const token = new Map(buyers.map((b) => [b.id, b.token]));
      await Promise.all(
        orders.map((o, i) =>
          i % 3 === 0
            ? http(server.url, "POST", `/api/order/pay/${o.order_no}`, {
              token: token.get(o.user_id),
            })
            : i % 3 === 1
            ? http(server.url, "PUT", `/api/order/cancel/${o.order_no}`, {
              token: token.get(o.user_id),
            })
            : Promise.resolve({ status: 200 })
        ).map((p) => p.then((r) => assert.equal(r.status, 200))),
      );
      const stock = await stockOf(env, sale);
      assert.deepEqual(stock.redis, stock.mysql);
      assert.equal(stock.mysql.total - stock.mysql.locked - stock.mysql.sold > 0, true);
      await assertAuditOk(env, sale);
    });
  } finally {
    await server.close();
  }
});

suite("orders: no spurious failures, per-buyer limit, idempotency", async (t, env) => {
  await t.step("60 buyers, stock 100: all 60 succeed", async () => {
    const sale = await createSale(env, { stock: 100, limit: 1 });
    const buyers = await env.users(60);
    const results = await Promise.all(
      buyers.map((b) =>
        env.call("POST", "/api/order/create", {
          token: b.token,
          body: { ticketId: sale.ticketId, quantity: 1 },
        })
      ),
    );
    assert.deepEqual(results.map((r) => r.status), buyers.map(() => 200));
    assert.deepEqual((await stockOf(env, sale)).mysql, { total: 100, locked: 60, sold: 0 });
  });

  await t.step(
    "one buyer, 20 concurrent creates (distinct keys), limit 2 → at most 2 tickets",
    async () => {
      const sale = await createSale(env, { stock: 100, limit: 2 });
      const [b] = await env.users(1);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          env.call("POST", "/api/order/create", {
            token: b.token,
            body: { ticketId: sale.ticketId, quantity: 1 },
            headers: { "idempotency-key": `k${i}` },
          })),
      );
      assert.equal(
        results.filter((r) => r.status === 200).length,
        2,
      );
      for (const r of results.filter((r) => r.status !== 200)) {
        assert.equal(r.body.error, "LIMIT_EXCEEDED");
      }
      assert.deepEqual((await stockOf(env, sale)).mysql, { total: 100, locked: 2, sold: 0 });
      await assertAuditOk(env, sale);
    },
  );

  await t.step(
    "20 concurrent creates with one Idempotency-Key → one order, one number",
    async () => {
      const sale = await createSale(env, { stock: 100, limit: 4 });
      const [b] = await env.users(1);
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          env.call<string>("POST", "/api/order/create", {
            token: b.token,
            body: { ticketId: sale.ticketId, quantity: 2 },
            headers: { "idempotency-key": "same-key-1" },
          })),
      );
      assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
      assert.equal(
        new Set(results.map((r) => r.body.data)).size,
        1,
      );
      const [{ n }] = await env.ctx.db.rows<{ n: number }>(
        "SELECT COUNT(*) AS n FROM orders WHERE ticket_id = ?",
        [
          sale.ticketId,
        ],
      );
      assert.equal(Number(n), 1);
      // Later, the same key still answers with the same order and creates nothing.
      const later = await env.call<string>("POST", "/api/order/create", {
        token: b.token,
        body: { ticketId: sale.ticketId, quantity: 2 },
        headers: { "idempotency-key": "same-key-1" },
      });
      assert.equal(later.body.data, results[0].body.data);
      assert.deepEqual((await stockOf(env, sale)).mysql, { total: 100, locked: 2, sold: 0 });
    },
  );

  await t.step("the same request twice without a key, at once → one order", async () => {
    const sale = await createSale(env, { stock: 100, limit: 4 });
    const [b] = await env.users(1);
    const body = { ticketId: sale.ticketId, quantity: 1 };
    const [r1, r2] = await Promise.all(
      [1, 2].map(() => env.call<string>("POST", "/api/order/create", { token: b.token, body })),
    );
    assert.equal(r1.status, 200);
    assert.equal(r1.body.data, r2.body.data);
    // After cancelling, the same request is a new purchase.
    await env.call("PUT", `/api/order/cancel/${r1.body.data}`, { token: b.token });
    const r3 = await env.call<string>("POST", "/api/order/create", { token: b.token, body });
    assert.equal(r3.status, 200);
    assert.notEqual(r3.body.data, r1.body.data);
    await assertAuditOk(env, sale);
  });
});

suite("orders: store failures", async (t, env) => {
  await t.step(
    "MySQL fails after the reserve → stock back in Redis, no order row, 503",
    async () => {
      const sale = await createSale(env, { stock: 10, limit: 4 });
      const [b] = await env.users(1);
      // A real failure of the MySQL step, injected in the database itself: a lock wait
      // timeout, an outage to retry (a statement refused for other reasons is a 500).
      await env.ctx.db.exec(
        `CREATE TRIGGER fail_order_insert BEFORE INSERT ON orders FOR EACH ROW
         SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = 1205, MESSAGE_TEXT = 'injected failure'`,
      );
      try {
        const res = await env.call("POST", "/api/order/create", {
          token: b.token,
          body: { ticketId: sale.ticketId, quantity: 3 },
        });
        assert.equal(res.status, 503, JSON.stringify(res.body));
        assert.equal(res.body.error, "UNAVAILABLE");
        assert.ok(res.headers.get("retry-after"));
      } finally {
        await env.ctx.db.exec("DROP TRIGGER fail_order_insert");
      }
      const stock = await stockOf(env, sale);
      assert.deepEqual(stock.redis, { total: 10, locked: 0, sold: 0 });
      assert.deepEqual(stock.mysql, { total: 10, locked: 0, sold: 0 });
      const [{ n }] = await env.ctx.db.rows<{ n: number }>("SELECT COUNT(*) AS n FROM orders");
      assert.equal(Number(n), 0);
      // The same request right after (the failure's dedup key is gone) succeeds.
      const retry = await env.call("POST", "/api/order/create", {
        token: b.token,
        body: { ticketId: sale.ticketId, quantity: 3 },
      });
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      await assertAuditOk(env, sale);
    },
  );

  await t.step(
    "Redis loses everything between two sales → rebuilt from MySQL, totals right",
    async () => {
      const sale = await createSale(env, { stock: 20, limit: 10 });
      const buyers = await env.users(6);
      const created = await Promise.all(
        buyers.map((b) =>
          env.call<string>("POST", "/api/order/create", {
            token: b.token,
            body: { ticketId: sale.ticketId, quantity: 3 },
          })
        ),
      );
      assert.ok(created.every((r) => r.status === 200));
      await env.call("POST", `/api/order/pay/${created[0].body.data}`, { token: buyers[0].token });
      await env.call("PUT", `/api/order/cancel/${created[1].body.data}`, {
        token: buyers[1].token,
      });
      // Every key of this service gone, as after a restart with empty memory.
      await env.ctx.redis.deleteByPrefix(env.config.redisPrefix);
      assert.equal((await stockOf(env, sale)).redis, null);
      // 20 - 3 sold - 12 locked = 5 left: a buyer wanting 6 is refused, one wanting 5 is served.
      const [late] = await env.users(1);
      const six = await env.call("POST", "/api/order/create", {
        token: late.token,
        body: { ticketId: sale.ticketId, quantity: 6 },
      });
      assert.equal(six.status, 409, JSON.stringify(six.body));
      assert.equal(six.body.error, "SOLD_OUT");
      const five = await env.call("POST", "/api/order/create", {
        token: late.token,
        body: { ticketId: sale.ticketId, quantity: 5 },
      });
      assert.equal(five.status, 200, JSON.stringify(five.body));
      const stock = await stockOf(env, sale);
      assert.deepEqual(stock.mysql, { total: 20, locked: 17, sold: 3 });
      assert.deepEqual(stock.redis, stock.mysql);
      // The rebuilt reservations still release and confirm.
      await env.call("POST", `/api/order/pay/${created[2].body.data}`, { token: buyers[2].token });
      await env.call("PUT", `/api/order/cancel/${created[3].body.data}`, {
        token: buyers[3].token,
      });
      const after = await stockOf(env, sale);
      assert.deepEqual(after.mysql, { total: 20, locked: 11, sold: 6 });
      assert.deepEqual(after.redis, after.mysql);
      await assertAuditOk(env, sale);
    },
  );

  await t.step(
    "Redis wrong (a tier's total raised): MySQL alone refuses the oversell",
    async () => {
      const sale = await createSale(env, { stock: 3, limit: 10 });
      const [b] = await env.users(1);
      const tier = env.ctx.keys.tier(sale.sessionId, sale.ticketId);
      await env.ctx.redis.send(["HSET", tier, "total", "100"], tier);
      const ok = await env.call("POST", "/api/order/create", {
        token: b.token,
        body: { ticketId: sale.ticketId, quantity: 3 },
      });
      assert.equal(ok.status, 200);
      const over = await env.call("POST", "/api/order/create", {
        token: b.token,
        body: { ticketId: sale.ticketId, quantity: 2 },
      });
      assert.equal(over.status, 409, JSON.stringify(over.body));
      assert.equal(over.body.error, "SOLD_OUT");
      const stock = await stockOf(env, sale);
      assert.deepEqual(stock.mysql, { total: 3, locked: 3, sold: 0 });
      // The refused create left nothing behind: its reservation was released in Redis too.
      assert.deepEqual(stock.redis, { total: 100, locked: 3, sold: 0 });
      const [{ n }] = await env.ctx.db.rows<{ n: number }>(
        "SELECT COUNT(*) AS n FROM orders WHERE ticket_id = ?",
        [sale.ticketId],
      );
      assert.equal(Number(n), 1);
    },
  );

  await t.step("Redis unreachable → 503 with Retry-After, nothing written", async () => {
    const sale = await createSale(env, { stock: 10 });
    const [b] = await env.users(1);
    // A second service on the same database, with its own Redis that then dies.
    const dir = await Deno.makeTempDir();
    const redis = await startRedis({ dir });
    const ctx2 = await createContext(env.config, {
      databaseUrl: env.databaseUrl,
      redisUrl: redis.url,
      log: createLogger("silent"),
    });
    try {
      await redis.kill();
      const res = await createApp(ctx2).request("/api/order/create", {
        method: "POST",
        headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" },
        body: JSON.stringify({ ticketId: sale.ticketId, quantity: 1 }),
      });
      const body = await res.json();
      assert.equal(res.status, 503, JSON.stringify(body));
      assert.equal(body.error, "UNAVAILABLE");
      assert.ok(res.headers.get("retry-after"));
    } finally {
      await closeContext(ctx2);
      await Deno.remove(dir, { recursive: true });
    }
    const [{ n }] = await env.ctx.db.rows<{ n: number }>(
      "SELECT COUNT(*) AS n FROM orders WHERE ticket_id = ?",
      [sale.ticketId],
    );
    assert.equal(Number(n), 0);
    assert.deepEqual((await stockOf(env, sale)).mysql, { total: 10, locked: 0, sold: 0 });
  });

  await t.step("a boot against a Redis nobody listens on fails with a clear error", async () => {
    const err = await createContext(env.config, {
      databaseUrl: env.databaseUrl,
      redisUrl: `redis://127.0.0.1:${freePort()}`,
      log: createLogger("silent"),
    }).then(() => null, (e) => e);
    assert.ok(err instanceof Error);
    assert.match(err.message, /redis/i);
  });
});

suite(
  "orders: the reference's raw stock endpoints are gone; sync rebuilds from MySQL",
  async (t, env) => {
    const sale = await createSale(env, { stock: 10 });
    const [buyer] = await env.users(1);
    await t.step(
      "lock/unlock/deduct/confirm/redis/* and stock/init answer 404, stock unchanged",
      async () => {
        for (
          const path of [
            "/api/ticket/lock",
            "/api/ticket/unlock",
            "/api/ticket/deduct",
            "/api/ticket/confirm",
            "/api/ticket/redis/prededuct",
            "/api/ticket/redis/rollback",
            "/api/ticket/redis/sync",
            "/api/ticket/stock/init",
          ]
        ) {
          const res = await env.call("POST", `${path}?ticketId=${sale.ticketId}&quantity=5`, {
            token: sale.adminToken,
            body: { ticketId: sale.ticketId, quantity: 5 },
          });
          assert.equal(res.status, 404, path);
        }
        assert.deepEqual((await stockOf(env, sale)).mysql, { total: 10, locked: 0, sold: 0 });
      },
    );
    await t.step("POST /api/ticket/sync (admin) rebuilds the tier from MySQL", async () => {
      const tier = env.ctx.keys.tier(sale.sessionId, sale.ticketId);
      await env.ctx.redis.send(["HSET", tier, "locked", "7"], tier);
      const asBuyer = await env.call("POST", `/api/ticket/sync?ticketId=${sale.ticketId}`, {
        token: buyer.token,
      });
      assert.equal(asBuyer.status, 403);
      const res = await env.call("POST", `/api/ticket/sync?ticketId=${sale.ticketId}`, {
        token: sale.adminToken,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual((await stockOf(env, sale)).redis, { total: 10, locked: 0, sold: 0 });
    });
  },
);

suite(
  "orders: pay and cancel of the same order at once — one wins, the other moves nothing",
  async (t, env) => {
    const sale = await createSale(env, { stock: 100, limit: 4 });
    const buyers = await env.users(30);
    await t.step("30 orders, each paid and cancelled at the same moment", async () => {
      const orders = await Promise.all(buyers.map(async (b) => {
        const res = await env.call<string>("POST", "/api/order/create", {
          token: b.token,
          body: { ticketId: sale.ticketId, quantity: 2 },
          headers: { "idempotency-key": crypto.randomUUID() },
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return { orderNo: res.body.data, token: b.token };
      }));
      const races = await Promise.all(orders.map(({ orderNo, token }) =>
        Promise.all([
          env.call("POST", `/api/order/pay/${orderNo}`, { token }),
          env.call("PUT", `/api/order/cancel/${orderNo}`, { token }),
        ])
      ));
      let paid = 0;
      for (const [i, [pay, cancel]] of races.entries()) {
        const { orderNo } = orders[i];
        const [{ status }] = await env.ctx.db.rows<{ status: number }>(
          "SELECT status FROM orders WHERE order_no = ?",
          [orderNo],
        );
        // Exactly one of the two succeeded, and the order shows that one.
        assert.equal([pay.status, cancel.status].filter((s) => s === 200).length, 1, orderNo);
        assert.equal(Number(status), pay.status === 200 ? 1 : 2, orderNo);
        if (pay.status === 200) paid++;
        const moves = await env.ctx.db.rows<{ to_status: number }>(
          `SELECT l.to_status FROM order_status_log l JOIN orders o ON o.id = l.order_id
          WHERE o.order_no = ? AND l.from_status = 0`,
          [orderNo],
        );
        assert.deepEqual(moves.map((m) => Number(m.to_status)), [Number(status)], orderNo);
      }
      const stock = await stockOf(env, sale);
      assert.deepEqual(stock.mysql, { total: 100, locked: 0, sold: 2 * paid });
      assert.deepEqual(stock.redis, stock.mysql);
      await assertAuditOk(env, sale);
    });
  },
);
