import assert from "node:assert/strict";
import { suite, type TestEnv } from "./support/env.ts";

type Rec = Record<string, unknown>;

async function makeShow(env: TestEnv, token: string, patch: Rec = {}): Promise<number> {
  const res = await env.call<{ id: number }>("POST", "/api/show", {
    token,
    body: {
      name: "Spring Concert",
      type: 1,
      venue: "Grand Hall",
      city: "上海",
      startTime: "2030-05-01 19:30:00",
      endTime: "2030-05-01 22:00:00",
      ...patch,
    },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data.id;
}

suite("catalog: shows, sessions, tiers", async (t, env) => {
  const admin = await env.admin();
  const buyer = await env.user();
  const token = admin.token;

  const concert = await makeShow(env, token, { isHot: true, description: "two nights" });
  const drama = await makeShow(env, token, {
    name: "Thunderstorm",
    type: 2,
    city: "北京",
    venue: "Capital Theatre",
    status: 0,
    isRecommend: 1,
  });
  const expo = await makeShow(env, token, { name: "Art Expo", type: 4, city: "广州", status: 3 });

  let sessionId = 0;
  let ticketId = 0;
  await t.step("admin adds a session and tiers; prices and seat counts are derived", async () => {
    const s = await env.call<{ id: number }>("POST", `/api/show/${concert}/sessions`, {
      token,
      body: {
        name: "Night 1",
        startTime: "2030-05-01T19:30:00+08:00",
        endTime: "2030-05-01T22:00:00+08:00",
      },
    });
    assert.equal(s.status, 200);
    sessionId = s.body.data.id;
    for (const [name, price, totalStock] of [["Stand", 380, 100], ["Floor", 880.5, 50]] as const) {
      const res = await env.call<{ id: number }>("POST", "/api/ticket", {
        token,
        body: { showId: concert, sessionId, name, price, totalStock, limitCount: 2 },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      ticketId ||= res.body.data.id;
    }
    const detail = await env.call<Rec & { sessions: Rec[] }>("GET", `/api/show/detail/${concert}`);
    assert.equal(detail.status, 200);
    assert.equal(detail.body.data.minPrice, 380);
    assert.equal(detail.body.data.maxPrice, 880.5);
    assert.equal(detail.body.data.description, "two nights");
    assert.equal(detail.body.data.sessions.length, 1);
    const session = detail.body.data.sessions[0];
    assert.equal(session.totalSeats, 150);
    assert.equal(session.soldSeats, 0);
    assert.equal(session.remainSeats, 150);
    assert.equal(session.statusName, "售票中");
    // The reference's second path answers the same.
    const alias = await env.call("GET", `/api/show/${concert}`);
    assert.deepEqual(alias.body, detail.body);
  });

  await t.step("show records carry the reference client's aliases", async () => {
    const res = await env.call<Rec>("GET", `/api/show/${concert}`);
    const s = res.body.data;
    assert.equal(s.title, s.name);
    assert.equal(s.venueName, s.venue);
    assert.equal(s.showTime, s.startTime);
    assert.equal(s.statusText, "ON_SALE");
    assert.equal(s.typeName, "演唱会");
    assert.equal(s.isHot, true);
  });

  await t.step(
    "list filters: type, city, keyword, status by number or name, empty = none",
    async () => {
      const ids = async (qs: string) =>
        (await env.call<{ records: Rec[] }>("GET", `/api/show/list?${qs}`)).body.data.records.map((
          r,
        ) => r.id)
          .sort();
      assert.deepEqual(await ids(""), [concert, drama, expo].sort());
      assert.deepEqual(await ids("type=2"), [drama]);
      assert.deepEqual(await ids("city=%E5%8C%97%E4%BA%AC"), [drama]);
      assert.deepEqual(await ids("keyword=storm"), [drama]);
      assert.deepEqual(await ids("keyword=%25"), []);
      assert.deepEqual(await ids("status=1"), [concert]);
      assert.deepEqual(await ids("status=ON_SALE|UPCOMING"), [concert, drama].sort());
      assert.deepEqual(await ids("status=0,3"), [drama, expo].sort());
      assert.deepEqual(await ids("status=ENDED"), [expo]);
      assert.deepEqual(await ids("keyword=&type=&city=&status="), [concert, drama, expo].sort());
      assert.deepEqual(await ids("sort=price&size=100"), [concert, drama, expo].sort());
    },
  );

  await t.step("/api/show/page pages like /list", async () => {
    const res = await env.call<
      { records: Rec[]; total: number; size: number; current: number; pages: number }
    >(
      "GET",
      "/api/show/page?page=2&size=2",
    );
    assert.equal(res.body.data.total, 3);
    assert.equal(res.body.data.size, 2);
    assert.equal(res.body.data.current, 2);
    assert.equal(res.body.data.pages, 2);
    assert.equal(res.body.data.records.length, 1);
    const current = await env.call<{ current: number }>("GET", "/api/show/page?current=2&size=2");
    assert.equal(current.body.data.current, 2);
  });

  await t.step("bad list queries are 400 naming the field", async () => {
    for (
      const [qs, field] of [
        ["size=0", "size"],
        ["size=101", "size"],
        ["page=-1", "page"],
        ["type=9", "type"],
        ["status=BOGUS", "status"],
        ["sort=cheap", "sort"],
        ["page=abc", "page"],
      ]
    ) {
      const res = await env.call("GET", `/api/show/list?${qs}`);
      assert.equal(res.status, 400, qs);
      assert.ok(res.body.message.startsWith(`${field}:`), res.body.message);
    }
  });

  await t.step("hot and recommend", async () => {
    const hot = await env.call<Rec[]>("GET", "/api/show/hot");
    assert.deepEqual(hot.body.data.map((s) => s.id), [concert]);
    const rec = await env.call<Rec[]>("GET", "/api/show/recommend");
    assert.deepEqual(rec.body.data.map((s) => s.id), [drama]);
  });

  await t.step("show info: the show with one session", async () => {
    const res = await env.call<Rec & { session: Rec }>(
      "GET",
      `/api/show/info?showId=${concert}&sessionId=${sessionId}`,
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.data.session.id, sessionId);
    const wrong = await env.call("GET", `/api/show/info?showId=${drama}&sessionId=${sessionId}`);
    assert.equal(wrong.status, 404);
  });

  await t.step("tiers: list, one, price, stock (signed in)", async () => {
    const list = await env.call<Rec[]>(
      "GET",
      `/api/ticket/list?showId=${concert}&sessionId=${sessionId}`,
    );
    assert.equal(list.body.data.length, 2);
    assert.deepEqual(list.body.data[0], {
      id: ticketId,
      showId: concert,
      sessionId,
      name: "Stand",
      price: 380,
      limitCount: 2,
      status: 1,
      available: 100,
    });
    const one = await env.call("GET", `/api/ticket/${ticketId}`);
    assert.deepEqual(one.body.data, list.body.data[0]);
    const price = await env.call("GET", `/api/ticket/price/${ticketId}`);
    assert.equal(price.body.data, 380);
    assert.equal((await env.call("GET", `/api/ticket/stock/${ticketId}`)).status, 401);
    const stock = await env.call("GET", `/api/ticket/stock/${ticketId}`, { token: buyer.token });
    assert.deepEqual(stock.body.data, { ticketId, total: 100, locked: 0, sold: 0, available: 100 });
    const all = await env.call<Rec[]>("GET", "/api/ticket/stock/all", { token });
    assert.equal(all.body.data.length, 2);
  });

  await t.step("unknown ids are 404; malformed ids 400", async () => {
    for (
      const path of [
        "/api/show/detail/999999",
        "/api/show/999999",
        "/api/ticket/999999",
        "/api/ticket/price/999999",
      ]
    ) {
      const res = await env.call("GET", path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body.error, "NOT_FOUND");
    }
    for (
      const path of [
        "/api/show/detail/abc",
        "/api/show/detail/-1",
        "/api/show/detail/1.5",
        "/api/ticket/0",
        "/api/show/detail/99999999999999999999",
      ]
    ) {
      const res = await env.call("GET", path);
      assert.equal(res.status, 400, path);
      assert.match(res.body.message, /^(id|ticketId):/);
    }
  });

  await t.step("admin create refuses bad input, naming the field, writing nothing", async () => {
    const before = (await env.ctx.db.rows<{ n: number }>("SELECT COUNT(*) AS n FROM shows"))[0].n;
    const good = {
      name: "X",
      type: 1,
      venue: "V",
      city: "C",
      startTime: "2030-01-01 10:00:00",
      endTime: "2030-01-01 12:00:00",
    };
    for (
      const [patch, field] of [
        [{ type: 7 }, "type"],
        [{ type: "1" }, "type"],
        [{ name: "" }, "name"],
        [{ name: "n".repeat(201) }, "name"],
        [{ startTime: "tomorrow" }, "startTime"],
        [{ startTime: "2030-02-30 10:00:00" }, "startTime"],
        [{ endTime: "2029-01-01 10:00:00" }, "endTime"],
        [{ status: 9 }, "status"],
        [{ isHot: "yes" }, "isHot"],
      ] as const
    ) {
      const res = await env.call("POST", "/api/show", { token, body: { ...good, ...patch } });
      assert.equal(res.status, 400, JSON.stringify(patch));
      assert.ok(res.body.message.startsWith(`${field}:`), res.body.message);
    }
    const ticketBad: [Rec, string, number][] = [
      [{ price: -1 }, "price", 400],
      [{ price: 1.005 }, "price", 400],
      [{ totalStock: 1_000_001 }, "totalStock", 400],
      [{ totalStock: -5 }, "totalStock", 400],
      [{ totalStock: 2.5 }, "totalStock", 400],
      [{ limitCount: 11 }, "limitCount", 400],
      [{ sessionId: 999999 }, "", 404],
      [{ showId: drama }, "sessionId", 400],
    ];
    for (const [patch, field, status] of ticketBad) {
      const res = await env.call("POST", "/api/ticket", {
        token,
        body: { showId: concert, sessionId, name: "T", price: 1, totalStock: 1, ...patch },
      });
      assert.equal(res.status, status, JSON.stringify(patch));
      if (field) assert.ok(res.body.message.startsWith(`${field}:`), res.body.message);
    }
    const after = (await env.ctx.db.rows<{ n: number }>("SELECT COUNT(*) AS n FROM shows"))[0].n;
    assert.equal(after, before);
    const [{ n }] = await env.ctx.db.rows<{ n: number }>("SELECT COUNT(*) AS n FROM tickets");
    assert.equal(Number(n), 2);
  });

  await t.step(
    "admin updates a show and a tier; stock may not drop below locked + sold",
    async () => {
      assert.equal(
        (await env.call("PUT", `/api/show/${drama}`, { token, body: { status: 1, city: "天津" } }))
          .status,
        200,
      );
      const d = await env.call<Rec>("GET", `/api/show/${drama}`);
      assert.equal(d.body.data.city, "天津");
      assert.equal(d.body.data.statusText, "ON_SALE");
      const bad = await env.call("PUT", `/api/show/${drama}`, {
        token,
        body: { endTime: "2000-01-01 00:00:00" },
      });
      assert.equal(bad.status, 400);
      assert.equal(
        (await env.call("PUT", `/api/ticket/${ticketId}`, {
          token,
          body: { price: 400, totalStock: 120 },
        })).status,
        200,
      );
      const stock = await env.call<Rec>("GET", `/api/ticket/stock/${ticketId}`, { token });
      assert.equal(stock.body.data.total, 120);
      await env.ctx.db.exec("UPDATE ticket_stock SET sold_stock = 30 WHERE ticket_id = ?", [
        ticketId,
      ]);
      const below = await env.call("PUT", `/api/ticket/${ticketId}`, {
        token,
        body: { totalStock: 29, price: 1 },
      });
      assert.equal(below.status, 409);
      assert.equal((await env.call("GET", `/api/ticket/price/${ticketId}`)).body.data, 400);
      await env.ctx.db.exec("UPDATE ticket_stock SET sold_stock = 0 WHERE ticket_id = ?", [
        ticketId,
      ]);
    },
  );

  await t.step("deleting a show hides it and its tiers (404), twice is 404", async () => {
    assert.equal((await env.call("DELETE", `/api/show/detail/${expo}`, { token })).status, 200);
    assert.equal((await env.call("GET", `/api/show/${expo}`)).status, 404);
    assert.equal((await env.call("DELETE", `/api/show/detail/${expo}`, { token })).status, 404);
    assert.equal(
      (await env.call("DELETE", `/api/show/detail/${concert}`, { token: buyer.token })).status,
      403,
    );
    assert.equal((await env.call("DELETE", `/api/ticket/${ticketId}`, { token })).status, 200);
    assert.equal((await env.call("GET", `/api/ticket/${ticketId}`)).status, 404);
  });
});

suite("catalog: zone-less times are in TIME_ZONE, replies carry its offset", async (t, env) => {
  const admin = await env.admin();
  await t.step("Asia/Shanghai", async () => {
    const id = await makeShow(env, admin.token, {
      startTime: "2030-05-01 19:30:00",
      endTime: "2030-05-01T23:00:00Z",
    });
    const [row] = await env.ctx.db.rows<{ start_time: Date; end_time: Date }>(
      "SELECT start_time, end_time FROM shows WHERE id = ?",
      [id],
    );
    assert.equal(row.start_time.toISOString(), "2030-05-01T11:30:00.000Z");
    const res = await env.call<Rec>("GET", `/api/show/${id}`);
    assert.equal(res.body.data.startTime, "2030-05-01T19:30:00+08:00");
    assert.equal(res.body.data.endTime, "2030-05-02T07:00:00+08:00");
  });
}, { TIME_ZONE: "Asia/Shanghai" });
