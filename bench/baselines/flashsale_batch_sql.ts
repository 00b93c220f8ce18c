/**
 * The batched-SQL ceiling of `flashsale` (issue 18): group commit straight to MariaDB, no HTTP,
 * no auth, no Redis. `concurrency` senders each take the next `batchSize` orders (one ticket
 * each, buyers in turn, at most `perBuyer` per buyer) and write them in one transaction, one
 * round trip, with the same statements boxoffice's committer sends (lib/orders/statements.ts
 * batchStatements: multi-row INSERTs of orders, items, status log, buyer totals, then one
 * UPDATE of the tier's stock under its CHECK constraint). Reads its job as JSON on stdin, prints
 * a JSON report; the per-order ceiling is baselines/flashsale_sql.ts.
 */
import { createDb } from "#lib/platform/db.ts";
import {
  batchStatements,
  isConstraintViolation,
  type NewOrderRow,
} from "#lib/orders/statements.ts";
import { cpuSeconds, round, Tally } from "../stats.ts";
import type { SqlJob } from "./flashsale_sql.ts";
import { oneTicketOrder } from "./one_ticket_order.ts";

export interface BatchSqlJob extends SqlJob {
  /** Orders per transaction. */
  batchSize: number;
}

const job = JSON.parse(await new Response(Deno.stdin.readable).text()) as BatchSqlJob;
const db = createDb({ url: job.databaseUrl, poolSize: job.poolSize });

const perOrder = new Tally();
const perBatch = new Tally();
let serial = 0;
const stamp = String(Date.now()).slice(-9);

/** The buyers in turn, each `perBuyer` times at most (a buyer's orders spread over time). */
let nextBuyer = 0;
let round_ = 0;
function takeBuyer(): number | undefined {
  if (nextBuyer === job.userIds.length) {
    nextBuyer = 0;
    if (++round_ === job.perBuyer) return undefined;
  }
  if (round_ >= job.perBuyer) return undefined;
  return job.userIds[nextBuyer++];
}

/** 23 digits like the service's order numbers; unique within the run. */
const orderNoOf = () => `9${stamp}${String(++serial).padStart(13, "0")}`;

const cpu0 = cpuSeconds("self");
const started = performance.now();
const deadline = started + job.durationMs;
let soldOut = false;
let batches = 0;
await Promise.all(
  Array.from({ length: job.concurrency }, async () => {
    while (!soldOut && performance.now() < deadline) {
      const now = Date.now();
      const rows: NewOrderRow[] = [];
      for (let u; rows.length < job.batchSize && (u = takeBuyer()) !== undefined;) {
        rows.push(oneTicketOrder(job, u, orderNoOf(), now));
      }
      if (rows.length === 0) return;
      const t0 = performance.now();
      try {
        await db.atomic(batchStatements(rows));
        batches++;
        const ms = performance.now() - t0;
        perBatch.record(ms, { ok: true });
        for (let i = 0; i < rows.length; i++) perOrder.record(ms, { ok: true });
      } catch (e) {
        const code = isConstraintViolation(e)
          ? "SOLD_OUT"
          : String((e as { code?: string }).code ?? "ERROR");
        perBatch.record(performance.now() - t0, { ok: false, code });
        if (code === "SOLD_OUT") soldOut = true;
      }
    }
  }),
);
const elapsedMs = performance.now() - started;
await db.close();
console.log(JSON.stringify({
  elapsedMs: Math.round(elapsedMs),
  total: perOrder.summary(),
  batches: perBatch.summary(),
  batchSize: job.batchSize,
  ordersPerSecond: round(perOrder.successes / (elapsedMs / 1000)),
  loadgenCores: round((cpuSeconds("self") - cpu0) / (elapsedMs / 1000)),
}));
