import assert from "node:assert/strict";
import { audit } from "#lib/ops/audit.ts";
import { seedDemo } from "#dev/seed.ts";
import { suite } from "./support/env.ts";
import { http, listen } from "./support/sale.ts";
import { createCafe, day, HOUR, ZONE } from "./support/cafe.ts";

type Order = Record<string, unknown> & { items: { seatId: number; subtotal: number }[] };

suite("hourly booking: windows, night pricing, no overlaps", async (t, env) => {
  const cafe = await createCafe(env);
  const [alice, bob, carol] = await env.users(3);
  const [a3, y, z1, z2, p, q] = cafe.seatIds;
  const book = (token: string, body: Record<string, unknown>) =>
    env.call<string>("POST", "/api/order/create", {
      token,
      body: { showId: cafe.showId, ...body, totalPrice: 0.01, basePrice: 0, nightSurcharge: 0 },
    });
  const D = day(1);
  const D1 = day(2);

  await t.step("venue settings: defaults, admin change, buyers refused", async () => {
    const res = await env.call("GET", `/api/show/${cafe.showId}/hourly`);
    assert.deepEqual(res.body.data, {
      openFrom: "00:00",
      openTo: "24:00",
      nightFrom: "22:00",
      nightTo: "08:00",
      maxHours: 12,
      horizonDays: 7,
    });
    const asBuyer = await env.call("PUT", `/api/show/${cafe.showId}/hourly`, {
      token: alice.token,
      body: { maxHours: 6 },
    });
    assert.equal(asBuyer.status, 403);
    const bad = await env.call("PUT", `/api/show/${cafe.showId}/hourly`, {
      token: cafe.adminToken,
      body: { nightFrom: "22:30" },
    });
    assert.equal(bad.status, 400);
  });

  await t.step(
    "20:00 + 4h booked; 23:00 refused naming seat and hours; 00:00 + 2h fine",
    async () => {
      const first = await book(alice.token, {
        seatIds: [a3],
        bookingDate: `${D} 20:00:00`,
        bookingDuration: 4,
      });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const overlap = await book(bob.token, {
        seatIds: [a3],
        bookingDate: `${D} 23:00:00`,
        bookingDuration: 1,
      });
      assert.equal(overlap.status, 409, JSON.stringify(overlap.body));
      assert.equal(overlap.body.error, "SEAT_UNAVAILABLE");
      assert.match(overlap.body.message, new RegExp(`A-01-01 ${D} 23:00-00:00`));
      const holdOverlap = await env.call("POST", "/api/seat/lock", {
        token: bob.token,
        body: { seatIds: [a3], startTime: `${D}T22:00:00+08:00`, hours: 1 },
      });
      assert.equal(holdOverlap.status, 409);
      const after = await book(bob.token, {
        seatIds: [a3],
        bookingDate: `${D1} 00:00:00`,
        bookingDuration: 2,
      });
      assert.equal(after.status, 200, JSON.stringify(after.body));
      const detail = await env.call<Order>("GET", `/api/order/${after.body.data}`, {
        token: bob.token,
      });
      assert.equal(detail.body.data.bookingDate, `${D1}T00:00:00+08:00`);
      assert.equal(detail.body.data.bookingEndTime, `${D1}T02:00:00+08:00`);
      assert.equal(detail.body.data.bookingDuration, 2);
    },
  );

  await t.step("a window across midnight, shown on both days; bookingEndTime form", async () => {
    const res = await book(carol.token, {
      seatIds: [y],
      bookingDate: `${D}T22:00:00+08:00`,
      bookingEndTime: `${D1} 02:00:00`,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const today = await env.call<{ seats: { id: number; busy: unknown[] }[] }>(
      "GET",
      `/api/seat/availability?areaId=${cafe.areaId}&date=${D}`,
      { token: carol.token },
    );
    assert.equal(today.status, 200, JSON.stringify(today.body));
    assert.deepEqual(today.body.data.seats.find((s) => s.id === y)!.busy, [
      { start: `${D}T22:00:00+08:00`, end: `${D1}T00:00:00+08:00`, state: "booked", mine: true },
    ]);
    const next = await env.call<{ seats: { id: number; busy: unknown[] }[] }>(
      "GET",
      `/api/seat/availability?areaId=${cafe.areaId}&date=${D1}`,
    );
    assert.deepEqual(next.body.data.seats.find((s) => s.id === y)!.busy, [
      { start: `${D1}T00:00:00+08:00`, end: `${D1}T02:00:00+08:00`, state: "booked", mine: false },
    ]);
  });

  await t.step("20:00-02:00 at 10/h day and 13/h night: 2×10 + 4×13 per seat", async () => {
    const res = await book(alice.token, {
      seatIds: [z1, z2],
      bookingDate: `${D} 20:00:00`,
      bookingDuration: 6,
      ticketId: 999999,
      quantity: 7,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const o =
      (await env.call<Order>("GET", `/api/order/${res.body.data}`, { token: alice.token })).body
        .data;
    assert.equal(o.totalAmount, 2 * (2 * 10 + 4 * 13));
    assert.equal(o.basePrice, 2 * 6 * 10);
    assert.equal(o.nightSurcharge, 2 * 4 * 3);
    assert.deepEqual(o.items.map((i) => i.subtotal), [72, 72]);
    // Cancel frees exactly those hours.
    const cancel = await env.call("PUT", `/api/order/cancel/${res.body.data}`, {
      token: alice.token,
    });
    assert.equal(cancel.status, 200);
    const again = await book(bob.token, {
      seatIds: [z1],
      bookingDate: `${D} 21:00:00`,
      bookingDuration: 1,
    });
    assert.equal(again.status, 200, JSON.stringify(again.body));
  });

  await t.step("all or nothing across seats: one blocked hour blocks the whole hold", async () => {
    const held = await env.call("POST", "/api/seat/lock", {
      token: bob.token,
      body: { seatIds: [q], startTime: `${D} 15:00:00`, hours: 1 },
    });
    assert.equal(held.status, 200, JSON.stringify(held.body));
    const both = await env.call("POST", "/api/seat/lock", {
      token: alice.token,
      body: { seatIds: [p, q], startTime: `${D} 13:00:00`, hours: 3 },
    });
    assert.equal(both.status, 409);
    const view = await env.call<
      { seats: { id: number; busy: { mine: boolean; state: string }[] }[] }
    >(
      "GET",
      `/api/seat/availability?areaId=${cafe.areaId}&date=${D}`,
      { token: bob.token },
    );
    assert.deepEqual(view.body.data.seats.find((s) => s.id === p)!.busy, []);
    const qBusy = view.body.data.seats.find((s) => s.id === q)!.busy;
    assert.equal(qBusy.length, 1);
    assert.equal(qBusy[0].state, "held");
    assert.equal(qBusy[0].mine, true);
    // Bob's own held hour can be ordered; the hold becomes a booking.
    const order = await book(bob.token, {
      seatIds: [q],
      bookingDate: `${D} 15:00:00`,
      bookingDuration: 1,
    });
    assert.equal(order.status, 200, JSON.stringify(order.body));
    const release = await env.call("POST", "/api/seat/release", {
      token: alice.token,
      body: { seatIds: [q], startTime: `${D} 15:00:00`, hours: 1 },
    });
    assert.equal(release.status, 200);
  });

  await t.step("bad input: 400 naming the field; nothing booked", async () => {
    const theatre = await env.ctx.db.rows<{ id: number }>(
      `SELECT s.id FROM seats s JOIN sessions se ON se.id = s.session_id
        JOIN shows sh ON sh.id = se.show_id WHERE sh.type <> 6 LIMIT 1`,
    );
    const [{ n: before }] = await env.ctx.db.rows<{ n: number }>(
      "SELECT COUNT(*) AS n FROM seat_claims",
    );
    const far = day(9);
    const cases: [string, Record<string, unknown>, string][] = [
      ["not on the hour", { bookingDate: `${D} 20:30:00`, bookingDuration: 1 }, "bookingDate"],
      ["in the past", { bookingDate: `${day(-1)} 10:00:00`, bookingDuration: 1 }, "bookingDate"],
      ["beyond the horizon", { bookingDate: `${far} 10:00:00`, bookingDuration: 1 }, "bookingDate"],
      ["duration 0", { bookingDate: `${D} 10:00:00`, bookingDuration: 0 }, "bookingDuration"],
      [
        "negative duration",
        { bookingDate: `${D} 10:00:00`, bookingDuration: -2 },
        "bookingDuration",
      ],
      [
        "over the maximum",
        { bookingDate: `${D} 10:00:00`, bookingDuration: 13 },
        "bookingDuration",
      ],
      [
        "fractional duration",
        { bookingDate: `${D} 10:00:00`, bookingDuration: 1.5 },
        "bookingDuration",
      ],
      [
        "end before start",
        { bookingDate: `${D} 10:00:00`, bookingEndTime: `${D} 09:00:00` },
        "bookingEndTime",
      ],
      ["unparseable date", { bookingDate: "tomorrow evening", bookingDuration: 1 }, "bookingDate"],
      ["no window", {}, "bookingDate"],
    ];
    for (const [name, body, field] of cases) {
      const res = await book(alice.token, { seatIds: [p], ...body });
      assert.equal(res.status, 400, `${name}: ${JSON.stringify(res.body)}`);
      assert.ok(res.body.message.includes(field), `${name}: ${res.body.message}`);
    }
    if (theatre.length) {
      const res = await book(alice.token, {
        seatIds: [p, theatre[0].id],
        bookingDate: `${D} 10:00:00`,
        bookingDuration: 1,
      });
      assert.equal(res.status, 400, JSON.stringify(res.body));
    }
    // Without a window a café hold is a walk-in (the current hour; tests/reference_journeys_test.ts).
    const hold = await env.call("POST", "/api/seat/lock", {
      token: alice.token,
      body: { seatIds: [p], hours: 0 },
    });
    assert.equal(hold.status, 400, "a walk-in of 0 hours");
    // Opening hours: 08:00-23:00.
    const set = await env.call("PUT", `/api/show/${cafe.showId}/hourly`, {
      token: cafe.adminToken,
      body: { openFrom: "08:00", openTo: "23:00" },
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const closed = await book(alice.token, {
      seatIds: [p],
      bookingDate: `${D} 22:00:00`,
      bookingDuration: 2,
    });
    assert.equal(closed.status, 400);
    assert.match(closed.body.message, /closed at 23:00/);
    await env.call("PUT", `/api/show/${cafe.showId}/hourly`, {
      token: cafe.adminToken,
      body: { openFrom: "00:00", openTo: "24:00" },
    });
    const [{ n: after }] = await env.ctx.db.rows<{ n: number }>(
      "SELECT COUNT(*) AS n FROM seat_claims",
    );
    assert.equal(Number(after), Number(before));
    const report = await audit(env.ctx, { sessionIds: [cafe.sessionId], graceMs: 0 });
    assert.ok(report.ok, JSON.stringify(report.violations));
  });
}, { TIME_ZONE: ZONE });

suite("hourly booking: 100 customers race for overlapping windows on 5 seats", async (t, env) => {
  const cafe = await createCafe(env);
  const seats = cafe.seatIds.slice(0, 5);
  const customers = await env.users(100);
  const server = listen(env);
  const D = day(2);
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const wants = customers.map(() => {
    const n = 1 + Math.floor(rnd() * 2);
    const pick = new Set<number>();
    while (pick.size < n) pick.add(seats[Math.floor(rnd() * seats.length)]);
    return { seatIds: [...pick], start: Math.floor(rnd() * 20), hours: 1 + Math.floor(rnd() * 4) };
  });
  try {
    await t.step("no seat-hour booked twice (MySQL), every customer all or nothing", async () => {
      const results = await Promise.all(
        customers.map((c, i) =>
          http<string>(server.url, "POST", "/api/order/create", {
            token: c.token,
            body: {
              seatIds: wants[i].seatIds,
              bookingDate: `${D} ${String(wants[i].start).padStart(2, "0")}:00:00`,
              bookingDuration: wants[i].hours,
            },
          })
        ),
      );
      const won = results.filter((r) => r.status === 200).length;
      for (const r of results) {
        if (r.status !== 200) {
          assert.equal(r.status, 409, JSON.stringify(r.body));
          assert.equal(r.body.error, "SEAT_UNAVAILABLE");
        }
      }
      console.log(`hourly race: 100 customers, ${won} booked their whole window`);
      // Every order holds exactly seats × hours claims; no two active orders overlap on a seat.
      const orders = await env.ctx.db.rows<
        {
          id: number;
          booking_start: Date;
          booking_end: Date;
          booking_hours: number;
          quantity: number;
          claims: number;
        }
      >(
        `SELECT o.id, o.booking_start, o.booking_end, o.booking_hours, o.quantity,
                (SELECT COUNT(*) FROM seat_claims c WHERE c.order_id = o.id) AS claims
           FROM orders o WHERE o.session_id = ? AND o.status IN (0, 1)`,
        [cafe.sessionId],
      );
      assert.equal(orders.length, won);
      for (const o of orders) assert.equal(Number(o.claims), o.booking_hours * o.quantity);
      const overlaps = await env.ctx.db.rows(
        `SELECT ia.order_id, ib.order_id AS other, ia.seat_id
           FROM order_items ia JOIN orders a ON a.id = ia.order_id
           JOIN order_items ib ON ib.seat_id = ia.seat_id AND ib.order_id > ia.order_id
           JOIN orders b ON b.id = ib.order_id
          WHERE a.session_id = ? AND a.status IN (0, 1) AND b.status IN (0, 1)
            AND a.booking_start < b.booking_end AND b.booking_start < a.booking_end`,
        [cafe.sessionId],
      );
      assert.deepEqual(overlaps, []);
      const report = await audit(env.ctx, { sessionIds: [cafe.sessionId], graceMs: 0 });
      assert.ok(report.ok, JSON.stringify(report.violations));
    });
  } finally {
    await server.close();
  }
}, { TIME_ZONE: ZONE });

suite("hourly booking: the demo café is bookable from the first start", async (t, env) => {
  await t.step("three areas, reference prices; a seat booked tonight", async () => {
    assert.equal(await seedDemo(env.ctx), true);
    const [cafe] = await env.ctx.db.rows<{ id: number }>("SELECT id FROM shows WHERE type = 6");
    const areas = await env.call<
      { id: number; name: string; totalSeats: number; price: number; nightPrice: number }[]
    >(
      "GET",
      `/api/seat/areas?showId=${cafe.id}`,
    );
    assert.deepEqual(
      areas.body.data.map((a) => [a.name, a.totalSeats, a.price, a.nightPrice]),
      [["一楼大厅", 30, 8, 11], ["随机区", 20, 12, 15], ["特惠三区", 15, 15, 18]],
    );
    const layout = await env.call<{ seats: { id: number }[] }>(
      "GET",
      `/api/seat/layout/${areas.body.data[0].id}`,
    );
    const [buyer] = await env.users(1);
    const start = new Date(Math.floor(Date.now() / HOUR) * HOUR + 2 * HOUR).toISOString();
    const res = await env.call<string>("POST", "/api/order/create", {
      token: buyer.token,
      body: {
        showId: cafe.id,
        seatIds: [layout.body.data.seats[0].id],
        bookingDate: start,
        bookingDuration: 3,
      },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
});
