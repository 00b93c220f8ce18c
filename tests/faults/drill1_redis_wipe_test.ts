/**
 * Drill 1: Redis restarted with empty memory in the middle of a flash sale.
 *
 * Buyers (2,000 at full size) each try to buy one general-admission ticket, or (one in four) one
 * seat, with two buyers for every ticket and every seat. A third of the way in, redis-server is killed and started again empty on the same port. While
 * it is down and while the session is rebuilt from MySQL, the service answers 503 with
 * Retry-After (buyers retry with their Idempotency-Key); then the sale carries on. At the end:
 * every ticket and seat sold exactly once (nothing oversold, none lost), the others told SOLD_OUT
 * or SEAT_UNAVAILABLE, every 2xx create has its order,
 * Redis agrees with MySQL, and the audit finds nothing.
 */
import type { ServerProcess } from "../support/process.ts";
import { createSale } from "../support/sale.ts";
import { createSeatedSale } from "../support/seating.ts";
import {
  assertAudit,
  assertUnavailable,
  bugsLogged,
  Checks,
  drill,
  drillEnv,
  fire,
  type Reply,
  request,
  size,
  startServer,
  stopServer,
  summaryOf,
  Tally,
} from "./_support.ts";

drill("1: Redis restarted empty mid-sale", { short: true }, async (t, stores) => {
  const buyersN = size(2000, 320);
  // Three buyers in four want a general-admission ticket, one in four a seat; half get one.
  const isSeatBuyer = (i: number) => i % 4 === 0;
  const stock = (buyersN * 3) / 8;
  const seatsN = buyersN / 8;
  const env = await drillEnv(stores);
  const checks = new Checks();
  const tally = new Tally();
  let server: ServerProcess | undefined;
  try {
    const sale = await createSale(env, { stock, limit: 4 });
    const seated = await createSeatedSale(env, { rows: seatsN / 10, cols: 10 });
    const buyers = await env.users(buyersN);
    server = await startServer(env);
    const url = server.url;
    // A buyer who logged out before the wipe: Redis forgetting it must not revive the token.
    const leaver = await env.user();
    const out = await request(url, "POST", "/api/user/logout", { token: leaver.token }, tally);
    checks.equal(out.status, 200, out.text);

    let done = 0;
    let wipe: Promise<void> | undefined;
    let afterWipe = false;
    let successesAfterWipe = 0;
    const unavailable: Reply[] = [];
    const orderNos = new Map<number, string>();
    const seatOrders = new Map<number, string>();
    const refusals = new Map<string, number>();

    const wipeRedis = async () => {
      await stores.redis.kill();
      // Redis is gone: a create now is refused with 503 and Retry-After, not hung or 500.
      const probe = await request(url, "POST", "/api/order/create", {
        token: buyers[0].token,
        body: { ticketId: sale.ticketId, quantity: 1 },
        headers: { "idempotency-key": "probe-while-redis-is-down" },
      }, tally);
      assertUnavailable(probe, "create while Redis is down");
      checks.passed++;
      await stores.wipeRedis(); // starts an empty one on the same port (kill is a no-op now)
      afterWipe = true;
    };

    await t.step(`${buyersN} buyers, Redis wiped a third of the way in`, async () => {
      const selling = fire(buyersN, 64, async (i) => {
        const buyer = buyers[i];
        const deadline = Date.now() + 90_000;
        if (++done === Math.floor(buyersN / 3)) wipe = wipeRedis();
        // Two seat buyers want each seat.
        const body = isSeatBuyer(i)
          ? { seatIds: [seated.seatIds[(i / 4) % seatsN]] }
          : { ticketId: sale.ticketId, quantity: 1 };
        while (true) {
          let r: Reply | undefined;
          try {
            r = await request(url, "POST", "/api/order/create", {
              token: buyer.token,
              body,
              headers: { "idempotency-key": `buy-${buyer.id}` },
            }, tally);
          } catch {
            r = undefined;
          }
          if (r && r.status === 200) {
            (isSeatBuyer(i) ? seatOrders : orderNos).set(buyer.id, String(r.json?.data));
            if (afterWipe) successesAfterWipe++;
            return;
          }
          if (r && r.status !== 503) {
            const why = `${isSeatBuyer(i) ? "seat" : "ticket"} ${r.json?.error ?? r.status}`;
            refusals.set(why, (refusals.get(why) ?? 0) + 1);
            return;
          }
          if (r) unavailable.push(r);
          if (Date.now() > deadline) throw new Error(`buyer ${buyer.id} never got an answer`);
          // A client backing off before its retry (the drill's load, not a synchronisation).
          await new Promise((res) => setTimeout(res, 50 + Math.random() * 200));
        }
      });
      // The wipe is awaited even when the sale failed, so it never outlives the drill.
      const [sold] = await Promise.allSettled([selling, wipe]);
      if (sold.status === "rejected") throw sold.reason;
      await wipe;
    });

    await t.step("503s carried Retry-After; the sale carried on after the wipe", () => {
      for (const r of unavailable) assertUnavailable(r, "create during the outage");
      checks.equal(tally.serverErrors, unavailable.length + 1, "every 5xx was a 503");
      checks.ok(afterWipe, "Redis was wiped during the sale");
      checks.ok(successesAfterWipe > 0, "orders were taken after the wipe");
    });

    await t.step("a token logged out before the wipe is still refused after it", async () => {
      const r = await request(url, "GET", "/api/user/info", { token: leaver.token }, tally);
      checks.equal([r.status, r.json?.error], [401, "UNAUTHORIZED"], r.text);
    });

    await t.step("nothing oversold, nothing lost; every 2xx has its order; audit ok", async () => {
      checks.equal(orderNos.size, stock, "every ticket sold once");
      checks.equal(seatOrders.size, seatsN, "every seat sold once");
      // A seat taken: SEAT_UNAVAILABLE, or SOLD_OUT once the seated tier has no seat left.
      const seatRefusals = (refusals.get("seat SEAT_UNAVAILABLE") ?? 0) +
        (refusals.get("seat SOLD_OUT") ?? 0);
      checks.equal(seatRefusals, seatsN, `seat buyers refused: ${JSON.stringify([...refusals])}`);
      checks.equal(
        [...refusals].filter(([k]) => !k.startsWith("seat")),
        [["ticket SOLD_OUT", buyersN - seatsN * 2 - stock]],
        `ticket buyers refused: ${JSON.stringify([...refusals])}`,
      );
      const seatRows = await env.ctx.db.rows<{ user_id: number; order_no: string }>(
        "SELECT user_id, order_no FROM orders WHERE session_id = ? AND status IN (0, 1)",
        [seated.sessionId],
      );
      checks.equal(
        Object.fromEntries(seatRows.map((r) => [r.user_id, r.order_no])),
        Object.fromEntries(seatOrders),
        "the seat orders in MySQL are those answered 2xx",
      );
      const rows = await env.ctx.db.rows<{ order_no: string; user_id: number; quantity: number }>(
        "SELECT order_no, user_id, quantity FROM orders WHERE ticket_id = ? AND status IN (0, 1)",
        [sale.ticketId],
      );
      checks.equal(rows.length, stock, "one order row per ticket sold");
      const byUser = new Map(rows.map((r) => [r.user_id, r.order_no]));
      for (const [userId, orderNo] of orderNos) {
        checks.equal(byUser.get(userId), orderNo, `buyer ${userId}'s order is in MySQL`);
      }
      const [st] = await env.ctx.db.rows<{ total: number; locked: number; sold: number }>(
        "SELECT total_stock AS total, locked_stock AS locked, sold_stock AS sold FROM ticket_stock WHERE ticket_id = ?",
        [sale.ticketId],
      );
      checks.equal(st, { total: stock, locked: stock, sold: 0 }, "stock row");
      checks.equal(bugsLogged(server!), [], "unhandled errors in the server log");
      const report = await assertAudit(env, [sale.sessionId, seated.sessionId]);
      checks.passed += report.checks.length;
    });
  } finally {
    await stopServer(server);
    await env.close().catch(() => {});
  }
  return summaryOf("1 Redis wiped mid-sale", tally, checks);
});
