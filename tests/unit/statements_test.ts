import assert from "node:assert/strict";
import {
  batchStatements,
  createRefusalOf,
  generationsRead,
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
  limitCount: 4,
};

/** Each placeholder has its parameter. */
function assertBalanced(s: { sql: string; params?: unknown[] }) {
  assert.equal((s.sql.match(/\?/g) ?? []).length, s.params?.length ?? 0, s.sql);
}

Deno.test("orderStatements: general admission — generation, order, id, items, log, buyer total, stock last", () => {
  const [generations, ...statements] = orderStatements(base);
  assertBalanced(generations);
  assert.match(generations.sql, /^SELECT session_id, generation FROM sale_state_generations/);
  assert.match(generations.sql, /LOCK IN SHARE MODE$/);
  assert.deepEqual(generations.params, [2]);
  statements.forEach(assertBalanced);
  assert.deepEqual(statements.map((s) => s.sql.trim().split(/\s+/).slice(0, 3).join(" ")), [
    "INSERT INTO orders",
    "SET @order_id =",
    "INSERT INTO order_items",
    "INSERT INTO order_status_log",
    "INSERT INTO buyer_tier_totals",
    "UPDATE ticket_stock SET",
  ]);
  const [order, , items, log, totals, stock] = statements;
  assert.deepEqual(totals.params, [5, 3, 2, 4]);
  assert.match(totals.sql, /ON DUPLICATE KEY UPDATE quantity = quantity \+ VALUES\(quantity\)/);
  assert.match(order.sql, new RegExp(`\\?, ${ORDER_STATUS.PENDING_PAYMENT}, \\?`));
  assert.deepEqual(order.params!.slice(0, 8), [base.orderNo, 5, 1, 2, 3, 2, 99.9, 199.8]);
  assert.deepEqual(order.params!.slice(8, 13), [null, null, null, null, null], "no hourly part");
  assert.deepEqual(items.params, [3, null, null, 99.9, 2, 199.8]);
  assert.match(log.sql, new RegExp(`NULL, ${ORDER_STATUS.PENDING_PAYMENT}, 'created'`));
  assert.deepEqual(stock.params, [2, 3]);
});

Deno.test("orderStatements: seats — one item and one claim per seat, seat claims before stock", () => {
  const [, ...statements] = orderStatements({
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
  assert.match(statements[5].sql, /INSERT INTO buyer_tier_totals/);
  assert.match(statements[6].sql, /UPDATE ticket_stock/);
});

Deno.test("orderStatements: hourly — seat-hours claimed, no stock update", () => {
  const start = new Date("2026-11-30T20:00:00Z");
  const end = new Date("2026-11-30T22:00:00Z");
  const [, ...statements] = orderStatements({
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

Deno.test("batchStatements: one multi-row statement per table, one stock UPDATE per tier", () => {
  const a = { ...base, orderNo: "20261130120000000123001", userId: 9 };
  const b = {
    ...base,
    orderNo: "20261130120000000123002",
    userId: 5,
    ticketId: 4,
    items: [
      { seatId: 11, seatInfo: "A", price: 100, quantity: 1 },
      { seatId: 12, seatInfo: "B", price: 100, quantity: 1 },
    ],
    slots: ["11", "12"],
  };
  const c = {
    ...base,
    orderNo: "20261130120000000123003",
    userId: 7,
    sessionId: 1,
    stockQuantity: 3,
  };
  const [generations, ...statements] = batchStatements([a, b, c]);
  // Each session once, in order (one lock order for every batch).
  assert.deepEqual(generations.params, [1, 2]);
  assertBalanced(generations);
  statements.forEach(assertBalanced);
  assert.deepEqual(statements.map((s) => s.sql.trim().split(/\s+/).slice(0, 3).join(" ")), [
    "INSERT INTO orders",
    "INSERT INTO order_items",
    "INSERT INTO order_status_log",
    "INSERT INTO seat_claims",
    "INSERT INTO buyer_tier_totals",
    "UPDATE ticket_stock SET",
    "UPDATE ticket_stock SET",
  ]);
  const [orders, items, log, claims, totals, stock3, stock4] = statements;
  assert.equal((orders.sql.match(/\(\?, \?/g) ?? []).length, 3, "three order rows");
  // Items and claims find their order by its number.
  assert.equal((items.sql.match(/WHERE order_no = \?/g) ?? []).length, 4);
  assert.deepEqual(items.params!.slice(0, 7), [3, null, null, 99.9, 2, 199.8, a.orderNo]);
  assert.deepEqual(log.params, [a.orderNo, b.orderNo, c.orderNo]);
  // Each log row finds its order by an equality on its number: never a range or an IN list,
  // which a small table's plan may turn into a scan that locks other batches' rows.
  assert.equal((log.sql.match(/WHERE order_no = \?/g) ?? []).length, 3);
  assert.doesNotMatch(log.sql, /\bIN\s*\(/);
  assert.deepEqual(claims.params, [2, "11", 11, b.orderNo, 2, "12", 12, b.orderNo]);
  // Buyers sorted (the lock order of every batch); tiers' sums, by tier id.
  assert.deepEqual(totals.params, [5, 4, 2, 4, 7, 3, 3, 4, 9, 3, 2, 4]);
  assert.deepEqual(stock3.params, [5, 3]);
  assert.deepEqual(stock4.params, [2, 4]);
});

Deno.test("batchStatements: a batch of one is the single-order transaction", () => {
  assert.deepEqual(batchStatements([base]), orderStatements(base));
  assert.throws(() => batchStatements([]));
});

Deno.test("generationsRead: by session, numbers whatever the driver gave", () => {
  const read = generationsRead([{ session_id: 2, generation: 7 }, {
    session_id: 5,
    generation: 1,
  }]);
  assert.deepEqual([...read], [[2, 7], [5, 1]]);
  assert.equal(generationsRead(undefined).size, 0);
});

Deno.test("createRefusalOf: which guard refused a create", () => {
  const check = (table: string) => ({
    errno: 4025,
    message: `CONSTRAINT \`ck\` failed for \`db\`.\`${table}\``,
  });
  assert.equal(createRefusalOf(check("ticket_stock")), "stock");
  assert.equal(createRefusalOf(check("buyer_tier_totals")), "buyer_limit");
  const dup = (key: string) => ({
    code: "ER_DUP_ENTRY",
    message: `Duplicate entry 'x' for key '${key}'`,
  });
  assert.equal(createRefusalOf(dup("PRIMARY")), "seat");
  assert.equal(createRefusalOf(dup("seat_claims.PRIMARY")), "seat");
  assert.equal(createRefusalOf(dup("uk_orders_idempotency")), "idempotency_key");
  assert.equal(createRefusalOf(dup("uk_orders_order_no")), "order_no");
  assert.equal(createRefusalOf(new Error("boom")), "other");
  assert.equal(createRefusalOf({ cause: check("ticket_stock") }), "stock");
});
