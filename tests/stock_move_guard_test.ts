/**
 * Pay, cancel and expire send the tier's stock UPDATE with their COMMIT (one round trip, so a hot
 * tier's row is not locked across a round trip to this process). The guard that a tier never goes
 * below 0 locked is then MySQL's: the UNSIGNED column refuses, and nothing of the transaction
 * commits.
 */
import assert from "node:assert/strict";
import { suite } from "./support/env.ts";
import { createSale } from "./support/sale.ts";

suite("pay and cancel: a tier with too few tickets locked commits nothing", async (t, env) => {
  const sale = await createSale(env, { stock: 10, limit: 4 });
  const buyer = await env.user();
  const order = async () => {
    const created = await env.call<string>("POST", "/api/order/create", {
      token: buyer.token,
      body: { ticketId: sale.ticketId, quantity: 2 },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    return created.body.data;
  };
  const statusOf = async (orderNo: string) =>
    Number(
      (await env.ctx.db.rows<{ status: number }>("SELECT status FROM orders WHERE order_no = ?", [
        orderNo,
      ]))[0].status,
    );
  const setLocked = (n: number) =>
    env.ctx.db.exec("UPDATE ticket_stock SET locked_stock = ? WHERE ticket_id = ?", [
      n,
      sale.ticketId,
    ]);
  const logRows = async (orderNo: string) =>
    Number(
      (await env.ctx.db.rows<{ n: number }>(
        `SELECT COUNT(*) AS n FROM order_status_log l JOIN orders o ON o.id = l.order_id
          WHERE o.order_no = ?`,
        [orderNo],
      ))[0].n,
    );

  for (
    const [name, call] of [
      ["pay", (no: string) =>
        env.call("POST", `/api/order/pay?orderNo=${no}&payType=1`, {
          token: buyer.token,
        })],
      [
        "cancel",
        (no: string) => env.call("PUT", `/api/order/cancel/${no}`, { token: buyer.token }),
      ],
    ] as const
  ) {
    await t.step(`${name}: refused, the order and its log as they were`, async () => {
      const orderNo = await order();
      // Damage MySQL's stock row: 1 locked where the order holds 2.
      await setLocked(1);
      const reply = await call(orderNo);
      assert.equal(reply.status, 500, JSON.stringify(reply.body));
      assert.equal(await statusOf(orderNo), 0, "still PENDING_PAYMENT");
      assert.equal(await logRows(orderNo), 1, "only the 'created' row");
      // Repaired, the same call goes through.
      await setLocked(2);
      const again = await call(orderNo);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(await logRows(orderNo), 2);
      await setLocked(0);
    });
  }
});
