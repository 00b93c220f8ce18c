/**
 * Drill 3: the service process killed with SIGKILL at random moments during a sale, several
 * times, and started again each time.
 *
 * Every buyer creates an order (one ticket, with an Idempotency-Key); every other buyer pays it
 * and one in four cancels it; a buyer whose request got no reply, a 503 or a "still being processed" retries the same
 * request (same key) against the restarted server. A kill between the Redis reserve and the
 * MySQL commit leaves a reservation without an order: the reconcile job must release it once
 * it is older than RECONCILE_GRACE_SECONDS. At the end every 2xx create has its order, every
 * buyer got an answer, and the audit (with no grace at all) finds nothing.
 */
import { createSale } from "../support/sale.ts";
import { audit } from "#lib/ops/audit.ts";
import {
  assertAudit,
  Checks,
  drill,
  drillEnv,
  fire,
  request,
  size,
  stopServer,
  summaryOf,
  Tally,
} from "./_support.ts";
import {
  CrashingServer,
  reconcileEverySecond,
  reconcileUntilConsistent,
  RetryingClient,
} from "./_crashes.ts";

const GRACE_SECONDS = 2;

drill("3: service SIGKILLed mid-sale, restarted", { short: true }, async (t, stores) => {
  const buyersN = size(1200, 240);
  const kills = size(6, 3);
  const env = await drillEnv(stores, { RECONCILE_GRACE_SECONDS: String(GRACE_SECONDS) });
  const checks = new Checks();
  const tally = new Tally();
  // A killed server may die holding a job's lease: a short lease lets the next run proceed soon.
  const serverVars = { RECONCILE_GRACE_SECONDS: String(GRACE_SECONDS), JOB_LEASE_SECONDS: "2" };
  let server: CrashingServer | undefined;
  try {
    const sale = await createSale(env, { stock: buyersN, limit: 4 });
    const buyers = await env.users(buyersN);
    const live = server = await CrashingServer.start(env, serverVars);

    const created = new Map<number, string>();
    const paid = new Set<number>();
    const cancelled = new Set<number>();
    const client = new RetryingClient();
    let finished = 0;
    let stopped = false;
    const saleStopped = () => stopped || finished >= buyersN;

    await t.step(`${buyersN} buyers; the server is killed ${kills} times`, async () => {
      const killer = live.crashDuring({
        kills,
        total: buyersN,
        progress: () => finished,
        stopped: saleStopped,
      });
      const janitor = reconcileEverySecond(live, sale.adminToken, saleStopped);
      const selling = fire(buyersN, 48, async (i) => {
        const buyer = buyers[i];
        try {
          const r = await client.send(
            `create of buyer ${buyer.id}`,
            () =>
              request(live.url, "POST", "/api/order/create", {
                token: buyer.token,
                body: { ticketId: sale.ticketId, quantity: 1 },
                headers: { "idempotency-key": `crash-${buyer.id}` },
              }, tally),
          );
          if (!r) return;
          checks.equal(r.status, 200, `buyer ${buyer.id}: ${r.text}`);
          const orderNo = String(r.json!.data);
          created.set(buyer.id, orderNo);
          if (i % 2 === 0) {
            const p = await client.send(
              `pay of buyer ${buyer.id}`,
              () =>
                request(live.url, "POST", `/api/order/pay/${orderNo}`, {
                  token: buyer.token,
                  body: { payType: 1 },
                }, tally),
            );
            if (!p) return;
            checks.equal(p.status, 200, `pay of buyer ${buyer.id}: ${p.text}`);
            paid.add(buyer.id);
          } else if (i % 4 === 1) {
            const c = await client.send(
              `cancel of buyer ${buyer.id}`,
              () =>
                request(live.url, "PUT", `/api/order/cancel/${orderNo}`, {
                  token: buyer.token,
                }, tally),
            );
            if (!c) return;
            checks.equal(c.status, 200, `cancel of buyer ${buyer.id}: ${c.text}`);
            cancelled.add(buyer.id);
          }
        } finally {
          finished++;
        }
      });
      // Killer and janitor stop with the sale, even a failed one: nothing outlives the drill.
      const [sold] = await Promise.allSettled([selling]);
      stopped = true;
      await killer;
      await janitor;
      if (sold.status === "rejected") throw sold.reason;
    });

    await t.step("every buyer was answered; every 2xx create has its order", async () => {
      checks.equal(client.unanswered, [], "requests that never got an answer");
      checks.equal(live.kills, kills, "the server was killed as many times as planned");
      checks.equal(tally.byStatus.get(500) ?? 0, 0, "no 500");
      const rows = await env.ctx.db.rows<{ order_no: string; user_id: number; status: number }>(
        "SELECT order_no, user_id, status FROM orders WHERE ticket_id = ?",
        [sale.ticketId],
      );
      const byNo = new Map(rows.map((r) => [r.order_no, r]));
      for (const [userId, orderNo] of created) {
        const row = byNo.get(orderNo);
        checks.ok(row && row.user_id === userId, `order ${orderNo} of buyer ${userId} is in MySQL`);
        const status = paid.has(userId) ? 1 : cancelled.has(userId) ? 2 : 0;
        checks.equal(row!.status, status, `status of ${orderNo}`);
      }
      checks.equal(rows.length, created.size, "one order per buyer, no extra");
    });

    await t.step("reconcile releases reservations without an order after the grace", async () => {
      const before = await audit(env.ctx, { sessionIds: [sale.sessionId], graceMs: 0 });
      console.log(
        `drill 3: before reconcile ${before.violations.length} violations ` +
          `(${[...new Set(before.violations.map((v) => v.check.slice(0, 2)))].join(" ")})`,
      );
      const ms = await reconcileUntilConsistent(env, live, sale, GRACE_SECONDS);
      console.log(`drill 3: consistent again ${ms} ms after the sale`);
      checks.equal(live.allBugs(), [], "unhandled errors in the server logs");
      const report = await assertAudit(env, [sale.sessionId]);
      checks.passed += report.checks.length;
    });
  } finally {
    await stopServer(server?.current);
    await env.close().catch(() => {});
  }
  return summaryOf("3 service SIGKILLed", tally, checks);
});
