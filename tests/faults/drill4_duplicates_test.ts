/**
 * Drill 4: duplicates and replays. Every create, pay and cancel is sent twice at the same moment,
 * with and without an Idempotency-Key (without one, the service's dedup window applies), and
 * replayed once more afterwards. Both replies of a pair must be the reply one request would have
 * got (same status, same data, same error); each buyer ends with exactly the orders one request
 * each would have made; the audit finds nothing.
 */
import { createSeatedSale } from "../support/seating.ts";
import type { ServerProcess } from "../support/process.ts";
import { createSale } from "../support/sale.ts";
import {
  assertAudit,
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

drill("4: duplicates and replays", { short: true }, async (t, stores) => {
  const buyersN = size(600, 90);
  const env = await drillEnv(stores);
  const checks = new Checks();
  const tally = new Tally();
  let server: ServerProcess | undefined;
  try {
    const sale = await createSale(env, { stock: buyersN * 2, limit: 4 });
    const seated = await createSeatedSale(env, { rows: Math.ceil(buyersN / 10), cols: 10 });
    const buyers = await env.users(buyersN);
    server = await startServer(env);
    const url = server.url;
    /** What each buyer should end with: order number → expected status. */
    const expected = new Map<number, Map<string, number>>();

    const same = (a: Reply, b: Reply, what: string) => {
      checks.equal(
        { status: b.status, data: b.json?.data, error: b.json?.error },
        { status: a.status, data: a.json?.data, error: a.json?.error },
        `${what}: the two replies differ: ${a.text} / ${b.text}`,
      );
    };
    const twice = async (what: string, send: () => Promise<Reply>): Promise<Reply> => {
      const [a, b] = await Promise.all([send(), send()]);
      same(a, b, what);
      return a;
    };

    await t.step(`${buyersN} buyers: every request sent twice at once`, async () => {
      await fire(buyersN, 32, async (i) => {
        const buyer = buyers[i];
        const keyed = i % 2 === 0;
        const headers: Record<string, string> = keyed
          ? { "idempotency-key": `dup-${buyer.id}` }
          : {};
        const mine = new Map<string, number>();
        expected.set(buyer.id, mine);
        const call = (method: string, path: string, body?: unknown, h = headers) => () =>
          request(url, method, path, { token: buyer.token, body, headers: h }, tally);

        // General admission: create twice, replay.
        const createGa = call("POST", "/api/order/create", {
          ticketId: sale.ticketId,
          quantity: 1 + (i % 3),
        });
        const created = await twice(`create of buyer ${buyer.id}`, createGa);
        checks.equal(created.status, 200, `create: ${created.text}`);
        const orderNo = String(created.json!.data);
        same(created, await createGa(), `replayed create of buyer ${buyer.id}`);

        // Seated: one seat, created twice at once.
        const seatCreate = call("POST", "/api/order/create", { seatIds: [seated.seatIds[i]] }, {
          ...(keyed ? { "idempotency-key": `dup-seat-${buyer.id}` } : {}),
        });
        const seatOrder = await twice(`seat order of buyer ${buyer.id}`, seatCreate);
        checks.equal(seatOrder.status, 200, `seat create: ${seatOrder.text}`);
        const seatNo = String(seatOrder.json!.data);

        switch (i % 3) {
          case 0: {
            const pay = await twice(
              `pay of ${orderNo}`,
              call("POST", `/api/order/pay/${orderNo}`, { payType: 2 }),
            );
            checks.equal([pay.status, pay.json?.data], [200, true], `pay: ${pay.text}`);
            same(pay, await call("POST", `/api/order/pay/${orderNo}`, { payType: 2 })(), "re-pay");
            const cancel = await twice(
              `cancel of paid ${orderNo}`,
              call("PUT", `/api/order/cancel/${orderNo}`),
            );
            checks.equal([cancel.status, cancel.json?.error], [409, "ORDER_STATE"], cancel.text);
            mine.set(orderNo, 1);
            break;
          }
          case 1: {
            const cancel = await twice(
              `cancel of ${orderNo}`,
              call("POST", `/api/order/cancel?orderNo=${orderNo}`),
            );
            checks.equal([cancel.status, cancel.json?.data], [200, true], cancel.text);
            const pay = await twice(
              `pay of cancelled ${orderNo}`,
              call("POST", `/api/order/pay?orderNo=${orderNo}&payType=1`),
            );
            checks.equal([pay.status, pay.json?.error], [409, "ORDER_STATE"], pay.text);
            if (keyed) {
              // The same key answers with the first order, cancelled or not, and creates nothing.
              const replay = await createGa();
              checks.equal(replay.json?.data, orderNo, `replay after cancel: ${replay.text}`);
            }
            mine.set(orderNo, 2);
            break;
          }
          default: {
            const pay = await twice(
              `pay by query of ${orderNo}`,
              call("POST", `/api/order/pay?orderNo=${orderNo}&payType=3`),
            );
            checks.equal([pay.status, pay.json?.data], [200, true], pay.text);
            mine.set(orderNo, 1);
          }
        }
        // The seat order: cancelled twice for odd buyers, left unpaid for the others.
        if (i % 2 === 1) {
          const cancel = await twice(
            `cancel of seat order ${seatNo}`,
            call("PUT", `/api/order/cancel/${seatNo}`),
          );
          checks.equal([cancel.status, cancel.json?.data], [200, true], cancel.text);
          mine.set(seatNo, 2);
        } else mine.set(seatNo, 0);
      });
    });

    await t.step("each buyer has exactly the orders of single requests; audit ok", async () => {
      const rows = await env.ctx.db.rows<{ user_id: number; order_no: string; status: number }>(
        "SELECT user_id, order_no, status FROM orders WHERE user_id IN (?)",
        [buyers.map((b) => b.id)],
      );
      const got = new Map<number, Map<string, number>>();
      for (const r of rows) {
        if (!got.has(r.user_id)) got.set(r.user_id, new Map());
        got.get(r.user_id)!.set(r.order_no, r.status);
      }
      for (const b of buyers) {
        checks.equal(
          Object.fromEntries(got.get(b.id) ?? []),
          Object.fromEntries(expected.get(b.id)!),
          `orders of buyer ${b.id}`,
        );
      }
      checks.equal(tally.serverErrors, 0, "no 5xx");
      checks.equal(bugsLogged(server!), [], "unhandled errors in the server log");
      const report = await assertAudit(env, [sale.sessionId, seated.sessionId]);
      checks.passed += report.checks.length;
    });
  } finally {
    await stopServer(server);
    await env.close().catch(() => {});
  }
  return summaryOf("4 duplicates and replays", tally, checks);
});
