import assert from "node:assert/strict";
import {
  isConstraintViolation,
  type NewOrderRow,
  orderStatements,
} from "#lib/orders/statements.ts";
import { ORDER_STATUS } from "#lib/orders/status.ts";

const base: NewOrderRow = {
  orderNo: "20261130120000000123001",
  userId: 5,
  showId: 1,
  sessionId: 2,
  ticketId: 3,
  quantity: 2,
  price: 99.9,
  totalAmount: 199.8,
  expireAt: new Date("2026-11-30T12:15:00Z"),
  contactPhone: null,
  remark: "aisle",
  idempotencyKey: "k1",
  createdAt: new Date("2026-11-30T12:00:00Z"),
  items: [{ seatId: null, seatInfo: null, price: 99.9, quantity: 2 }],
  slots: [],
  stockQuantity: 2,
};

/** Each placeholder has its parameter. */
function assertBalanced(s: { sql: string; params?: unknown[] }) {
  assert.equal((s.sql.match(/\?/g) ?? []).length, s.params?.length ?? 0, s.sql);
}

Deno.test("orderStatements: general admission — order, id, items, log, then the stock last", () => {
  const statements = orderStatements(base);
  statements.forEach(assertBalanced);
  assert.deepEqual(statements.map((s) => s.sql.trim().split(/\s+/).slice(0, 3).join(" ")), [
    "INSERT INTO orders",
    "SET @order_id =",
    "INSERT INTO order_items",
    "INSERT INTO order_status_log",
    "UPDATE ticket_stock SET",
  ]);
  const [order, , items, log, stock] = statements;
  assert.match(order.sql, new RegExp(`\\?, ${ORDER_STATUS.PENDING_PAYMENT}, \\?`));
  assert.deepEqual(order.params!.slice(0, 8), [base.orderNo, 5, 1, 2, 3, 2, 99.9, 199.8]);
  assert.deepEqual(order.params!.slice(8, 13), [null, null, null, null, null], "no hourly part");
  assert.deepEqual(items.params, [3, null, null, 99.9, 2, 199.8]);
  assert.match(log.sql, new RegExp(`NULL, ${ORDER_STATUS.PENDING_PAYMENT}, 'created'`));
  assert.deepEqual(stock.params, [2, 3]);
});

Deno.test("orderStatements: seats — one item and one claim per seat, seat claims before stock", () => {
  const statements = orderStatements({
    ...base,
    items: [
      { seatId: 11, seatInfo: "A A-01-01", price: 100, quantity: 1 },
      { seatId: 12, seatInfo: "A A-01-02", price: 80.5, quantity: 1 },
    ],
    slots: ["11", "12"],
  });
  statements.forEach(assertBalanced);
  const items = statements[2];
  assert.equal((items.sql.match(/\(@order_id/g) ?? []).length, 2);
  assert.deepEqual(items.params, [
    3,
    11,
    "A A-01-01",
    100,
    1,
    100,
    3,
    12,
    "A A-01-02",
    80.5,
    1,
    80.5,
  ]);
  const claims = statements[4];
  assert.match(claims.sql, /^INSERT INTO seat_claims/);
  assert.deepEqual(claims.params, [2, "11", 11, 2, "12", 12]);
  assert.match(statements[5].sql, /UPDATE ticket_stock/);
});

Deno.test("orderStatements: hourly — seat-hours claimed, no stock update", () => {
  const start = new Date("2026-11-30T20:00:00Z");
  const end = new Date("2026-11-30T22:00:00Z");
  const statements = orderStatements({
    ...base,
    hourly: { start, end, hours: 2, basePrice: 20, nightSurcharge: 5 },
    items: [{ seatId: 11, seatInfo: "Hall 01", price: 25, quantity: 1 }],
    slots: ["11@2026113020", "11@2026113021"],
    stockQuantity: 0,
  });
  statements.forEach(assertBalanced);
  assert.deepEqual(statements[0].params!.slice(8, 13), [20, 5, start, end, 2]);
  assert.equal(statements.length, 5);
  assert.deepEqual(statements[4].params, [2, "11@2026113020", 11, 2, "11@2026113021", 11]);
  assert.ok(statements.every((s) => !s.sql.includes("ticket_stock")));
});

Deno.test("isConstraintViolation: MariaDB 4025 and MySQL 3819 only", () => {
  assert.equal(isConstraintViolation({ errno: 4025 }), true);
  assert.equal(isConstraintViolation({ errno: 3819 }), true);
  assert.equal(isConstraintViolation({ errno: 1062 }), false);
  assert.equal(isConstraintViolation(new Error("x")), false);
  assert.equal(isConstraintViolation(undefined), false);
});
