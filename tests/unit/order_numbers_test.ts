import assert from "node:assert/strict";
import {
  formatOrderNo,
  nextOrderNo,
  ORDER_NO,
  OrderNumbers,
  orderRefColumn,
} from "#lib/orders/order_numbers.ts";
import { AppError } from "#lib/platform/errors.ts";

Deno.test("OrderNumbers: 23 digits, UTC time first, then the instance and a counter", () => {
  const at = Date.UTC(2026, 10, 30, 23, 59, 58, 7);
  const numbers = new OrderNumbers(42);
  const a = numbers.next(at);
  const b = numbers.next(at);
  assert.match(a, ORDER_NO);
  assert.equal(a, "20261130235958007042000");
  assert.equal(b, "20261130235958007042001", "the counter steps by one within a millisecond");
  assert.equal(numbers.next(at + 1), "20261130235958008042000", "and starts over in the next");
  assert.equal(formatOrderNo(at, 7, 5), "20261130235958007007005");
});

Deno.test("OrderNumbers: never repeats, even past 1000 in a millisecond or a clock going back", () => {
  const at = Date.UTC(2026, 0, 1);
  const numbers = new OrderNumbers(1);
  const issued = Array.from({ length: 2500 }, () => numbers.next(at));
  issued.push(numbers.next(at - 5000), numbers.next(at + 1));
  assert.equal(new Set(issued).size, issued.length);
  assert.deepEqual([...issued].sort(), issued, "they still sort in issue order");
  assert.ok(issued.every((n) => ORDER_NO.test(n)));
  assert.equal(issued[1000].slice(0, 17), "20260101000000001", "the 1001st borrows the next ms");
});

Deno.test("OrderNumbers: two instances never issue the same number", () => {
  const at = Date.UTC(2026, 0, 1);
  const [a, b] = [new OrderNumbers(0), new OrderNumbers(999)];
  const all = new Set<string>();
  for (let i = 0; i < 1500; i++) all.add(a.next(at)).add(b.next(at));
  assert.equal(all.size, 3000);
  assert.throws(() => new OrderNumbers(1000), RangeError);
});

Deno.test("nextOrderNo (tools writing alone): 23 digits, sorted by time", () => {
  const times = [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1, 0, 0, 0, 1), Date.UTC(2027, 5, 3)];
  const numbers = times.map((t) => nextOrderNo(t));
  assert.deepEqual([...numbers].sort(), numbers);
  assert.ok(numbers.every((n) => ORDER_NO.test(n)));
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
