/**
 * The calls the reference system's clients make that boxoffice answers for them (API.md,
 * "Compatibility with the reference web client"): profile, stats, token refresh, password by
 * query, admin updates with the id in the body, the stock dashboard, stock consistency, and
 * operator seat holds.
 */
import assert from "node:assert/strict";
import { suite } from "./support/env.ts";
import { createSale, stockOf } from "./support/sale.ts";
import { createSeatedSale } from "./support/seating.ts";

type Numbers = Record<string, number>;

suite("reference calls: profile by id, stats, refresh, password by query", async (t, env) => {
  const buyer = await env.user();
  const other = await env.user();
  const admin = await env.admin();

  await t.step("GET /api/user/info/current is the caller's profile", async () => {
    const current = await env.call("GET", "/api/user/info/current", { token: buyer.token });
    const info = await env.call("GET", "/api/user/info", { token: buyer.token });
    assert.equal(current.status, 200);
    assert.deepEqual(current.body.data, info.body.data);
    assert.equal((await env.call("GET", "/api/user/info/current")).status, 401);
  });

  await t.step("GET /api/user/info/{userId}: own, or any for an admin; 403 otherwise", async () => {
    const own = await env.call<{ id: number }>("GET", `/api/user/info/${buyer.id}`, {
      token: buyer.token,
    });
    assert.equal(own.status, 200);
    assert.equal(own.body.data.id, buyer.id);
    const theirs = await env.call("GET", `/api/user/info/${other.id}`, { token: buyer.token });
    assert.equal(theirs.status, 403);
    assert.equal(theirs.body.data, null);
    const nobody = await env.call("GET", "/api/user/info/999999", { token: buyer.token });
    assert.equal(nobody.status, 403, "no telling which ids exist");
    const byAdmin = await env.call<{ username: string }>("GET", `/api/user/info/${other.id}`, {
      token: admin.token,
    });
    assert.equal(byAdmin.status, 200);
    assert.equal(byAdmin.body.data.username, other.username);
    assert.equal(
      (await env.call("GET", "/api/user/info/999999", { token: admin.token })).status,
      404,
    );
    assert.equal(
      (await env.call("GET", "/api/user/info/abc", { token: admin.token })).status,
      400,
    );
  });

  await t.step("GET /api/user/stats counts the caller's orders and money only", async () => {
    const sale = await createSale(env, { stock: 10, price: 100 });
    const order = (token: string, quantity: number) =>
      env.call<string>("POST", "/api/order/create", {
        token,
        body: { ticketId: sale.ticketId, quantity },
      });
    const paid = await order(buyer.token, 2);
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    assert.equal(
      (await env.call("POST", `/api/order/pay?orderNo=${paid.body.data}&payType=1`, {
        token: buyer.token,
      })).status,
      200,
    );
    assert.equal((await order(buyer.token, 1)).status, 200);
    assert.equal((await order(other.token, 3)).status, 200);
    const stats = await env.call<Numbers>("GET", "/api/user/stats", { token: buyer.token });
    assert.equal(stats.status, 200);
    assert.deepEqual(stats.body.data, {
      userId: buyer.id,
      totalOrders: 2,
      pendingOrders: 1,
      paidOrders: 1,
      cancelledOrders: 0,
      expiredOrders: 0,
      refundedOrders: 0,
      ticketsBought: 2,
      totalSpent: 200,
      pendingAmount: 100,
    });
  });

  await t.step(
    "POST /api/user/auth/refresh-token: a new token; the old one is revoked",
    async () => {
      const res = await env.call<{ token: string; userId: number; expiresIn: number }>(
        "POST",
        "/api/user/auth/refresh-token",
        { token: other.token },
      );
      assert.equal(res.status, 200);
      assert.equal(res.body.data.userId, other.id);
      assert.notEqual(res.body.data.token, other.token);
      assert.equal(
        (await env.call("GET", "/api/user/info", { token: res.body.data.token })).status,
        200,
      );
      const old = await env.call("GET", "/api/user/info", { token: other.token });
      assert.equal(old.status, 401);
      assert.equal(
        (await env.call("POST", "/api/user/auth/refresh-token", { token: other.token })).status,
        401,
      );
    },
  );

  await t.step("PUT /api/user/password takes oldPassword/newPassword as query too", async () => {
    const reg = await env.call<{ userId: number }>("POST", "/api/user/register", {
      body: { username: "mini_prog", password: "first-pass", phone: "13912345678" },
    });
    assert.equal(reg.status, 200);
    const login = async (password: string) =>
      await env.call<{ token: string }>("POST", "/api/user/login", {
        body: { username: "mini_prog", password },
      });
    const token = (await login("first-pass")).body.data.token;
    const missing = await env.call("PUT", "/api/user/password?oldPassword=first-pass", { token });
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /^newPassword:/);
    const wrong = await env.call(
      "PUT",
      "/api/user/password?oldPassword=nope&newPassword=second-pass",
      { token },
    );
    assert.equal(wrong.status, 400);
    const short = await env.call(
      "PUT",
      "/api/user/password?oldPassword=first-pass&newPassword=123",
      { token },
    );
    assert.equal(short.status, 400);
    assert.match(short.body.message, /^newPassword:/);
    const ok = await env.call(
      "PUT",
      `/api/user/password?userId=1&oldPassword=first-pass&newPassword=second-pass`,
      { token },
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await login("first-pass")).status, 401);
    const again = await login("second-pass");
    assert.equal(again.status, 200);
    // The JSON body still works as before.
    const body = await env.call("PUT", "/api/user/password", {
      token: again.body.data.token,
      body: { oldPassword: "second-pass", newPassword: "third-pass" },
    });
    assert.equal(body.status, 200);
    assert.equal((await login("third-pass")).status, 200);
  });
});

suite("reference calls: PUT /api/show and /api/ticket with the id in the body", async (t, env) => {
  const sale = await createSale(env, { stock: 5 });
  const buyer = await env.user();

  await t.step("PUT /api/show {id, ...} is PUT /api/show/{id}", async () => {
    const res = await env.call("PUT", "/api/show", {
      token: sale.adminToken,
      body: { id: sale.showId, name: "Renamed Night", isHot: true },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const detail = await env.call<{ name: string; isHot: boolean }>(
      "GET",
      `/api/show/detail/${sale.showId}`,
    );
    assert.equal(detail.body.data.name, "Renamed Night");
    assert.equal(detail.body.data.isHot, true);
    const noId = await env.call("PUT", "/api/show", {
      token: sale.adminToken,
      body: { name: "x" },
    });
    assert.equal(noId.status, 400);
    assert.match(noId.body.message, /^id:/);
    const unknown = await env.call("PUT", "/api/show", {
      token: sale.adminToken,
      body: { id: 999999, name: "x" },
    });
    assert.equal(unknown.status, 404);
    const notAdmin = await env.call("PUT", "/api/show", {
      token: buyer.token,
      body: { id: sale.showId, name: "Hijacked" },
    });
    assert.equal(notAdmin.status, 403);
  });

  await t.step("PUT /api/ticket {id, ...} is PUT /api/ticket/{id}", async () => {
    const res = await env.call("PUT", "/api/ticket", {
      token: sale.adminToken,
      body: { id: sale.ticketId, price: 99.5, totalStock: 8 },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const tier = await env.call<{ price: number }>("GET", `/api/ticket/${sale.ticketId}`);
    assert.equal(tier.body.data.price, 99.5);
    assert.equal((await stockOf(env, sale)).mysql.total, 8);
    const bad = await env.call("PUT", "/api/ticket", {
      token: sale.adminToken,
      body: { id: sale.ticketId, price: -1 },
    });
    assert.equal(bad.status, 400);
    const notAdmin = await env.call("PUT", "/api/ticket", {
      token: buyer.token,
      body: { id: sale.ticketId, price: 1 },
    });
    assert.equal(notAdmin.status, 403);
    assert.equal(
      (await env.call<{ price: number }>("GET", `/api/ticket/${sale.ticketId}`)).body.data.price,
      99.5,
    );
  });
});

suite("reference calls: the stock dashboard reads real stock and counters", async (t, env) => {
  const sale = await createSale(env, { stock: 10, limit: 4 });
  const buyers = await env.users(4);
  const admin = sale.adminToken;
  const get = <T = Numbers>(path: string, token = admin) => env.call<T>("GET", path, { token });

  await t.step("every dashboard route is admin only", async () => {
    for (const p of ["stats", "success-rate", "performance", "exceptions", "health", "metrics"]) {
      assert.equal((await get(`/api/stock/monitor/${p}`, buyers[0].token)).status, 403, p);
      assert.equal((await env.call("GET", `/api/stock/monitor/${p}`)).status, 401, p);
    }
  });

  await t.step("stats: the tiers' stock as MySQL has it", async () => {
    const before = await get("/api/stock/monitor/stats");
    assert.equal(before.status, 200);
    assert.equal(before.body.data.totalStock, 10);
    assert.equal(before.body.data.availableStock, 10);
    const created = await Promise.all(
      buyers.slice(0, 3).map((b) =>
        env.call<string>("POST", "/api/order/create", {
          token: b.token,
          body: { ticketId: sale.ticketId, quantity: 3 },
        })
      ),
    );
    assert.ok(created.every((r) => r.status === 200));
    await env.call("POST", `/api/order/pay?orderNo=${created[0].body.data}&payType=2`, {
      token: buyers[0].token,
    });
    const after = await get("/api/stock/monitor/stats");
    assert.deepEqual(
      {
        total: after.body.data.totalStock,
        available: after.body.data.availableStock,
        locked: after.body.data.lockedStock,
        sold: after.body.data.soldStock,
        utilization: after.body.data.stockUtilization,
        low: after.body.data.lowStockCount,
        out: after.body.data.outOfStockCount,
      },
      { total: 10, available: 1, locked: 6, sold: 3, utilization: 90, low: 0, out: 0 },
    );
    assert.equal(
      (await env.call("POST", "/api/order/create", {
        token: buyers[3].token,
        body: { ticketId: sale.ticketId, quantity: 1 },
      })).status,
      200,
    );
    const soldOut = await get("/api/stock/monitor/stats");
    assert.equal(soldOut.body.data.outOfStockCount, 1);
  });

  await t.step("success-rate, exceptions: what the requests did", async () => {
    const before = await get("/api/stock/monitor/success-rate");
    const exBefore = await get("/api/stock/monitor/exceptions");
    const late = await env.user();
    const refused = await env.call("POST", "/api/order/create", {
      token: late.token,
      body: { ticketId: sale.ticketId, quantity: 1 },
    });
    assert.equal(refused.body.error, "SOLD_OUT");
    const after = await get("/api/stock/monitor/success-rate");
    const exAfter = await get("/api/stock/monitor/exceptions");
    assert.equal(after.body.data.totalOperations - before.body.data.totalOperations, 1);
    assert.equal(after.body.data.failedOperations - before.body.data.failedOperations, 1);
    assert.equal(after.body.data.total_operations, after.body.data.totalOperations);
    assert.ok(after.body.data.lockSuccessRate > 0 && after.body.data.lockSuccessRate < 100);
    assert.equal(
      exAfter.body.data.stockInsufficientCount - exBefore.body.data.stockInsufficientCount,
      1,
    );
    assert.ok(exAfter.body.data.totalExceptions >= exAfter.body.data.stockInsufficientCount);
  });

  await t.step("performance and health come from the running process", async () => {
    const perf = await get("/api/stock/monitor/performance");
    assert.equal(perf.status, 200);
    assert.ok(perf.body.data.averageResponseTime > 0);
    assert.ok(perf.body.data.maxResponseTime >= perf.body.data.minResponseTime);
    assert.ok(perf.body.data.total_operations > 0);
    assert.equal(typeof perf.body.data.activeConnections, "number");
    const health = await get<Record<string, unknown>>("/api/stock/monitor/health");
    assert.equal(health.status, 200);
    assert.equal(health.body.data.database, "UP");
    assert.equal(health.body.data.redis, "UP");
    assert.ok(["UP", "DEGRADED"].includes(String(health.body.data.status)));
    assert.equal(typeof health.body.data.uptime, "number");
  });

  await t.step("metrics: the Prometheus text", async () => {
    const res = await env.app.request("/api/stock/monitor/metrics", {
      headers: { authorization: `Bearer ${admin}` },
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^http_requests_total\{.*route="\/api\/order\/create"/m);
    assert.match(text, /boxoffice_sold_out_rejections_total/);
  });
});

suite("reference calls: stock consistency per tier and for all", async (t, env) => {
  const sale = await createSale(env, { stock: 10 });
  const buyer = await env.user();
  const admin = sale.adminToken;
  const order = await env.call<string>("POST", "/api/order/create", {
    token: buyer.token,
    body: { ticketId: sale.ticketId, quantity: 2 },
  });
  assert.equal(order.status, 200);
  type Tier = {
    consistent: boolean;
    built: boolean;
    repaired?: boolean;
    mysql: Numbers;
    redis: Numbers | null;
    differences: { kind: string; key: string }[];
  };

  await t.step("check: both stores side by side, consistent", async () => {
    const res = await env.call<Tier>("GET", `/api/consistency/stock/check/${sale.ticketId}`, {
      token: admin,
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.consistent, true);
    assert.deepEqual(res.body.data.mysql, { total: 10, locked: 2, sold: 0, available: 8 });
    assert.deepEqual(res.body.data.redis, res.body.data.mysql);
    assert.equal(
      (await env.call("GET", `/api/consistency/stock/check/${sale.ticketId}`, {
        token: buyer.token,
      })).status,
      403,
    );
    assert.equal(
      (await env.call("GET", "/api/consistency/stock/check/999999", { token: admin })).status,
      404,
    );
  });

  await t.step("a wrong Redis counter is found, and repaired toward MySQL", async () => {
    const key = env.ctx.keys.tier(sale.sessionId, sale.ticketId);
    await env.ctx.redis.send(["HSET", key, "locked", "7"], key);
    const all = await env.call<{ consistent: boolean; differences: { kind: string }[] }>(
      "GET",
      "/api/consistency/stock/check-all",
      { token: admin },
    );
    assert.equal(all.status, 200);
    assert.equal(all.body.data.consistent, false);
    assert.ok(all.body.data.differences.some((d) => d.kind === "tier"));
    const check = await env.call<Tier>("GET", `/api/consistency/stock/check/${sale.ticketId}`, {
      token: admin,
    });
    assert.equal(check.body.data.consistent, false);
    assert.equal(check.body.data.redis?.locked, 7);
    assert.deepEqual(check.body.data.differences.map((d) => [d.kind, d.key]), [[
      "tier",
      String(sale.ticketId),
    ]]);
    const repair = await env.call<Tier>(
      "POST",
      `/api/consistency/stock/repair/${sale.ticketId}`,
      { token: admin },
    );
    assert.equal(repair.status, 200);
    assert.equal(repair.body.data.repaired, true);
    assert.equal(repair.body.data.consistent, true);
    assert.equal(repair.body.data.redis?.locked, 2);
    const again = await env.call<Tier>(
      "POST",
      `/api/consistency/stock/repair/${sale.ticketId}`,
      { token: admin },
    );
    assert.equal(again.body.data.repaired, false);
  });

  await t.step("repair-all repairs every active session", async () => {
    const key = env.ctx.keys.tier(sale.sessionId, sale.ticketId);
    await env.ctx.redis.send(["HSET", key, "sold", "3"], key);
    const res = await env.call<{ consistent: boolean; repaired: { rebuilt: number[] } }>(
      "POST",
      "/api/consistency/stock/repair-all",
      { token: admin },
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.data.consistent, true);
    assert.deepEqual(res.body.data.repaired.rebuilt, [sale.sessionId]);
    assert.deepEqual((await stockOf(env, sale)).redis, { total: 10, locked: 2, sold: 0 });
    assert.equal(
      (await env.call("POST", "/api/consistency/stock/repair-all", { token: buyer.token }))
        .status,
      403,
    );
  });
});

suite("reference calls: operator seat holds through the same atomic scripts", async (t, env) => {
  const sale = await createSeatedSale(env, { rows: 1, cols: 3 });
  const [s1, s2] = sale.seatIds;
  const buyer = await env.user();
  const admin = sale.adminToken;

  await t.step("lock by query (the consistency page's form) holds for the operator", async () => {
    const res = await env.call<{ seatIds: number[]; expireTime: string }>(
      "POST",
      `/api/seat-consistency/lock?seatId=${s1}&sessionId=${sale.sessionId}&userId=1`,
      { token: admin },
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.data.seatIds, [s1]);
    const taken = await env.call("POST", "/api/seat/lock", {
      token: buyer.token,
      body: { seatIds: [s1] },
    });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error, "SEAT_UNAVAILABLE");
  });

  await t.step("lock by body; all or none", async () => {
    const mine = await env.call("POST", "/api/seat/lock", {
      token: buyer.token,
      body: { seatIds: [s2] },
    });
    assert.equal(mine.status, 200);
    const both = await env.call("POST", "/api/seat-consistency/lock", {
      token: admin,
      body: { seatIds: [s1, s2] },
    });
    assert.equal(both.status, 409);
    const none = await env.call("POST", "/api/seat-consistency/lock", { token: admin });
    assert.equal(none.status, 400);
    assert.equal(
      (await env.call("POST", "/api/seat-consistency/lock", {
        token: buyer.token,
        body: { seatIds: [s1] },
      })).status,
      403,
    );
  });

  await t.step("release frees only the operator's own holds", async () => {
    const res = await env.call("POST", "/api/seat-consistency/release", {
      token: admin,
      body: { seatIds: [s1, s2] },
    });
    assert.equal(res.status, 200);
    const now = await env.call("POST", "/api/seat/lock", {
      token: buyer.token,
      body: { seatIds: [s1, s2] },
    });
    assert.equal(now.status, 200, "s1 is free, s2 still the buyer's");
  });
});

suite("reference calls: the web client's show paths", async (t, env) => {
  const sale = await createSale(env, { stock: 5, price: 280 });

  await t.step("sessions of a show, one session, a show's prices", async () => {
    const sessions = await env.call<{ id: number; name: string }[]>(
      "GET",
      `/api/show/sessions/show/${sale.showId}`,
    );
    assert.equal(sessions.status, 200);
    assert.deepEqual(sessions.body.data.map((s) => s.id), [sale.sessionId]);
    const one = await env.call<{ id: number; showId: number }>(
      "GET",
      `/api/show/sessions/${sale.sessionId}`,
    );
    assert.equal(one.status, 200);
    assert.equal(one.body.data.showId, sale.showId);
    const prices = await env.call<{ id: number; price: number }[]>(
      "GET",
      `/api/show/shows/${sale.showId}/prices`,
    );
    assert.deepEqual(prices.body.data.map((p) => [p.id, p.price]), [[sale.ticketId, 280]]);
    for (
      const path of [
        "/api/show/sessions/show/999999",
        "/api/show/sessions/999999",
        "/api/show/shows/999999/prices",
      ]
    ) {
      assert.equal((await env.call("GET", path)).status, 404, path);
    }
  });

  await t.step("search by keyword and category", async () => {
    const hit = await env.call<{ total: number }>(
      "GET",
      "/api/show/shows/search?keyword=Flash&category=演唱会",
    );
    assert.equal(hit.status, 200);
    assert.equal(hit.body.data.total, 1);
    const miss = await env.call<{ total: number }>(
      "GET",
      "/api/show/shows/search?keyword=Flash&category=2",
    );
    assert.equal(miss.body.data.total, 0);
    const bad = await env.call("GET", "/api/show/shows/search?category=circus");
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /^category:/);
  });
});
