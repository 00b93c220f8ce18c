import assert from "node:assert/strict";
import {
  ACTIVE_STATUSES_SQL,
  ORDER_STATUS,
  SETTLED_STATUSES_SQL,
  statusIn,
  statusName,
} from "#lib/orders/status.ts";

Deno.test("order status: the stored numbers (a migration would be needed to change them)", () => {
  assert.deepEqual(ORDER_STATUS, {
    PENDING_PAYMENT: 0,
    PAID: 1,
    CANCELLED: 2,
    EXPIRED: 3,
    REFUNDED: 4,
  });
});

Deno.test("order status: SQL fragments", () => {
  assert.equal(ACTIVE_STATUSES_SQL, "IN (0, 1)");
  assert.equal(SETTLED_STATUSES_SQL, "IN (1, 2, 3)");
  assert.equal(statusIn(ORDER_STATUS.EXPIRED), "IN (3)");
});

Deno.test("order status: names shown to buyers", () => {
  assert.equal(statusName(ORDER_STATUS.PENDING_PAYMENT), "待支付");
  assert.equal(statusName(ORDER_STATUS.PAID), "已支付");
  assert.equal(statusName(ORDER_STATUS.REFUNDED), "已退款");
  assert.equal(statusName(9), "9");
});
