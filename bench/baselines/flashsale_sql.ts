/**
 * The per-order ceiling of `flashsale`: what MariaDB allows when every order is its own
 * transaction. A minimal Deno program sends exactly the transaction boxoffice's create sends with
 * ORDER_BATCH off (lib/orders/statements.ts orderStatements: INSERT orders, order_items,
 * order_status_log, the buyer's total in buyer_tier_totals, UPDATE ticket_stock, both under their
 * CHECK constraints, COMMIT, in one round trip through Db.atomic) straight to MariaDB with a pool
 * of the same size, from the same number of concurrent buyers; no HTTP, no auth, no Redis. Reads
 * its job as JSON on stdin, prints a JSON report. The batched ceiling is flashsale_batch_sql.ts.
 */
import { createDb } from "#lib/platform/db.ts";
import { isConstraintViolation, orderStatements } from "#lib/orders/statements.ts";
import { nextOrderNo } from "#lib/orders/order_numbers.ts";
import { cpuSeconds, round, Tally } from "../stats.ts";
import { oneTicketOrder } from "./one_ticket_order.ts";

export interface SqlJob {
  databaseUrl: string;
  poolSize: number;
  concurrency: number;
  durationMs: number;
  showId: number;
  sessionId: number;
  ticketId: number;
  price: number;
  userIds: number[];
  /** Orders (of quantity 1) each buyer places before it is done. */
  perBuyer: number;
  /** The tier's per-buyer limit (buyer_tier_totals' guard). */
  limit: number;
}

const job = JSON.parse(await new Response(Deno.stdin.readable).text()) as SqlJob;
// The service's own pool setup (lib/platform/db.ts), so both sides connect alike.
const db = createDb({ url: job.databaseUrl, poolSize: job.poolSize });

const tally = new Tally();

/** One order of one ticket: true when placed, false when sold out. */
async function placeOne(userId: number): Promise<boolean> {
  const now = Date.now();
  try {
    await db.atomic(orderStatements(oneTicketOrder(job, userId, nextOrderNo(now), now)));
    return true;
  } catch (e) {
    if (isConstraintViolation(e)) return false;
    throw e;
  }
}

const cpu0 = cpuSeconds("self");
const started = performance.now();
const deadline = started + job.durationMs;
let soldOut = false;
await Promise.all(
  Array.from({ length: job.concurrency }, async (_, w) => {
    const buyers = job.userIds.filter((_, i) => i % job.concurrency === w);
    for (const userId of buyers) {
      for (let got = 0; got < job.perBuyer && !soldOut && performance.now() < deadline;) {
        const t0 = performance.now();
        try {
          if (await placeOne(userId)) {
            tally.record(performance.now() - t0, { ok: true });
            got++;
          } else {
            tally.record(performance.now() - t0, { ok: false, code: "SOLD_OUT" });
            soldOut = true;
          }
        } catch (e) {
          tally.record(performance.now() - t0, {
            ok: false,
            code: String((e as { code?: string }).code ?? "ERROR"),
          });
        }
      }
    }
  }),
);
const elapsedMs = performance.now() - started;
await db.close();
console.log(JSON.stringify({
  elapsedMs: Math.round(elapsedMs),
  total: tally.summary(),
  ordersPerSecond: round(tally.successes / (elapsedMs / 1000)),
  loadgenCores: round((cpuSeconds("self") - cpu0) / (elapsedMs / 1000)),
}));
