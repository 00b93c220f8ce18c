/** A seated sale for tests: a tier whose stock is the seats of one area made through the API. */
import assert from "node:assert/strict";
import type { TestEnv } from "./env.ts";
import { createSale, type Sale } from "./sale.ts";

export interface SeatedSale extends Sale {
  areaId: number;
  seatIds: number[];
}

export async function createSeatedSale(
  env: TestEnv,
  opts: { rows: number; cols: number; limit?: number; price?: number; name?: string },
): Promise<SeatedSale> {
  const sale = await createSale(env, { stock: 0, limit: opts.limit ?? 4 });
  const res = await env.call<{ id: number }>("POST", "/api/seat/areas", {
    token: sale.adminToken,
    body: {
      showId: sale.showId,
      sessionId: sale.sessionId,
      ticketId: sale.ticketId,
      name: opts.name ?? "Stalls",
      rows: opts.rows,
      cols: opts.cols,
      price: opts.price ?? 100,
    },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const rows = await env.ctx.db.rows<{ id: number }>(
    "SELECT id FROM seats WHERE area_id = ? ORDER BY row_num, seat_num",
    [res.body.data.id],
  );
  return { ...sale, areaId: res.body.data.id, seatIds: rows.map((r) => r.id) };
}

/** Waits (bounded) until `check` holds, polling; for conditions that become true by themselves. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
