// Issue 17: a tier known sold out is refused from process memory for SOLD_OUT_CACHE_MS, without
// a Redis call; idempotent answers never suffer from it.
import assert from "node:assert/strict";
import { suite, type TestEnv } from "./support/env.ts";
import { createSale } from "./support/sale.ts";
import { watchScripts } from "./support/scripts.ts";
import { noteSoldOut } from "#lib/sale/sold_out_memo.ts";

/** How many times each script runs during `fn`. */
async function scriptCalls(env: TestEnv, fn: () => Promise<void>): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  await watchScripts(env, (name) => calls.set(name, (calls.get(name) ?? 0) + 1), fn);
  return calls;
}

suite(
  "sold-out fast path: refused from memory, never at the cost of an idempotent answer",
  async (t, env) => {
    const sale = await createSale(env, { stock: 1, limit: 4 });
    const buyers = await env.users(24);
    const [alice, bob, dave, erin] = buyers;
    const create = (token: string, headers: Record<string, string> = {}) =>
      env.call<string>("POST", "/api/order/create", {
        token,
        body: { ticketId: sale.ticketId, quantity: 1 },
        headers,
      });
    let aliceOrder = "";

    await t.step("once a reserve answered sold out, a stampede costs no Redis call", async () => {
      const first = await create(alice.token);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      aliceOrder = first.body.data;
      const refused = await create(bob.token);
      assert.equal(refused.body.error, "SOLD_OUT");
      const calls = await scriptCalls(env, async () => {
        const all = await Promise.all(buyers.slice(4).map((b) => create(b.token)));
        assert.ok(all.every((r) => r.status === 409 && r.body.error === "SOLD_OUT"));
      });
      assert.equal(calls.get("reserve") ?? 0, 0);
    });

    await t.step(
      "a duplicate of an order still gets its number, with or without a key",
      async () => {
        const calls = await scriptCalls(env, async () => {
          const again = await create(alice.token); // the same request within the dedup window
          assert.equal(again.status, 200, JSON.stringify(again.body));
          assert.equal(again.body.data, aliceOrder);
          const keyed = await create(dave.token, { "idempotency-key": "dave-1" });
          assert.equal(keyed.body.error, "SOLD_OUT");
        });
        assert.equal(calls.get("reserve"), 2, "both asked Redis");
      },
    );

    await t.step("a release in this process is seen at once", async () => {
      const cancel = await env.call("PUT", `/api/order/cancel/${aliceOrder}`, {
        token: alice.token,
      });
      assert.equal(cancel.status, 200);
      const next = await create(erin.token);
      assert.equal(next.status, 200, JSON.stringify(next.body));
    });
  },
  // Longer than the steps take on a slow, shared machine.
  { SOLD_OUT_CACHE_MS: "5000" },
);

suite(
  "sold-out fast path: when the memo lapses, one request asks Redis again, not the stampede",
  async (t, env) => {
    const sale = await createSale(env, { stock: 3, limit: 4 });
    const buyers = await env.users(24);
    const [alice, bob, carol, dave] = buyers;
    const create = (token: string, quantity = 1) =>
      env.call<string>("POST", "/api/order/create", {
        token,
        body: { ticketId: sale.ticketId, quantity },
      });
    const realNow = env.ctx.now;
    // The clock stands still at a moment past the memo (no waiting): the stampede below all
    // arrives while the recheck is under way.
    const lapse = () => {
      const at = realNow() + 2 * env.config.soldOutCacheMs;
      env.ctx.now = () => at;
    };
    try {
      const first = await create(alice.token, 3);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal((await create(bob.token)).body.error, "SOLD_OUT");

      await t.step("one reserve for a stampede that finds the memo lapsed", async () => {
        lapse();
        const calls = await scriptCalls(env, async () => {
          const all = await Promise.all(buyers.slice(4).map((b) => create(b.token)));
          assert.ok(all.every((r) => r.status === 409 && r.body.error === "SOLD_OUT"));
        });
        assert.equal(calls.get("reserve"), 1, "the recheck alone");
        // Its answer (sold out still) renewed the memo: the next stampede asks nothing.
        const again = await scriptCalls(env, async () => {
          await Promise.all(buyers.slice(4).map((b) => create(b.token)));
        });
        assert.equal(again.get("reserve") ?? 0, 0);
      });

      await t.step("a recheck that finds stock lets the next buyers through", async () => {
        env.ctx.now = realNow;
        const cancel = await env.call("PUT", `/api/order/cancel/${first.body.data}`, {
          token: alice.token,
        });
        assert.equal(cancel.status, 200);
        // This process still believes the tier sold out, as one whose release happened in
        // another instance would.
        noteSoldOut(env.ctx, { ...sale, sessionId: sale.sessionId, userId: 0, quantity: 1 }, 0);
        lapse();
        const byCarol = await create(carol.token);
        assert.equal(byCarol.status, 200, JSON.stringify(byCarol.body));
        const byDave = await create(dave.token);
        assert.equal(byDave.status, 200, JSON.stringify(byDave.body));
      });
    } finally {
      env.ctx.now = realNow;
    }
  },
  { SOLD_OUT_CACHE_MS: "5000" },
);
