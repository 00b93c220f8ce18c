/**
 * The two steps where the reference web client's buyer journey stopped (issue 20), sent over
 * real HTTP exactly as the client sends them: a seat hold on the internet café with no time
 * window (a walk-in), and a theatre seat order carrying the café's booking fields.
 */
import assert from "node:assert/strict";
import { audit } from "#lib/ops/audit.ts";
import { formatTime, wallClock } from "#lib/platform/time.ts";
import { suite } from "./support/env.ts";
import { createCafe, day as cafeDay, ZONE } from "./support/cafe.ts";
import { http, listen } from "./support/sale.ts";
import { createSeatedSale } from "./support/seating.ts";

const HOUR = 3_600_000;

/** The current hour's start and end on the café's wall clock, as the replies format them. */
function currentHour(): [string, string] {
  const now = Date.now();
  const wall = wallClock(new Date(now), ZONE);
  const start = now - (wall.minute * 60 + wall.second) * 1000 - (now % 1000);
  return [formatTime(new Date(start), ZONE)!, formatTime(new Date(start + HOUR), ZONE)!];
}

suite("reference journey: café walk-in hold, then the client's booking", async (t, env) => {
  const cafe = await createCafe(env);
  const [seat, other] = cafe.seatIds;
  const [buyer, rival] = await env.users(2);
  const server = listen(env);
  try {
    await t.step('POST /api/seat/lock {"seatIds":[id]} holds the current hour', async () => {
      const before = currentHour();
      const res = await http<{ seatIds: number[]; startTime: string; endTime: string }>(
        server.url,
        "POST",
        "/api/seat/lock",
        { token: buyer.token, body: { seatIds: [seat] } },
      );
      const after = currentHour();
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.data.seatIds, [seat]);
      const window = [res.body.data.startTime, res.body.data.endTime];
      assert.ok(
        JSON.stringify(window) === JSON.stringify(before) ||
          JSON.stringify(window) === JSON.stringify(after),
        `${window} is the current hour (${before})`,
      );
      // Someone else walking in on the same seat now is refused; another seat is fine.
      const taken = await http(server.url, "POST", "/api/seat/lock", {
        token: rival.token,
        body: { seatIds: [seat] },
      });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.error, "SEAT_UNAVAILABLE");
      const free = await http(server.url, "POST", "/api/seat/lock", {
        token: rival.token,
        body: { seatIds: [other] },
      });
      assert.equal(free.status, 200);
      // The availability shows the hour as held, by the caller.
      const today = wallClock(new Date(Date.parse(window[0])), ZONE).date;
      const view = await http<
        { seats: { id: number; busy: { state: string; mine: boolean }[] }[] }
      >(
        server.url,
        "GET",
        `/api/seat/availability?areaId=${cafe.areaId}&date=${today}`,
        { token: buyer.token },
      );
      assert.equal(view.status, 200);
      assert.deepEqual(
        view.body.data.seats.find((s) => s.id === seat)!.busy.map((b) => [
          b.state,
          b.mine,
        ]),
        [["held", true]],
      );
    });

    await t.step("the client's booking of that seat goes through", async () => {
      const day = cafeDay(1);
      const created = await http<string>(server.url, "POST", "/api/order/create", {
        token: buyer.token,
        body: {
          showId: cafe.showId,
          seatIds: [seat],
          bookingDate: `${day} 14:00:00`,
          bookingEndTime: `${day} 16:00:00`,
          bookingDuration: 2,
          totalPrice: 1,
        },
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const detail = await http<{ bookingDuration: number; totalAmount: number }>(
        server.url,
        "GET",
        `/api/order/detail/by-order-no/${created.body.data}`,
        { token: buyer.token },
      );
      assert.equal(detail.body.data.bookingDuration, 2);
      assert.equal(detail.body.data.totalAmount, 20);
    });

    await t.step('POST /api/seat/release {"seatIds":[id]} releases the walk-in', async () => {
      const res = await http(server.url, "POST", "/api/seat/release", {
        token: buyer.token,
        body: { seatIds: [seat] },
      });
      assert.equal(res.status, 200);
      const now = await http(server.url, "POST", "/api/seat/lock", {
        token: rival.token,
        body: { seatIds: [seat] },
      });
      assert.equal(now.status, 200, "the seat's current hour is free again");
    });

    await t.step("the audit passes", async () => {
      const report = await audit(env.ctx, { sessionIds: [cafe.sessionId], graceMs: 0 });
      assert.ok(report.ok, JSON.stringify(report.violations));
    });
  } finally {
    await server.close();
  }
}, { TIME_ZONE: ZONE });

suite(
  "reference journey: a theatre seat order with the client's booking fields",
  async (t, env) => {
    const sale = await createSeatedSale(env, { rows: 2, cols: 4, price: 380 });
    const [s1, s2, s3] = sale.seatIds;
    const buyer = await env.user();
    const server = listen(env);
    const booking = {
      bookingDate: "2030-05-01 19:30:00",
      bookingEndTime: "2030-05-01 22:00:00",
      bookingDuration: 2.5,
    };
    try {
      await t.step("held seats: the order ignores bookingDate/EndTime/Duration", async () => {
        const hold = await http(server.url, "POST", "/api/seat/lock", {
          token: buyer.token,
          body: { seatIds: [s1, s2] },
        });
        assert.equal(hold.status, 200);
        const res = await http<string>(server.url, "POST", "/api/order/create", {
          token: buyer.token,
          body: {
            showId: sale.showId,
            sessionId: sale.sessionId,
            ticketId: sale.ticketId,
            seatIds: [s1, s2],
            quantity: 2,
            totalPrice: 1,
            ...booking,
          },
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const detail = await http<Record<string, unknown>>(
          server.url,
          "GET",
          `/api/order/detail/by-order-no/${res.body.data}`,
          { token: buyer.token },
        );
        assert.equal(detail.body.data.totalAmount, 760);
        assert.equal(detail.body.data.bookingDate, null);
        assert.equal(detail.body.data.bookingEndTime, null);
        assert.equal(detail.body.data.bookingDuration, null);
      });

      await t.step(
        "a single free seatId with the booking fields, as the client sends it",
        async () => {
          const res = await http<string>(server.url, "POST", "/api/order/create", {
            token: buyer.token,
            body: { showId: sale.showId, seatId: s3, quantity: 1, ...booking },
          });
          assert.equal(res.status, 200, JSON.stringify(res.body));
        },
      );

      await t.step("the booking fields are still parsed: garbage is a 400", async () => {
        const res = await http(server.url, "POST", "/api/order/create", {
          token: buyer.token,
          body: { seatIds: [sale.seatIds[4]], bookingDate: "tomorrow evening" },
        });
        assert.equal(res.status, 400);
        assert.match(res.body.message, /^bookingDate:/);
      });

      await t.step("the audit passes", async () => {
        const report = await audit(env.ctx, { sessionIds: [sale.sessionId], graceMs: 0 });
        assert.ok(report.ok, JSON.stringify(report.violations));
      });
    } finally {
      await server.close();
    }
  },
);
