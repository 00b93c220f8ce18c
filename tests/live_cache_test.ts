// Issue 17: the layout's live-state cache drops exactly what this process's writes made stale. A
// hold re-reads only the held seats; an order or a payment of a tier without seats re-reads
// nothing; a cancel of a seated order re-reads its area whole; and what a reader sees is at once
// what Redis says.
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { createApp } from "#http/app.ts";
import { noteSlotWrite } from "#lib/sale/slot_writes.ts";
import { suite, type TestEnv } from "./support/env.ts";
import { watchScripts } from "./support/scripts.ts";
import { createSeatedSale, eventually } from "./support/seating.ts";

interface Layout {
  availableSeats: number;
  seats: { id: number; status: number; lockStatus: number; lockedByCurrentUser?: boolean }[];
}

/** The read-slots calls made during `fn`, each as the number of slots it read. */
async function slotReads(env: TestEnv, fn: () => Promise<void>): Promise<number[]> {
  const reads: number[] = [];
  // now, the hold prefix, then the slots joined by ","
  await watchScripts(
    env,
    (name, _keys, args) =>
      name === "read-slots" && reads.push(args[2] === "" ? 0 : String(args[2]).split(",").length),
    fn,
  );
  return reads;
}

/**
 * The layout at `path` as a browser asks for it (deflate accepted), inflated: its data. From an
 * app that does not check replies against their schema (the suite's does, which sends text).
 */
async function deflatedLayout(env: TestEnv, path: string, token?: string): Promise<Layout> {
  const app = createApp(env.ctx, undefined, { checkReplies: false });
  const headers: Record<string, string> = { "accept-encoding": "gzip, deflate" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await app.request(path, { headers });
  assert.equal(res.headers.get("content-encoding"), "deflate");
  return JSON.parse(inflateSync(new Uint8Array(await res.arrayBuffer())).toString()).data;
}

/** A 1,000-seat area on sale, its layout's path, and a reader of its layout (as anyone). */
async function seatedArea(env: TestEnv) {
  const sale = await createSeatedSale(env, { rows: 20, cols: 50, limit: 10 });
  const path = `/api/seat/layout/${sale.areaId}?sessionId=${sale.sessionId}`;
  const layout = async () => {
    const res = await env.call<Layout>("GET", path);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data;
  };
  return { sale, path, layout };
}

suite("layout cache: this process's writes re-read what they changed, no more", async (t, env) => {
  const { sale, path, layout } = await seatedArea(env);
  const [alice, bob] = await env.users(2);
  const standing = await env.call<{ id: number }>("POST", "/api/ticket", {
    token: sale.adminToken,
    body: {
      showId: sale.showId,
      sessionId: sale.sessionId,
      name: "Standing",
      price: 80,
      totalStock: 100,
      limitCount: 10,
    },
  });
  assert.equal(standing.status, 200, JSON.stringify(standing.body));
  await layout(); // the area's state is cached from here

  await t.step("a hold: the next reader reads the two held seats only, and sees them", async () => {
    const [s1, s2] = sale.seatIds;
    let view: Layout | undefined;
    const reads = await slotReads(env, async () => {
      const hold = await env.call("POST", "/api/seat/lock", {
        token: alice.token,
        body: { sessionId: sale.sessionId, seatIds: [s1, s2] },
      });
      assert.equal(hold.status, 200, JSON.stringify(hold.body));
      view = await layout();
    });
    assert.deepEqual(reads, [2]);
    assert.equal(view!.availableSeats, 998);
    const held = view!.seats.filter((s) => s.lockStatus === 1).map((s) => s.id);
    assert.deepEqual(held.sort(), [s1, s2].sort());
    // The patched rendering is the one a full read renders, and the one rendered from scratch
    // (Alice's own view is, as she holds seats; hers says which are hers).
    noteSlotWrite(env.ctx, sale.sessionId, { session: true });
    const whole = await slotReads(env, async () => assert.deepEqual(await layout(), view));
    assert.deepEqual(whole, [1000]);
    // Compressed as a browser asks, chunk by chunk: the same reply.
    assert.deepEqual(await deflatedLayout(env, path), view);
    const hers = await env.call<Layout>("GET", path, { token: alice.token });
    const asAnyone = hers.body.data.seats.map((s) => ({ ...s, lockedByCurrentUser: false }));
    assert.deepEqual({ ...hers.body.data, seats: asAnyone }, view);
    const mine = hers.body.data.seats.filter((s) => s.lockedByCurrentUser).map((s) => s.id);
    assert.deepEqual(mine.sort(), [s1, s2].sort());
    // Hers compressed too, from the shared rendering's pieces and her seats' blocks.
    assert.deepEqual(await deflatedLayout(env, path, alice.token), hers.body.data);
  });

  await t.step("an order and a payment of a tier without seats re-read nothing", async () => {
    const reads = await slotReads(env, async () => {
      const created = await env.call<string>("POST", "/api/order/create", {
        token: bob.token,
        body: { ticketId: standing.body.data.id, quantity: 2 },
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const paid = await env.call("POST", `/api/order/pay/${created.body.data}`, {
        token: bob.token,
      });
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      assert.equal((await layout()).availableSeats, 998);
    });
    assert.deepEqual(reads, []);
  });

  await t.step("a cancelled seated order: its area is read again whole", async () => {
    const seat = sale.seatIds[10];
    const created = await env.call<string>("POST", "/api/order/create", {
      token: bob.token,
      body: { seatIds: [seat] },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal((await layout()).availableSeats, 997);
    const reads = await slotReads(env, async () => {
      const cancelled = await env.call("PUT", `/api/order/cancel/${created.body.data}`, {
        token: bob.token,
      });
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      assert.equal((await layout()).availableSeats, 998);
    });
    assert.deepEqual(reads, [1000]);
  });

  await t.step(
    "availableSeats, counted from the seats that changed, through holds and releases",
    async () => {
      // 998 free now (Alice holds the first two). Each write patches the cached rendering, whose
      // count starts from the previous one's: it must stay the number of seats shown free.
      const buyers = await env.users(4);
      let expected = 998;
      const check = async (token?: string) => {
        const res = await env.call<Layout>("GET", path, token ? { token } : undefined);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const shownFree = res.body.data.seats.filter((s) => s.status === 1).length;
        assert.equal(res.body.data.availableSeats, shownFree);
        assert.equal(res.body.data.availableSeats, expected);
      };
      const write = async (route: "lock" | "release", token: string, seatIds: number[]) => {
        const res = await env.call("POST", `/api/seat/${route}`, {
          token,
          body: { sessionId: sale.sessionId, seatIds },
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        expected += route === "lock" ? -seatIds.length : seatIds.length;
        await check();
        await check(token); // the holder's own view is based on the shared one: the same count
      };
      for (const [i, b] of buyers.entries()) {
        await write("lock", b.token, sale.seatIds.slice(100 + 10 * i, 103 + 10 * i));
      }
      await write("release", buyers[1].token, sale.seatIds.slice(110, 113));
      await write("lock", buyers[0].token, sale.seatIds.slice(500, 502));
      await write("release", buyers[0].token, sale.seatIds.slice(100, 103));
      // And the count of a rendering made from scratch.
      noteSlotWrite(env.ctx, sale.sessionId, { session: true });
      await check();
    },
  );
}, { LAYOUT_CACHE_MS: "60000" }); // a slow machine must not see an entry lapse mid-step

suite("layout cache: a hold that lapses is shown free, the rest as it was", async (t, env) => {
  const { sale, path, layout } = await seatedArea(env);
  const [alice, bob] = await env.users(2);
  await layout(); // rendered once, every seat free
  const [held, ordered] = [sale.seatIds[3], sale.seatIds[700]];
  const hold = await env.call("POST", "/api/seat/lock", {
    token: alice.token,
    body: { sessionId: sale.sessionId, seatIds: [held] },
  });
  assert.equal(hold.status, 200, JSON.stringify(hold.body));
  const order = await env.call("POST", "/api/order/create", {
    token: bob.token,
    body: { seatIds: [ordered] },
  });
  assert.equal(order.status, 200, JSON.stringify(order.body));
  const statusOf = (view: Layout, seatId: number) => view.seats.find((s) => s.id === seatId)!;

  await t.step("shown held, then free once it lapses; the ordered seat stays taken", async () => {
    const before = await layout();
    assert.equal(statusOf(before, held).lockStatus, 1);
    assert.equal(before.availableSeats, 998);
    // The next renderings start from this one (the hold lapses inside the cache's lifetime).
    let after = before;
    await eventually(async () => {
      after = await layout();
      return statusOf(after, held).lockStatus === 0;
    });
    assert.equal(statusOf(after, held).status, 1);
    assert.equal(statusOf(after, ordered).lockStatus, 2);
    assert.equal(after.availableSeats, 999);
    const changed = after.seats.filter((s, i) =>
      JSON.stringify(s) !== JSON.stringify(before.seats[i])
    );
    assert.deepEqual(changed.map((s) => s.id), [held]);
    // The compressed reply, stitched from its blocks, says the same.
    assert.deepEqual(await deflatedLayout(env, path), after);
  });
}, { LAYOUT_CACHE_MS: "60000", SEAT_HOLD_SECONDS: "1" });
