/**
 * Baseline of `flashsale`: the ceiling MariaDB sets on order creation. A minimal Deno program
 * sends exactly the transaction boxoffice's create sends (lib/orders.ts insertOrder: INSERT
 * orders, INSERT order_items, INSERT order_status_log, conditional UPDATE ticket_stock, COMMIT)
 * straight to MariaDB through a mysql2 pool of the same size, from the same number of concurrent
 * buyers; no HTTP, no auth, no Redis. Reads its job as JSON on stdin, prints a JSON report.
 */
import { mysql, type ResultSetHeader } from "../../deps.ts";
import { connectionOptions } from "../../lib/db.ts";
import { nextOrderNo } from "../../lib/order_numbers.ts";
import { cpuSeconds, round, Tally } from "../stats.ts";

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
}

const job = JSON.parse(await new Response(Deno.stdin.readable).text()) as SqlJob;
const pool = mysql.createPool({
  ...connectionOptions(job.databaseUrl),
  connectionLimit: job.poolSize,
  maxIdle: job.poolSize,
  waitForConnections: true,
  queueLimit: 0,
});
pool.pool.on("connection", (conn: { query(sql: string): void }) => {
  conn.query("SET SESSION time_zone = '+00:00', innodb_lock_wait_timeout = 5");
});

const tally = new Tally();
const payPeriodMs = 900_000;

/** One order of one ticket: true when placed, false when sold out. */
async function placeOne(userId: number): Promise<boolean> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const now = Date.now();
    const [order] = await conn.query(
      `INSERT INTO orders (order_no, user_id, show_id, session_id, ticket_id, quantity, price,
                           total_amount, status, expire_at, contact_phone, remark,
                           idempotency_key, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)`,
      [
        nextOrderNo(now),
        userId,
        job.showId,
        job.sessionId,
        job.ticketId,
        1,
        job.price,
        job.price,
        new Date(now + payPeriodMs),
        null,
        null,
        crypto.randomUUID(),
        new Date(now),
      ],
    ) as unknown as [ResultSetHeader];
    await conn.query(
      `INSERT INTO order_items (order_id, ticket_id, seat_id, seat_info, price, quantity, subtotal)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [order.insertId, job.ticketId, null, null, job.price, 1, job.price],
    );
    await conn.query(
      "INSERT INTO order_status_log (order_id, from_status, to_status, reason) VALUES (?, NULL, 0, 'created')",
      [order.insertId],
    );
    const [moved] = await conn.query(
      `UPDATE ticket_stock SET locked_stock = locked_stock + ?, version = version + 1
        WHERE ticket_id = ? AND total_stock - locked_stock - sold_stock >= ?`,
      [1, job.ticketId, 1],
    ) as unknown as [ResultSetHeader];
    if (moved.affectedRows === 0) {
      await conn.rollback();
      return false;
    }
    await conn.commit();
    return true;
  } catch (e) {
    await conn.rollback().catch(() => {});
    throw e;
  } finally {
    conn.release();
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
await pool.end();
console.log(JSON.stringify({
  elapsedMs: Math.round(elapsedMs),
  total: tally.summary(),
  ordersPerSecond: round(tally.successes / (elapsedMs / 1000)),
  loadgenCores: round((cpuSeconds("self") - cpu0) / (elapsedMs / 1000)),
}));
