/**
 * Drill 7: the service SIGKILLed while group-commit batches are in flight (issue 18).
 *
 * A flash crowd of creates on one tier with fewer tickets than buyers, batching on with a wait
 * long enough that every kill lands on queued and in-flight batches. Each buyer sends one create
 * (one ticket, an Idempotency-Key) and retries the same request after no reply, a 503 or a
 * "still being processed" against the restarted server. A kill may leave reservations whose
 * batch never committed: reconcile releases them after the grace period.
 * At the end: every 2xx create has its order (a batch acknowledged is a batch committed), one
 * order per buyer at most, no oversell, refusals only SOLD_OUT, MySQL's per-buyer totals equal
 * the buyers' orders, and the audit (no grace) finds nothing.
 */
import { createSale } from "../support/sale.ts";
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

drill("7: service SIGKILLed with group commits in flight", { short: true }, async (t, stores) => {
  const buyersN = size(1500, 300);
  const stock = Math.floor(buyersN * 0.8);
  const kills = size(5, 2);
  const env = await drillEnv(stores, { RECONCILE_GRACE_SECONDS: String(GRACE_SECONDS) });
  const checks = new Checks();
  const tally = new Tally();
  const serverVars = {
    RECONCILE_GRACE_SECONDS: String(GRACE_SECONDS),
    JOB_LEASE_SECONDS: "2",
    ORDER_BATCH: "true",
    ORDER_BATCH_MAX: "32",
    // Long enough that creates queue for the next batch while batches commit: a kill always
    // finds some queued and some sent.
    ORDER_BATCH_WAIT_MS: "20",
  };
  let server: CrashingServer | undefined;
  try {
    const sale = await createSale(env, { stock, limit: 4 });
    const buyers = await env.users(buyersN);
    const live = server = await CrashingServer.start(env, serverVars);

    const created = new Map<number, string>();
    const refused = new Map<number, string>();
    const client = new RetryingClient();
    let finished = 0;
    let stopped = false;

    await t.step(`${buyersN} buyers, ${stock} tickets; killed ${kills} times`, async () => {
      const killer = live.crashDuring({
        kills,
        total: buyersN,
        progress: () => finished,
        stopped: () => stopped,
      });
      const janitor = reconcileEverySecond(live, sale.adminToken, () => stopped);
      const selling = fire(buyersN, 64, async (i) => {
        const buyer = buyers[i];
        try {
          const r = await client.send(
            `create of buyer ${buyer.id}`,
            () =>
              request(live.url, "POST", "/api/order/create", {
                token: buyer.token,
                body: { ticketId: sale.ticketId, quantity: 1 },
                headers: { "idempotency-key": `batch-kill-${buyer.id}` },
              }, tally),
          );
          if (!r) return;
          if (r.status === 200) created.set(buyer.id, String(r.json!.data));
          else refused.set(buyer.id, String(r.json?.error));
        } finally {
          finished++;
        }
      });
      const [sold] = await Promise.allSettled([selling]);
      stopped = true;
      await killer;
      await janitor;
      if (sold.status === "rejected") throw sold.reason;
    });

    await t.step("every acknowledged order is in MySQL; no oversell", async () => {
      checks.equal(client.unanswered, [], "requests that never got an answer");
      checks.equal(live.kills, kills, "the server was killed as many times as planned");
      checks.equal(tally.byStatus.get(500) ?? 0, 0, "no 500");
      checks.equal(
        [...new Set(refused.values())].filter((code) => code !== "SOLD_OUT"),
        [],
        "refusals other than SOLD_OUT",
      );
      const rows = await env.ctx.db.rows<{ order_no: string; user_id: number }>(
        "SELECT order_no, user_id FROM orders WHERE ticket_id = ?",
        [sale.ticketId],
      );
      const byNo = new Map(rows.map((r) => [r.order_no, r]));
      for (const [userId, orderNo] of created) {
        checks.ok(byNo.get(orderNo)?.user_id === userId, `order ${orderNo} of ${userId} in MySQL`);
      }
      checks.equal(rows.length, created.size, "one order per acknowledged create, no extra");
      checks.ok(rows.length <= stock, `no oversell (${rows.length} orders, ${stock} tickets)`);
      const [totals] = await env.ctx.db.rows<{ off: number }>(
        `SELECT COUNT(*) AS off FROM buyer_tier_totals b
          WHERE b.ticket_id = ? AND b.quantity <> (SELECT COALESCE(SUM(o.quantity), 0) FROM orders o
                 WHERE o.user_id = b.user_id AND o.ticket_id = b.ticket_id AND o.status IN (0, 1))`,
        [sale.ticketId],
      );
      checks.equal(Number(totals.off), 0, "buyer totals equal the buyers' active orders");
    });

    await t.step("reconcile releases what the killed batches left", async () => {
      await reconcileUntilConsistent(env, live, sale, GRACE_SECONDS);
      checks.equal(live.allBugs(), [], "unhandled errors in the server logs");
      const report = await assertAudit(env, [sale.sessionId]);
      checks.passed += report.checks.length;
    });
  } finally {
    await stopServer(server?.current);
    await env.close().catch(() => {});
  }
  return summaryOf("7 SIGKILL, batches in flight", tally, checks);
});
