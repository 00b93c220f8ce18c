/**
 * A create asks Redis nothing after its commit unless a rebuild of its session's state may have
 * missed the order: the reserve answers the generation of the state (the ready marker's), the
 * commit reads MySQL's under a shared lock (lib/orders/statements.ts generationsStatement), and
 * a rebuild counts the generation up before it reads (lib/sale/session_rebuild.ts). The cases
 * where the check must still run (a rebuild between reserve and commit) are tested in
 * hardening_sale_test.ts and fault_findings_test.ts, which fail if it is skipped there.
 */
import assert from "node:assert/strict";
import { mysql } from "#deps";
import { rebuildSession } from "#lib/sale/session_rebuild.ts";
import { connectionOptions } from "#lib/platform/db.ts";
import type { RedisReply } from "#lib/platform/redis.ts";
import { suite, type TestEnv } from "./support/env.ts";
import { watchScripts } from "./support/scripts.ts";
import { createSale, stockOf } from "./support/sale.ts";

/** Runs `fn`, collecting the Redis commands (their names) the env's context sends meanwhile. */
async function watchCommands(env: TestEnv, fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const real = env.ctx.redis.send;
  env.ctx.redis.send = (<T extends RedisReply>(args: string[], routingKey?: string) => {
    // A script call is seen by its name (below), not as the EVALSHA that carries it.
    if (args[0].toUpperCase() !== "EVALSHA") seen.push(args[0].toUpperCase());
    return real.call(env.ctx.redis, args, routingKey) as Promise<T>;
  }) as typeof real;
  try {
    await watchScripts(env, (name) => seen.push(`script:${name}`), fn);
  } finally {
    env.ctx.redis.send = real;
  }
  return seen;
}

suite(
  "a create checks Redis after its commit only when a rebuild may have missed it",
  async (t, env) => {
    const sale = await createSale(env, { stock: 100, limit: 4 });
    const buyers = await env.users(12);
    const create = (token: string) =>
      env.call<string>("POST", "/api/order/create", {
        token,
        body: { ticketId: sale.ticketId, quantity: 1 },
      });
    // Each buyer's token checked once (its revocations are then known in process), and the
    // first create builds the session's state (generation 1).
    for (const b of buyers) {
      assert.equal((await env.call("GET", "/api/user/info", { token: b.token })).status, 200);
    }
    assert.equal((await create(buyers[0].token)).status, 200);

    await t.step(
      "no rebuild since the reserve: one script call, nothing after the commit",
      async () => {
        const seen = await watchCommands(env, async () => {
          const replies = await Promise.all(buyers.slice(1).map((b) => create(b.token)));
          for (const r of replies) assert.equal(r.status, 200, JSON.stringify(r.body));
        });
        assert.deepEqual(seen.filter((c) => c !== "script:reserve"), [], seen.join(" "));
        assert.equal(seen.length, 11);
        const stock = await stockOf(env, sale);
        assert.deepEqual(stock.mysql, { total: 100, locked: 12, sold: 0 });
        assert.deepEqual(stock.redis, stock.mysql);
      },
    );

    await t.step(
      "a rebuild that starts while a commit holds the generation waits for it",
      async () => {
        // A transaction standing in for a group commit: it reads the generation under the shared
        // lock, then locks a ticket, as a batch's stock UPDATE does, and has not committed yet.
        const conn = await mysql.createConnection(connectionOptions(env.databaseUrl));
        try {
          await conn.query("START TRANSACTION");
          const [read] = await conn.query(
            "SELECT generation FROM sale_state_generations WHERE session_id = ? LOCK IN SHARE MODE",
            [sale.sessionId],
          );
          assert.deepEqual((read as { generation: number }[]).map((r) => Number(r.generation)), [
            1,
          ]);
          await conn.query(
            "UPDATE ticket_stock SET locked_stock = locked_stock + 1 WHERE ticket_id = ?",
            [sale.ticketId],
          );
          // Redis loses the session; a rebuild starts and must wait for the commit.
          await env.ctx.redis.deleteByPrefix(`${env.config.redisPrefix}{s:${sale.sessionId}}`);
          const rebuilt = rebuildSession(env.ctx, sale.sessionId);
          await waitForLockWait(env);
          await conn.query("COMMIT");
          await rebuilt;
        } finally {
          await conn.end();
        }
        // The rebuild read MySQL after the commit: the ticket it locked is in Redis too.
        const stock = await stockOf(env, sale);
        assert.deepEqual(stock.mysql, { total: 100, locked: 13, sold: 0 });
        assert.deepEqual(stock.redis, stock.mysql);
        const [{ generation }] = await env.ctx.db.rows<{ generation: number }>(
          "SELECT generation FROM sale_state_generations WHERE session_id = ?",
          [sale.sessionId],
        );
        assert.equal(Number(generation), 2);
        // Put MySQL back as the orders say, for the suite's other checks.
        await env.ctx.db.exec(
          "UPDATE ticket_stock SET locked_stock = locked_stock - 1 WHERE ticket_id = ?",
          [sale.ticketId],
        );
      },
    );

    await t.step(
      "after a rebuild, creates on the new generation skip the check again",
      async () => {
        const [buyer] = await env.users(1);
        assert.equal((await env.call("GET", "/api/user/info", { token: buyer.token })).status, 200);
        // The rebuilt state's generation key names generation 2; the commit reads 2.
        const seen = await watchCommands(env, async () => {
          assert.equal((await create(buyer.token)).status, 200);
        });
        assert.deepEqual(seen, ["script:reserve"]);
      },
    );

    await t.step(
      "a state rebuilt by a version that knows no generation: the create checks Redis",
      async () => {
        const [buyer] = await env.users(1);
        assert.equal((await env.call("GET", "/api/user/info", { token: buyer.token })).status, 200);
        // Such a rebuild writes a new ready marker (its time) and leaves the generation key as
        // it was: the two no longer name the same rebuild, whose generation is then not known.
        const ready = env.ctx.keys.sessionReady(sale.sessionId);
        const marker = await env.ctx.redis.send<string>(["GET", ready], ready);
        await env.ctx.redis.send(["SET", ready, String(Number(marker) + 1), "KEEPTTL"], ready);
        try {
          const seen = await watchCommands(env, async () => {
            assert.equal((await create(buyer.token)).status, 200);
          });
          assert.deepEqual(seen, ["script:reserve", "HMGET"]);
        } finally {
          await env.ctx.redis.send(["SET", ready, marker, "KEEPTTL"], ready);
        }
      },
    );
  },
);

/**
 * Waits until the rebuild's count of the generation has been waiting in the server for 200 ms
 * (unblocked, it takes well under a millisecond): it waits for the lock.
 */
async function waitForLockWait(env: TestEnv): Promise<void> {
  const deadline = Date.now() + 4_000;
  while (Date.now() < deadline) {
    const [{ n }] = await env.ctx.db.rows<{ n: number }>(
      `SELECT COUNT(*) AS n FROM information_schema.processlist
        WHERE db = DATABASE() AND info LIKE 'INSERT INTO sale_state_generations%'
          AND time_ms >= 200`,
    );
    if (Number(n) > 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("the rebuild did not come to wait for the generation's lock");
}
