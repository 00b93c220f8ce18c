// Issue 16, finding 5: every length the API accepts fits every column it is written to, and a
// value that does not fit is a 400 before anything is reserved, never "database unavailable".
import assert from "node:assert/strict";
import { suite } from "./support/env.ts";
import { createSale } from "./support/sale.ts";
import { createSeatedSale } from "./support/seating.ts";

suite("hardening: accepted lengths fit their columns", async (t, env) => {
  await t.step("an area named with 100 characters sells its seats", async () => {
    const sale = await createSeatedSale(env, { rows: 1, cols: 2, name: "区".repeat(100) });
    const buyer = await env.user();
    const res = await env.call<string>("POST", "/api/order/create", {
      token: buyer.token,
      body: { sessionId: sale.sessionId, seatIds: [sale.seatIds[0]] },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const detail = await env.call<{ items: { seatInfo: string }[] }>(
      "GET",
      `/api/order/${res.body.data}`,
      { token: buyer.token },
    );
    assert.ok(detail.body.data.items[0].seatInfo.startsWith("区".repeat(100) + " "));
  });

  await t.step("the longest contact phone and remark are kept whole", async () => {
    const sale = await createSale(env, { stock: 10, limit: 4 });
    const buyer = await env.user();
    const res = await env.call<string>("POST", "/api/order/create", {
      token: buyer.token,
      body: {
        ticketId: sale.ticketId,
        quantity: 1,
        contactPhone: "9".repeat(20),
        remark: "备".repeat(500),
      },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  await t.step(
    "an Idempotency-Key of 128 characters works; 129 is a 400 that moves nothing",
    async () => {
      const sale = await createSale(env, { stock: 10, limit: 4 });
      const buyer = await env.user();
      const create = (key: string) =>
        env.call<string>("POST", "/api/order/create", {
          token: buyer.token,
          body: { ticketId: sale.ticketId, quantity: 1 },
          headers: { "idempotency-key": key },
        });
      const ok = await create("k".repeat(128));
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const again = await create("k".repeat(128));
      assert.equal(again.body.data, ok.body.data, "the same key answers with the same order");
      const long = await create("k".repeat(129));
      assert.equal(long.status, 400);
      assert.match(long.body.message, /^Idempotency-Key:/);
      const [{ locked }] = await env.ctx.db.rows<{ locked: number }>(
        "SELECT locked_stock AS locked FROM ticket_stock WHERE ticket_id = ?",
        [sale.ticketId],
      );
      assert.equal(Number(locked), 1);
    },
  );
});
