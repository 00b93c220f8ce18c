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
import type { ServerProcess } from "../support/process.ts";
import { audit } from "#lib/ops/audit.ts";
import {
  assertAudit,
  bugsLogged,
  Checks,
  drill,
  drillEnv,
  fire,
  FULL,
  type Reply,
  request,
  size,
  startServer,
  stopServer,
  summaryOf,
  Tally,
  waitFor,
} from "./_support.ts";

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
  let server: ServerProcess | undefined;
  try {
    const sale = await createSale(env, { stock, limit: 4 });
    const buyers = await env.users(buyersN);
    server = await startServer(env, serverVars);

    const created = new Map<number, string>();
    const refused = new Map<number, string>();
    const unanswered: string[] = [];
    const bugs: string[] = [];
    let finished = 0;
    let killed = 0;
    let stopped = false;

    const until = async (what: string, send: () => Promise<Reply>) => {
      const deadline = Date.now() + (FULL ? 120_000 : 60_000);
      while (Date.now() < deadline) {
        let r: Reply | undefined;
        try {
          r = await send();
        } catch {
          r = undefined; // killed under the request, or not listening yet
        }
        if (r && r.status !== 503 && r.json?.error !== "CONFLICT") return r;
        // A client backing off before its retry (the drill's load, not a synchronisation).
        await new Promise((res) => setTimeout(res, 50 + Math.random() * 150));
      }
      unanswered.push(what);
      return undefined;
    };

    await t.step(`${buyersN} buyers, ${stock} tickets; killed ${kills} times`, async () => {
      const killer = (async () => {
        while (killed < kills && !stopped) {
          const at = Math.floor(buyersN * (killed + 0.3 + Math.random() * 0.5) / (kills + 1));
          while (finished < at && !stopped) await new Promise((res) => setTimeout(res, 5));
          if (stopped) break;
          const victim = server!;
          victim.signal("SIGKILL");
          await victim.exited;
          bugs.push(...bugsLogged(victim));
          killed++;
          server = await startServer(env, serverVars);
        }
      })();
      const janitor = (async () => {
        while (!stopped) {
          await request(server!.url, "POST", "/api/admin/jobs/reconcile/run", {
            token: sale.adminToken,
          }).catch(() => undefined);
          await new Promise((res) => setTimeout(res, 1000));
        }
      })();
      const selling = fire(buyersN, 64, async (i) => {
        const buyer = buyers[i];
        try {
          const r = await until(
            `create of buyer ${buyer.id}`,
            () =>
              request(server!.url, "POST", "/api/order/create", {
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
      checks.equal(unanswered, [], "requests that never got an answer");
      checks.equal(killed, kills, "the server was killed as many times as planned");
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
      let last = "";
      await waitFor(
        "reconcile to repair what the kills left",
        async () => {
          const run = await request(server!.url, "POST", "/api/admin/jobs/reconcile/run", {
            token: sale.adminToken,
          });
          const r = await audit(env.ctx, { sessionIds: [sale.sessionId], graceMs: 0 });
          last = JSON.stringify(r.violations.slice(0, 5));
          return run.status === 200 && r.ok ? true : undefined;
        },
        GRACE_SECONDS * 1000 + 15_000,
        250,
      ).catch((e) => {
        throw new Error(`${e.message}\n${last}`);
      });
      checks.equal([...bugs, ...bugsLogged(server!)], [], "unhandled errors in the server logs");
      const report = await assertAudit(env, [sale.sessionId]);
      checks.passed += report.checks.length;
    });
  } finally {
    await stopServer(server);
    await env.close().catch(() => {});
  }
  return summaryOf("7 SIGKILL, batches in flight", tally, checks);
});
