/**
 * The importer's pure rules (lib/import/plan*.ts): how reference rows become boxoffice rows,
 * decided with no store.
 */
import assert from "node:assert/strict";
import { planImport } from "#lib/import/plan.ts";
import { importedPasswordHash } from "#lib/import/plan_users.ts";
import { showKindRefusal, showRefusal } from "#lib/import/plan_catalog.ts";
import { importedTotal, seatedTotal } from "#lib/import/plan_tiers.ts";
import { areaCodeFor, gridOf, rowNumbers } from "#lib/import/plan_areas.ts";
import {
  orderNoLooksUp,
  orderNoRefusal,
  orderStatusOf,
  statusLog,
} from "#lib/import/plan_orders.ts";
import type { SourceData } from "#lib/import/source_rows.ts";

Deno.test("import: reference order status 3 (completed) is paid; unpaid past expiry expires", () => {
  assert.equal(orderStatusOf(0, false), 0);
  assert.equal(orderStatusOf(0, true), 3);
  assert.equal(orderStatusOf(1, true), 1);
  assert.equal(orderStatusOf(3, false), 1);
  assert.equal(orderStatusOf(2, false), 2);
  assert.equal(orderStatusOf(4, false), 4);
  assert.equal(orderStatusOf(7, false), null);
});

Deno.test("import: a tier's total keeps the smaller availability and never invents tickets", () => {
  // Source counters say 800 free; the orders hold 2: 798 free, total 800.
  assert.equal(importedTotal({ total: 800, available: 800 }, { locked: 2, sold: 0 }), 800);
  // Counters say 100 sold but the orders only 2: still only 700 free.
  assert.equal(importedTotal({ total: 800, available: 700 }, { locked: 0, sold: 2 }), 702);
  // Orders beyond the total: nothing left, total = what they hold.
  assert.equal(importedTotal({ total: 3, available: 3 }, { locked: 2, sold: 3 }), 5);
});

Deno.test("import: row labels become numbers in seat order; seats must fit a 100x100 grid", () => {
  assert.deepEqual([...rowNumbers(["B", "A", "AA", "C", "A"])!], [["A", 1], ["B", 2], [
    "C",
    3,
  ], ["AA", 4]]);
  assert.deepEqual([...rowNumbers(["10", "2", "1"])!], [["1", 1], ["2", 2], ["10", 3]]);
  assert.equal(rowNumbers(["A", " "]), null);
  const seat = (id: number, rowNum: string, seatNum: string) => ({
    id,
    areaId: 1,
    rowNum,
    seatNum,
    seatCode: null,
    x: null,
    y: null,
    enabled: true,
    deleted: false,
  });
  const grid = gridOf([seat(1, "B", "2"), seat(2, "A", "01")]);
  assert.ok(typeof grid !== "string");
  assert.deepEqual(grid.seats.map((s) => [s.sourceId, s.rowNum, s.seatNum, s.seatCode]), [
    [2, 1, 1, "A-01"],
    [1, 2, 2, "B-02"],
  ]);
  assert.equal(grid.cols, 2);
  assert.match(String(gridOf([seat(1, "A", "101")])), /seat number 101/);
  assert.match(String(gridOf([seat(1, "A", "1"), seat(2, "A", "1")])), /twice/);
  assert.match(String(gridOf([seat(1, "A", "x")])), /seat number/);
});

Deno.test("import: a seated tier's stock is its seats, never less than its orders hold", () => {
  assert.equal(seatedTotal(30, { locked: 1, sold: 0, ga: 0 }), 30);
  assert.equal(seatedTotal(30, { locked: 0, sold: 2, ga: 2 }), 32, "orders sold without seats");
  assert.equal(seatedTotal(2, { locked: 3, sold: 2, ga: 0 }), 5);
});

Deno.test("import: area codes run A … Z, then Z1, Z2, …", () => {
  assert.deepEqual([0, 1, 25, 26, 27].map(areaCodeFor), ["A", "B", "Z", "Z1", "Z2"]);
});

Deno.test("import: an account keeps a hash it can log in with; others are locked", () => {
  const md5 = "e10adc3949ba59abbe56e057f20f883e";
  assert.deepEqual(importedPasswordHash({ password: md5, enabled: true }), {
    hash: md5,
    locked: null,
  });
  const disabled = importedPasswordHash({ password: md5, enabled: false });
  assert.equal(disabled.hash, `!${md5}`);
  assert.match(disabled.locked!, /disabled/);
  const unknown = importedPasswordHash({ password: "plain", enabled: true });
  assert.equal(unknown.hash, "!plain");
  assert.match(unknown.locked!, /neither BCrypt nor MD5/);
});

Deno.test("import: a show needs a boxoffice type and status, a time span and a name", () => {
  const at = (s: string) => new Date(s);
  assert.equal(showKindRefusal({ type: 1, status: 0 }), null);
  assert.match(showKindRefusal({ type: 9, status: 0 })!, /^type 9/);
  assert.match(showKindRefusal({ type: 1.5, status: 0 })!, /^type 1.5/);
  assert.match(showKindRefusal({ type: 6, status: 4 })!, /^status 4/);
  const span = { start: at("2030-01-01T10:00Z"), end: at("2030-01-01T12:00Z") };
  assert.equal(showRefusal({ name: "Circus" }, span), null);
  assert.match(showRefusal({ name: " " }, span)!, /no name/);
  assert.match(showRefusal({ name: "x" }, { start: null, end: null })!, /no start time/);
  assert.match(
    showRefusal({ name: "x" }, { start: span.end, end: span.start })!,
    /ends before it starts/,
  );
});

Deno.test("import: order numbers are 1-32 characters; some cannot be looked up by number", () => {
  assert.equal(orderNoRefusal("ORD202412010001"), null);
  assert.match(orderNoRefusal("")!, /not 1-32/);
  assert.match(orderNoRefusal("x".repeat(33))!, /not 1-32/);
  assert.equal(orderNoLooksUp("ORD-1_a"), true);
  assert.equal(orderNoLooksUp("12345"), false, "read as an id");
  assert.equal(orderNoLooksUp("a b"), false);
  assert.equal(orderNoLooksUp("-1"), false);
});

Deno.test("import: an order's status log is its creation, then its status unless pending", () => {
  const created = new Date("2024-12-01T10:00Z");
  const paid = new Date("2024-12-01T10:05Z");
  assert.deepEqual(statusLog(0, created, paid), [
    { from: null, to: 0, reason: "imported: created", at: created },
  ]);
  assert.deepEqual(statusLog(1, created, paid), [
    { from: null, to: 0, reason: "imported: created", at: created },
    { from: 0, to: 1, reason: "imported", at: paid },
  ]);
});

Deno.test("import: a plan of seated and unseated orders agrees with its stock", () => {
  const base = { deleted: false, updateTime: null };
  const seat = (id: number, seatNum: string) => ({
    ...base,
    id,
    areaId: 7,
    rowNum: "A",
    seatNum,
    seatCode: null,
    x: null,
    y: null,
    enabled: id !== 4,
  });
  const order = (id: number, status: number, userId = 1) => ({
    ...base,
    id,
    orderNo: `ORD${id}`,
    userId,
    totalAmount: 100,
    payAmount: null,
    status,
    payType: null,
    payTime: status === 1 ? "2024-12-01 10:05:00" : null,
    expireTime: "2024-12-01 10:15:00",
    remark: null,
    contactPhone: null,
    createTime: "2024-12-01 10:00:00",
    bookingDate: null,
  });
  const item = (id: number, orderId: number, ticketId: number, seatId: number | null) => ({
    id,
    orderId,
    showId: 1,
    sessionId: 1,
    ticketId,
    ticketName: null,
    seatId,
    seatInfo: null,
    price: 100,
    quantity: seatId === null ? 3 : 1,
    subtotal: null,
  });
  const ticket = (id: number, name: string, limitCount: number) => ({
    ...base,
    id,
    showId: 1,
    sessionId: 1,
    name,
    price: 100,
    totalCount: 50,
    remainCount: 50,
    limitCount,
    status: 1,
  });
  const data: SourceData = {
    databases: {
      t_user: "u",
      t_show: "s",
      t_show_session: "s",
      t_seat_area: "v",
      t_seat: "v",
      t_ticket: "t",
      t_order: "o",
    },
    users: [{
      id: 1,
      username: "buyer",
      password: "e10adc3949ba59abbe56e057f20f883e",
      nickname: null,
      phone: null,
      email: null,
      enabled: true,
      admin: false,
      createTime: null,
    }],
    shows: [{
      ...base,
      id: 1,
      name: "Concert",
      type: 1,
      posterUrl: null,
      description: null,
      venue: "Hall",
      city: "北京",
      startTime: "2024-12-31 20:00:00",
      endTime: "2024-12-31 22:00:00",
      status: 1,
      isHot: false,
      isRecommend: false,
    }],
    sessions: [{
      ...base,
      id: 1,
      showId: 1,
      name: null,
      startTime: null,
      endTime: null,
      status: 1,
      createTime: "2024-11-01 00:00:00",
    }],
    venues: [{ id: 3, name: "Hall" }],
    areas: [{ id: 7, venueId: 3, name: "Stalls", deleted: false }],
    seats: [seat(1, "1"), seat(2, "2"), seat(3, "3"), seat(4, "4")],
    tickets: [ticket(1, "Stalls", 4), ticket(2, "Balcony", 2)],
    stocks: [{ ticketId: 2, total: 50, locked: 0, sold: 10 }],
    orders: [order(1, 0), order(2, 1), order(3, 1), order(4, 1, 9)],
    items: [item(1, 1, 1, 1), item(2, 2, 2, null), item(3, 3, 1, 1), item(4, 4, 1, 2)],
  };
  const plan = planImport(data, { zone: "UTC", now: Date.parse("2024-12-01T10:10:00Z") });
  assert.deepEqual(plan.unmapped.map((u) => `${u.source}: ${u.reason}`), [
    "o.t_order#3: a seat of it is already in order ORD1",
    "o.t_order#4: its buyer 9 is not imported",
  ]);
  assert.deepEqual(plan.orders.map((o) => [o.orderNo, o.status, o.quantity, o.items[0].seatKey]), [
    ["ORD1", 0, 1, "v.1@s.1"],
    ["ORD2", 1, 3, null],
  ]);
  const session = plan.sessions[0];
  assert.deepEqual([session.start, session.saleStart], [
    plan.shows[0].start,
    new Date("2024-11-01"),
  ]);
  assert.deepEqual(plan.areas.map((a) => [a.name, a.areaCode, a.rows, a.cols, a.seats.length]), [
    ["Stalls", "A", 1, 4, 4],
  ]);
  // Stalls: its 3 enabled seats. Balcony: 40 free in the source, plus the 3 sold here; the
  // buyer's 3 tickets raise its limit of 2.
  assert.deepEqual(plan.tiers.map((t) => [t.name, t.totalStock, t.limitCount]), [
    ["Stalls", 3, 4],
    ["Balcony", 43, 3],
  ]);
  assert.ok(plan.notes.some((n) => /limit 2 → 3: buyer u\.1 holds 3 tickets/.test(n.reason)));
});
