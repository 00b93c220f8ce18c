/**
 * Baseline of `seed-design`: the reference system's purchase strategy on boxoffice's HTTP stack
 * (Deno, Hono, jose, mysql2) and schema. No Redis gate: each create reads the tier's stock and
 * version, then moves the stock with `UPDATE ... WHERE version = ?` and writes the order in one
 * transaction, retrying up to 3 times when another buyer bumped the version first; after that
 * the buyer is refused (409 CONFLICT) although stock remains.
 *
 *   PORT=... DATABASE_URL=... JWT_SECRET=... DB_POOL_SIZE=20 deno run -A bench/baselines/seed_design.ts
 */
import { Hono, jwtVerify, mysql, type ResultSetHeader } from "#deps";
import { connectionOptions } from "#lib/platform/db.ts";
import { nextOrderNo } from "#lib/orders/order_numbers.ts";

const env = (name: string) => {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const key = new TextEncoder().encode(env("JWT_SECRET"));
const poolSize = Number(Deno.env.get("DB_POOL_SIZE") ?? "20");
const pool = mysql.createPool({
  ...connectionOptions(env("DATABASE_URL")),
  connectionLimit: poolSize,
  maxIdle: poolSize,
  waitForConnections: true,
  queueLimit: 0,
});
const MAX_RETRIES = 3;

const fail = (status: 401 | 400 | 404 | 409, error: string, message: string) =>
  Response.json({ code: status, message, data: null, success: false, error }, { status });

const app = new Hono();
// Echoed as boxoffice does: the wrk flows tie replies to requests with it.
app.use("*", async (c, next) => {
  await next();
  c.res.headers.set("x-trace-id", c.req.header("x-trace-id") ?? "");
});
app.post("/api/order/create", async (c) => {
  const auth = c.req.header("authorization") ?? "";
  let userId: number;
  try {
    const { payload } = await jwtVerify(auth.replace(/^Bearer /, ""), key, {
      algorithms: ["HS256"],
    });
    userId = Number(payload.sub);
  } catch {
    return fail(401, "UNAUTHORIZED", "invalid token");
  }
  const body = await c.req.json().catch(() => ({})) as { ticketId?: number; quantity?: number };
  const ticketId = Number(body.ticketId);
  const quantity = Number(body.quantity ?? 1);
  const [tiers] = await pool.query(
    `SELECT t.show_id, t.session_id, t.price FROM tickets t WHERE t.id = ?`,
    [ticketId],
  ) as unknown as [{ show_id: number; session_id: number; price: number }[]];
  const tier = tiers[0];
  if (!tier) return fail(404, "NOT_FOUND", `ticket ${ticketId}`);
  for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
    const [rows] = await pool.query(
      `SELECT total_stock - locked_stock - sold_stock AS available, version
         FROM ticket_stock WHERE ticket_id = ?`,
      [ticketId],
    ) as unknown as [{ available: number; version: number }[]];
    if (rows[0].available < quantity) return fail(409, "SOLD_OUT", "sold out");
    const conn = await pool.getConnection();
    try {
      await conn.beginTransaction();
      const [moved] = await conn.query(
        `UPDATE ticket_stock SET locked_stock = locked_stock + ?, version = version + 1
          WHERE ticket_id = ? AND version = ?`,
        [quantity, ticketId, rows[0].version],
      ) as unknown as [ResultSetHeader];
      if (moved.affectedRows === 0) {
        await conn.rollback();
        continue;
      }
      const orderNo = nextOrderNo(Date.now());
      const now = new Date();
      const [order] = await conn.query(
        `INSERT INTO orders (order_no, user_id, show_id, session_id, ticket_id, quantity, price,
                             total_amount, status, expire_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
        [
          orderNo,
          userId,
          tier.show_id,
          tier.session_id,
          ticketId,
          quantity,
          tier.price,
          tier.price * quantity,
          new Date(now.getTime() + 900_000),
          now,
        ],
      ) as unknown as [ResultSetHeader];
      await conn.query(
        `INSERT INTO order_items (order_id, ticket_id, seat_id, seat_info, price, quantity, subtotal)
         VALUES (?, ?, NULL, NULL, ?, ?, ?)`,
        [order.insertId, ticketId, tier.price, quantity, tier.price * quantity],
      );
      await conn.query(
        "INSERT INTO order_status_log (order_id, from_status, to_status, reason) VALUES (?, NULL, 0, 'created')",
        [order.insertId],
      );
      await conn.commit();
      return c.json({ code: 200, message: "success", data: orderNo, success: true });
    } catch (e) {
      await conn.rollback().catch(() => {});
      throw e;
    } finally {
      conn.release();
    }
  }
  return fail(409, "CONFLICT", "the stock changed under us: please retry");
});

const server = Deno.serve(
  { hostname: "127.0.0.1", port: Number(env("PORT")), onListen: () => console.log("listening") },
  app.fetch,
);
Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  await pool.end();
  Deno.exit(0);
});
