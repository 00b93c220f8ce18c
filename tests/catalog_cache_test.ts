// Issue 17: the public catalog reads (show list, detail, sessions) are answered from process
// memory for CATALOG_CACHE_MS; catalog writes through the same process show at once.
import assert from "node:assert/strict";
import type { Queryable } from "#lib/platform/db.ts";
import { suite, type TestEnv } from "./support/env.ts";
import { createSale, type Sale } from "./support/sale.ts";

/** Counts the statements the service sends to MySQL (both pools, reads and writes). */
function countStatements(env: TestEnv): () => number {
  let n = 0;
  for (const q of new Set<Queryable>([env.ctx.db, env.ctx.db.read])) {
    const rows = q.rows.bind(q);
    const exec = q.exec.bind(q);
    q.rows = (sql, params) => (n++, rows(sql, params));
    q.exec = (sql, params) => (n++, exec(sql, params));
  }
  return () => n;
}

/** The public reads of a show, as raw reply texts (the bytes a client gets). */
function publicPaths(sale: Sale): string[] {
  return [
    "/api/show/list?page=1&size=10",
    "/api/show/page",
    "/api/show/shows/search?keyword=Flash",
    "/api/show/hot",
    "/api/show/recommend",
    `/api/show/detail/${sale.showId}`,
    `/api/show/${sale.showId}`,
    `/api/show/info?showId=${sale.showId}&sessionId=${sale.sessionId}`,
    `/api/show/sessions/show/${sale.showId}`,
    `/api/show/sessions/${sale.sessionId}`,
  ];
}

async function texts(env: TestEnv, paths: string[]): Promise<string[]> {
  return await Promise.all(paths.map(async (path) => {
    const res = await env.app.request(path);
    const text = await res.text();
    assert.equal(res.status, 200, `${path}: ${text}`);
    return text;
  }));
}

type Detail = { name: string; minPrice: number; sessions: { totalSeats: number }[] };

const detailOf = async (env: TestEnv, sale: Sale) =>
  (await env.call<Detail>("GET", `/api/show/detail/${sale.showId}`)).body.data;

suite("catalog cache: reads within the lifetime ask MySQL nothing", async (t, env) => {
  const statements = countStatements(env);
  const sale = await createSale(env, { stock: 100 });
  const admin = { token: sale.adminToken };
  const paths = publicPaths(sale);

  await t.step("a second round of every public read runs no statement, same bytes", async () => {
    const first = await texts(env, paths);
    const before = statements();
    const second = await texts(env, paths);
    assert.equal(statements(), before);
    assert.deepEqual(second, first);
  });

  await t.step("the list key is normalised: the same page however it is asked", async () => {
    await texts(env, ["/api/show/list?status=ON_SALE|UPCOMING"]);
    const before = statements();
    await texts(env, [
      "/api/show/list?status=0,1",
      "/api/show/list?status=1|0|1&page=1&size=10",
      "/api/show/list?current=1&status=UPCOMING,ON_SALE",
    ]);
    assert.equal(statements(), before);
  });

  await t.step("a crowd on a cold page costs one query set", async () => {
    const before = statements();
    await texts(env, Array.from({ length: 30 }, () => "/api/show/list?size=7"));
    assert.equal(statements() - before, 2); // COUNT(*) and the page
  });

  await t.step("an unknown show is not remembered: each read asks", async () => {
    const before = statements();
    for (let i = 0; i < 2; i++) {
      assert.equal((await env.call("GET", "/api/show/detail/99999999")).status, 404);
    }
    assert.equal(statements() - before, 2);
  });

  await t.step("an admin's change through this process shows at once", async () => {
    await detailOf(env, sale);
    const renamed = await env.call("PUT", `/api/show/${sale.showId}`, {
      ...admin,
      body: { name: "Renamed Night" },
    });
    assert.equal(renamed.status, 200);
    assert.equal((await detailOf(env, sale)).name, "Renamed Night");
    const list = await env.call<{ records: { name: string }[] }>("GET", "/api/show/list");
    assert.deepEqual(list.body.data.records.map((r) => r.name), ["Renamed Night"]);

    const tier = await env.call("POST", "/api/ticket", {
      ...admin,
      body: {
        showId: sale.showId,
        sessionId: sale.sessionId,
        name: "Balcony",
        price: 120,
        totalStock: 50,
      },
    });
    assert.equal(tier.status, 200);
    let detail = await detailOf(env, sale);
    assert.equal(detail.minPrice, 120);
    assert.equal(detail.sessions[0].totalSeats, 150);

    const changed = await env.call("PUT", `/api/ticket/${sale.ticketId}`, {
      ...admin,
      body: { totalStock: 80 },
    });
    assert.equal(changed.status, 200);
    detail = await detailOf(env, sale);
    assert.equal(detail.sessions[0].totalSeats, 130);
    const one = await env.call<{ totalSeats: number }>(
      "GET",
      `/api/show/sessions/${sale.sessionId}`,
    );
    assert.equal(one.body.data.totalSeats, 130);

    const session = await env.call("POST", `/api/show/${sale.showId}/sessions`, {
      ...admin,
      body: { name: "Night 2", startTime: "2030-05-02 19:30:00", endTime: "2030-05-02 22:00:00" },
    });
    assert.equal(session.status, 200);
    const sessions = await env.call<unknown[]>("GET", `/api/show/sessions/show/${sale.showId}`);
    assert.equal(sessions.body.data.length, 2);

    const deleted = await env.call("DELETE", `/api/show/detail/${sale.showId}`, admin);
    assert.equal(deleted.status, 200);
    assert.equal((await env.call("GET", `/api/show/${sale.showId}`)).status, 404);
    const empty = await env.call<{ total: number }>("GET", "/api/show/list");
    assert.equal(empty.body.data.total, 0);
  });
}, { CATALOG_CACHE_MS: "60000" });

suite("catalog cache: what may lag, by up to the lifetime", async (t, env) => {
  const sale = await createSale(env, { stock: 100 });
  const buyer = await env.user();
  await detailOf(env, sale);

  await t.step("seat counts after an order", async () => {
    const order = await env.call("POST", "/api/order/create", {
      token: buyer.token,
      body: { ticketId: sale.ticketId, quantity: 2 },
    });
    assert.equal(order.status, 200, JSON.stringify(order.body));
    type Counts = { sessions: { remainSeats: number }[] };
    const lagging = await env.call<Counts>("GET", `/api/show/detail/${sale.showId}`);
    assert.equal(lagging.body.data.sessions[0].remainSeats, 100);
    // Any catalog write of this process refreshes them.
    await env.call("PUT", `/api/show/${sale.showId}`, {
      token: sale.adminToken,
      body: { isHot: true },
    });
    const fresh = await env.call<Counts>("GET", `/api/show/detail/${sale.showId}`);
    assert.equal(fresh.body.data.sessions[0].remainSeats, 98);
  });

  await t.step("a change made by another process (straight to MySQL here)", async () => {
    await env.ctx.db.exec("UPDATE shows SET name = 'Elsewhere' WHERE id = ?", [sale.showId]);
    assert.equal((await detailOf(env, sale)).name, "Flash Sale Night");
  });
}, { CATALOG_CACHE_MS: "60000" });

suite("catalog cache: CATALOG_CACHE_MS=0 asks MySQL on every read", async (t, env) => {
  const statements = countStatements(env);
  const sale = await createSale(env, { stock: 100 });
  const paths = publicPaths(sale);

  await t.step("every round of reads runs the same statements again", async () => {
    const counts: number[] = [];
    for (let round = 0; round < 3; round++) {
      const before = statements();
      await texts(env, paths);
      counts.push(statements() - before);
    }
    assert.ok(counts[0] >= paths.length, String(counts));
    assert.deepEqual(counts, [counts[0], counts[0], counts[0]]);
  });

  await t.step("a change straight to MySQL shows at the next read", async () => {
    await env.ctx.db.exec("UPDATE shows SET name = 'Elsewhere' WHERE id = ?", [sale.showId]);
    assert.equal((await detailOf(env, sale)).name, "Elsewhere");
  });
}, { CATALOG_CACHE_MS: "0" });
