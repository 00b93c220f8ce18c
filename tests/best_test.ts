import assert from "node:assert/strict";
import { audit } from "#lib/ops/audit.ts";
import { createCafe, day } from "./support/cafe.ts";
import { suite, type TestEnv } from "./support/env.ts";
import { http, listen } from "./support/sale.ts";
import { createSeatedSale, type SeatedSale } from "./support/seating.ts";

interface Best {
  areaId: number;
  seatIds: number[];
  seats: { id: number; seatCode: string; rowNum: number; seatNum: number }[];
  startTime?: string;
  expireTime: string;
}

interface LayoutSeat {
  id: number;
  rowNum: number;
  seatNum: number;
  status: number;
  lockStatus: number;
  lockedByCurrentUser: boolean;
}

function best(env: TestEnv, token: string, body: Record<string, unknown>) {
  return env.call<Best>("POST", "/api/seat/best", { token, body });
}

/** "row-seat" of each seat of a reply, in the reply's order. */
const places = (b: Best) => b.seats.map((s) => `${s.rowNum}-${s.seatNum}`);

async function layoutOf(env: TestEnv, sale: SeatedSale, token?: string) {
  const res = await env.call<{ seats: LayoutSeat[] }>(
    "GET",
    `/api/seat/layout/${sale.areaId}?sessionId=${sale.sessionId}`,
    { token },
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data.seats;
}

/** Free seats whose both neighbours in the row are taken or the row's end. */
function strandedSeats(seats: LayoutSeat[]): string[] {
  const at = new Map(seats.map((s) => [`${s.rowNum}-${s.seatNum}`, s]));
  const free = (r: number, n: number) => at.get(`${r}-${n}`)?.status === 1;
  return seats
    .filter((s) =>
      s.status === 1 && !free(s.rowNum, s.seatNum - 1) && !free(s.rowNum, s.seatNum + 1)
    )
    .map((s) => `${s.rowNum}-${s.seatNum}`);
}

async function assertAuditOk(env: TestEnv, sessionId: number) {
  const report = await audit(env.ctx, { sessionIds: [sessionId], graceMs: 0 });
  assert.ok(report.ok, JSON.stringify(report.violations, null, 2));
}

suite("best available: blocks in score order, then 409", async (_t, env) => {
  const sale = await createSeatedSale(env, { rows: 3, cols: 6 });
  const buyers = await env.users(10);
  const got: string[][] = [];
  for (const b of buyers.slice(0, 9)) {
    const res = await best(env, b.token, { sessionId: sale.sessionId, count: 2 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.areaId, sale.areaId);
    got.push(places(res.body.data));
  }
  // Front centre first, then the centre of row 2, the ends of row 1 (2.0) before row 3's
  // centre (2.06), then outwards; never a block that would leave one seat alone.
  assert.deepEqual(got, [
    ["1-3", "1-4"],
    ["2-3", "2-4"],
    ["1-1", "1-2"],
    ["1-5", "1-6"],
    ["3-3", "3-4"],
    ["2-1", "2-2"],
    ["2-5", "2-6"],
    ["3-1", "3-2"],
    ["3-5", "3-6"],
  ]);
  const full = await best(env, buyers[9].token, { sessionId: sale.sessionId, count: 1 });
  assert.equal(full.status, 409);
  assert.equal(full.body.error, "SEAT_UNAVAILABLE");
  // Asking again returns the buyer's own seats (its hold extended), not more seats.
  const again = await best(env, buyers[0].token, { sessionId: sale.sessionId, count: 2 });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.deepEqual(places(again.body.data), ["1-3", "1-4"]);
  const mine = (await layoutOf(env, sale, buyers[0].token)).filter((s) => s.lockedByCurrentUser);
  assert.deepEqual(mine.map((s) => s.id).sort(), again.body.data.seatIds.toSorted());
  await assertAuditOk(env, sale.sessionId);
});

suite("best available: no single seat stranded while another block exists", async (_t, env) => {
  const sale = await createSeatedSale(env, { rows: 2, cols: 5 });
  const [x, a, b, c, d] = await env.users(5);
  const lock = await env.call("POST", "/api/seat/lock", {
    token: x.token,
    body: { sessionId: sale.sessionId, seatIds: [sale.seatIds[0]] }, // row 1, seat 1
  });
  assert.equal(lock.status, 200, JSON.stringify(lock.body));
  // Row 1 has 2-5 free: 2-4 would strand 5, 3-5 would strand 2; row 2's 2-4 would strand 1
  // and 5. Row 2's 1-3 scores worse than all of those and strands nothing.
  const first = await best(env, a.token, { sessionId: sale.sessionId, count: 3 });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual(places(first.body.data), ["2-1", "2-2", "2-3"]);
  assert.deepEqual(strandedSeats(await layoutOf(env, sale)), []);
  // Now every block of 3 strands a seat: the best of them, as no other choice exists.
  const second = await best(env, b.token, { sessionId: sale.sessionId, count: 3 });
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.deepEqual(places(second.body.data), ["1-2", "1-3", "1-4"]);
  const third = await best(env, c.token, { sessionId: sale.sessionId, count: 2 });
  assert.deepEqual(places(third.body.data), ["2-4", "2-5"]);
  const none = await best(env, d.token, { sessionId: sale.sessionId, count: 2, adjacent: false });
  assert.equal(none.status, 409);
  assert.equal(none.body.error, "SEAT_UNAVAILABLE");
  const last = await best(env, d.token, { sessionId: sale.sessionId, count: 1 });
  assert.deepEqual(places(last.body.data), ["1-5"]);
});

suite(
  "best available: adjacent:false; the holds are a seat lock's (order, release)",
  async (_t, env) => {
    const sale = await createSeatedSale(env, { rows: 2, cols: 3, limit: 4 });
    const [x, y] = await env.users(2);
    const lock = await env.call("POST", "/api/seat/lock", {
      token: x.token,
      body: { sessionId: sale.sessionId, seatIds: [sale.seatIds[1], sale.seatIds[4]] },
    });
    assert.equal(lock.status, 200, JSON.stringify(lock.body));
    const adjacent = await best(env, y.token, { sessionId: sale.sessionId, count: 2 });
    assert.equal(adjacent.status, 409);
    assert.equal(adjacent.body.error, "SEAT_UNAVAILABLE");
    const anywhere = await best(env, y.token, {
      sessionId: sale.sessionId,
      areaId: sale.areaId,
      count: 2,
      adjacent: false,
    });
    assert.equal(anywhere.status, 200, JSON.stringify(anywhere.body));
    assert.deepEqual(places(anywhere.body.data), ["1-1", "1-3"]);
    // Release one through the seat API, hold it again, and order both: the order takes them.
    const release = await env.call("POST", "/api/seat/release", {
      token: y.token,
      body: { sessionId: sale.sessionId, seatIds: [anywhere.body.data.seatIds[1]] },
    });
    assert.equal(release.status, 200, JSON.stringify(release.body));
    const mine = (await layoutOf(env, sale, y.token)).filter((s) => s.lockedByCurrentUser);
    assert.deepEqual(mine.map((s) => s.id), [anywhere.body.data.seatIds[0]]);
    const again = await best(env, y.token, {
      sessionId: sale.sessionId,
      count: 2,
      adjacent: false,
    });
    assert.deepEqual(again.body.data.seatIds, anywhere.body.data.seatIds);
    const order = await env.call<string>("POST", "/api/order/create", {
      token: y.token,
      body: {
        showId: sale.showId,
        sessionId: sale.sessionId,
        ticketId: sale.ticketId,
        quantity: 2,
        seatIds: again.body.data.seatIds,
      },
    });
    assert.equal(order.status, 200, JSON.stringify(order.body));
    const seats = await layoutOf(env, sale);
    for (const id of again.body.data.seatIds) {
      assert.equal(seats.find((s) => s.id === id)?.lockStatus, 2);
    }
    await assertAuditOk(env, sale.sessionId);
  },
);

suite("best available: bad input is a 400 that holds nothing", async (_t, env) => {
  const sale = await createSeatedSale(env, { rows: 2, cols: 3 });
  const other = await createSeatedSale(env, { rows: 1, cols: 2 });
  const [y] = await env.users(1);
  for (
    const [body, field] of [
      [{ sessionId: sale.sessionId, count: 0 }, "count"],
      [{ sessionId: sale.sessionId, count: 11 }, "count"],
      [{ sessionId: sale.sessionId, count: 1.5 }, "count"],
      [{ sessionId: sale.sessionId, areaId: other.areaId, count: 1 }, "areaId"],
      [
        { sessionId: sale.sessionId, count: 1, startTime: "2030-01-01 10:00:00", hours: 1 },
        "startTime",
      ],
      [{ count: 1 }, "sessionId"],
    ] as const
  ) {
    const res = await best(env, y.token, body);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.message, new RegExp(field), res.body.message);
  }
  const anon = await env.call("POST", "/api/seat/best", {
    body: { sessionId: sale.sessionId, count: 1 },
  });
  assert.equal(anon.status, 401);
  assert.ok((await layoutOf(env, sale)).every((s) => s.status === 1));
});

/** Deterministic pseudo-random numbers, so a failing race can be replayed. */
function random(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

suite(
  "best available: 50 buyers at once on 200 seats get disjoint blocks, nothing stranded",
  async (t, env) => {
    const sale = await createSeatedSale(env, { rows: 10, cols: 20 });
    const buyers = await env.users(50);
    const rnd = random(7);
    const counts = buyers.map(() => 2 + Math.floor(rnd() * 3));
    const server = listen(env);
    try {
      const results = await Promise.all(
        buyers.map((b, i) =>
          http<Best>(server.url, "POST", "/api/seat/best", {
            token: b.token,
            body: { sessionId: sale.sessionId, count: counts[i] },
          })
        ),
      );
      const owner = new Map<number, number>();
      await t.step("every buyer got an adjacent block of one row of its size", () => {
        results.forEach((r, i) => {
          assert.equal(r.status, 200, JSON.stringify(r.body));
          const seats = r.body.data.seats;
          assert.equal(seats.length, counts[i]);
          assert.ok(seats.every((s) => s.rowNum === seats[0].rowNum), JSON.stringify(seats));
          seats.forEach((s, k) => k > 0 && assert.equal(s.seatNum, seats[k - 1].seatNum + 1));
          for (const s of seats) {
            assert.ok(
              !owner.has(s.id),
              `seat ${s.seatCode} given to buyers ${owner.get(s.id)} and ${i}`,
            );
            owner.set(s.id, i);
          }
        });
      });
      await t.step("Redis holds exactly those seats, for those buyers; none stranded", async () => {
        const seats = await layoutOf(env, sale);
        const held = seats.filter((s) => s.status === 2).map((s) => s.id).sort();
        assert.deepEqual(held, [...owner.keys()].sort());
        for (const [i, b] of buyers.entries()) {
          const mine = (await layoutOf(env, sale, b.token)).filter((s) => s.lockedByCurrentUser);
          assert.deepEqual(mine.map((s) => s.id).sort(), results[i].body.data.seatIds.toSorted());
        }
        assert.deepEqual(strandedSeats(seats), []);
        assert.equal(held.length, counts.reduce((a, b) => a + b, 0));
      });
      await assertAuditOk(env, sale.sessionId);
    } finally {
      await server.close();
    }
  },
);

suite(
  "best available, hourly venue: one window's seats are disjoint, another may reuse them",
  async (_t, env) => {
    const { showId, sessionId, areaId } = await createCafe(env);
    const [alice, bob, carol] = await env.users(3);
    const morning = { sessionId, areaId, count: 2, startTime: `${day(1)} 10:00:00`, hours: 2 };
    const noHours = await best(env, alice.token, { sessionId, areaId, count: 2 });
    assert.equal(noHours.status, 400);
    const a = await best(env, alice.token, morning);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    const b = await best(env, bob.token, morning);
    assert.equal(b.status, 200, JSON.stringify(b.body));
    assert.ok(a.body.data.seatIds.every((id) => !b.body.data.seatIds.includes(id)));
    const c = await best(env, carol.token, { ...morning, startTime: `${day(1)} 12:00:00` });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.deepEqual(c.body.data.seatIds, a.body.data.seatIds);
    // Alice's window is a seat lock's: her order of those seats for those hours goes through.
    const order = await env.call<string>("POST", "/api/order/create", {
      token: alice.token,
      body: {
        showId,
        sessionId,
        seatIds: a.body.data.seatIds,
        bookingDate: morning.startTime,
        bookingDuration: 2,
      },
    });
    assert.equal(order.status, 200, JSON.stringify(order.body));
    await assertAuditOk(env, sessionId);
  },
);
