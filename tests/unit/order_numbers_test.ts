import assert from "node:assert/strict";
import { nextOrderNo, ORDER_NO, orderRefColumn } from "#lib/orders/order_numbers.ts";
import { AppError } from "#lib/platform/errors.ts";

Deno.test("nextOrderNo: 23 digits, UTC time first, then process digits and a counter", () => {
  const at = Date.UTC(2026, 10, 30, 23, 59, 58, 7);
  const a = nextOrderNo(at);
  const b = nextOrderNo(at);
  assert.match(a, ORDER_NO);
  assert.equal(a.length, 23);
  assert.equal(a.slice(0, 17), "20261130235958007");
  assert.equal(b.slice(0, 20), a.slice(0, 20), "the same process digits");
  assert.equal(Number(b.slice(20)), (Number(a.slice(20)) + 1) % 1000, "the counter steps by one");
});

Deno.test("nextOrderNo: numbers sort by creation time", () => {
  const times = [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1, 0, 0, 0, 1), Date.UTC(2027, 5, 3)];
  const numbers = times.map((t) => nextOrderNo(t));
  assert.deepEqual([...numbers].sort(), numbers);
});

Deno.test("orderRefColumn: an order number, an id, or not an order", () => {
  assert.equal(orderRefColumn("20261130235958007123456"), "order_no");
  assert.equal(orderRefColumn("42"), "id");
  assert.equal(orderRefColumn("9999999999999999"), "id");
  // Imported from the reference system: letters and digits are an order number too.
  assert.equal(orderRefColumn("ORD202412010001"), "order_no");
  assert.equal(orderRefColumn("99999999999999999"), "order_no");
  for (const bad of ["-1", "1.5", "a.b", "", "x".repeat(33), "订单1"]) {
    assert.throws(
      () => orderRefColumn(bad),
      (e) => e instanceof AppError && e.code === "NOT_FOUND",
      bad,
    );
  }
});
