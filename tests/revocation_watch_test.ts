/**
 * The in-process memory of "this token is not revoked" (issue 17: one Redis round trip per
 * create): a remembered token costs no Redis command, a revocation made on any instance is obeyed
 * by every instance, and a dropped subscription forgets everything until it is back. The first
 * suite checks the Redis path alone (no copy of every revocation, REVOCATION_VIEW_MAX=0: what a
 * process does before its copy is loaded, or past its bound); the second, that copy.
 */
import assert from "node:assert/strict";
import { closeContext, createContext, revocationsWatched } from "#lib/boot.ts";
import { issueToken, verifyToken } from "#lib/accounts/tokens.ts";
import { revocationViewOf } from "#lib/accounts/revocation_view.ts";
import type { AppContext } from "#lib/platform/context.ts";
import type { Config } from "#lib/platform/config.ts";
import type { SqlValue } from "#lib/platform/db.ts";
import { createLogger } from "#lib/platform/log.ts";
import type { Redis } from "#lib/platform/redis.ts";
import { suite, type TestEnv } from "./support/env.ts";

/** Counts the commands a context sends to Redis. */
function countCommands(ctx: AppContext): { count: () => number } {
  let n = 0;
  const original: Redis["send"] = ctx.redis.send.bind(ctx.redis);
  ctx.redis.send = ((args: string[], routingKey?: string) => {
    n++;
    return original(args, routingKey);
  }) as Redis["send"];
  return { count: () => n };
}

/** Resolves once `ok()` holds; the condition is re-read after every macrotask, for at most 5 s. */
async function until(ok: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not within 5 s: ${what}`);
    await new Promise((r) => setTimeout(r, 0));
  }
}

/**
 * Redis loses its memory; `run` then gets a process new to it, whose queries of
 * token_revocations are counted.
 */
async function afterRedisWipe(
  env: TestEnv,
  run: (fresh: AppContext, loads: () => number) => Promise<void>,
): Promise<void> {
  await env.ctx.redis.deleteByPrefix(env.config.redisPrefix);
  const fresh = await createContext(env.config, {
    databaseUrl: env.databaseUrl,
    redisUrl: env.redisUrl,
    log: createLogger("error"),
  });
  try {
    let loads = 0;
    const rows = fresh.db.rows.bind(fresh.db);
    fresh.db.rows = ((sql: string, params?: SqlValue[]) => {
      if (/FROM token_revocations/.test(sql)) loads++;
      return rows(sql, params);
    }) as typeof fresh.db.rows;
    await run(fresh, () => loads);
  } finally {
    await closeContext(fresh);
  }
}

suite("revocations: remembered per process, announced to every process", async (t, env) => {
  assert.equal(revocationViewOf(env.ctx), undefined, "this suite checks the path without the copy");
  const other = await createContext(env.config, {
    databaseUrl: env.databaseUrl,
    redisUrl: env.redisUrl,
    log: createLogger("error"),
  });
  try {
    await revocationsWatched(env.ctx);
    await revocationsWatched(other);

    await t.step("a token seen once is verified again with no Redis command", async () => {
      const buyer = await env.user();
      // Issued by the other instance: this one has not seen it.
      const { token } = await issueToken(other, { id: buyer.id, role: "user" });
      const commands = countCommands(env.ctx);
      await verifyToken(env.ctx, token);
      const first = commands.count();
      assert.ok(first >= 1, "the first check reads Redis");
      for (let i = 0; i < 5; i++) await verifyToken(env.ctx, token);
      assert.equal(commands.count(), first);
    });

    await t.step("a token issued here is verified with no Redis command at all", async () => {
      const buyer = await env.user();
      const login = await env.call<{ token: string }>("POST", "/api/user/login", {
        body: { username: buyer.username, password: "secret123" },
      });
      assert.equal(login.status, 200);
      const commands = countCommands(env.ctx);
      await verifyToken(env.ctx, login.body.data.token);
      assert.equal(commands.count(), 0);
      // The other instance did not issue it: it asks Redis.
      const others = countCommands(other);
      await verifyToken(other, login.body.data.token);
      assert.ok(others.count() >= 1);
    });

    await t.step("logout on one instance is obeyed by the other", async () => {
      const buyer = await env.user();
      await verifyToken(other, buyer.token); // remembered by `other`
      assert.ok(other.revocations.has(String(buyer.id), jtiOf(buyer.token)));
      assert.equal(
        (await env.call("POST", "/api/user/logout", { token: buyer.token })).status,
        200,
      );
      // This instance forgot at once; the other when the announcement reaches it.
      await assert.rejects(verifyToken(env.ctx, buyer.token), /token revoked/);
      await until(
        () => !other.revocations.has(String(buyer.id), jtiOf(buyer.token)),
        "the other instance hears of the logout",
      );
      await assert.rejects(verifyToken(other, buyer.token), /token revoked/);
    });

    await t.step("a password change on one instance revokes the other tokens on both", async () => {
      const buyer = await env.user();
      const login = await env.call<{ token: string }>("POST", "/api/user/login", {
        body: { username: buyer.username, password: "secret123" },
      });
      const second = login.body.data.token;
      await verifyToken(other, second);
      const changed = await env.call("PUT", "/api/user/password", {
        token: buyer.token,
        body: { oldPassword: "secret123", newPassword: "n3wpassword" },
      });
      assert.equal(changed.status, 200);
      await until(
        () => !other.revocations.has(String(buyer.id), jtiOf(second)),
        "the other instance hears of the password change",
      );
      await assert.rejects(verifyToken(other, second), /token revoked/);
      await verifyToken(other, buyer.token); // the caller's own token is kept
    });

    await t.step(
      "a dropped subscription forgets everything until it is confirmed again",
      async () => {
        const buyer = await env.user();
        await verifyToken(other, buyer.token);
        assert.ok(other.revocations.size > 0);
        // Kill every subscriber connection of this Redis: both contexts' watches drop.
        await env.ctx.redis.send(["CLIENT", "KILL", "TYPE", "pubsub"]);
        await until(() => !other.revocations.live || other.revocations.size === 0, "drop seen");
        assert.equal(other.revocations.has(String(buyer.id), jtiOf(buyer.token)), false);
        // While it is down (or once it is back), the token is checked in Redis and still valid.
        await verifyToken(other, buyer.token);
        await until(() => other.revocations.live, "the watch comes back on a fresh connection");
        await verifyToken(other, buyer.token);
        assert.ok(other.revocations.has(String(buyer.id), jtiOf(buyer.token)));
        // And the fresh subscription hears the next revocation.
        assert.equal(
          (await env.call("POST", "/api/user/logout", { token: buyer.token })).status,
          200,
        );
        await until(
          () => !other.revocations.has(String(buyer.id), jtiOf(buyer.token)),
          "the fresh subscription hears the logout",
        );
        await assert.rejects(verifyToken(other, buyer.token), /token revoked/);
      },
    );
    await t.step("buyers new to Redis load their revocations in one query", async () => {
      const buyers = await env.users(30);
      const [gone] = buyers;
      assert.equal(
        (await env.call("POST", "/api/user/logout", { token: gone.token })).status,
        200,
      );
      // Redis lost its memory: every buyer's revocations must come back from MySQL first.
      await afterRedisWipe(env, async (fresh, loads) => {
        const checks = await Promise.allSettled(buyers.map((b) => verifyToken(fresh, b.token)));
        assert.equal(loads(), 1, "one query for the 30 buyers");
        assert.equal(checks[0].status, "rejected");
        assert.match(String((checks[0] as PromiseRejectedResult).reason), /token revoked/);
        for (const c of checks.slice(1)) assert.equal(c.status, "fulfilled");
      });
    });
    await t.step(
      "a token's first use asks MySQL nothing: issuing it loaded the revocations",
      async () => {
        const [buyer] = await env.users(1);
        assert.equal(
          (await env.call("POST", "/api/user/logout", { token: buyer.token })).status,
          200,
        );
        // Redis lost its memory, then the buyer logs in again on a process new to it.
        await afterRedisWipe(env, async (fresh, loads) => {
          const { token } = await issueToken(fresh, { id: buyer.id, role: "user" });
          assert.equal(loads(), 1, "issuing the token loads its user's revocations");
          await verifyToken(fresh, token);
          // The logged-out token is refused from what issuing loaded, not from a query of its own.
          await assert.rejects(verifyToken(fresh, buyer.token), /token revoked/);
          assert.equal(loads(), 1, "no query at the tokens' first use");
        });
      },
    );
  } finally {
    await closeContext(other);
  }
}, { REVOCATION_VIEW_MAX: "0" });

/** Another process on the same stores (its own settings over the test's). */
function anotherProcess(env: TestEnv, settings: Partial<Config> = {}): Promise<AppContext> {
  return createContext({ ...env.config, ...settings }, {
    databaseUrl: env.databaseUrl,
    redisUrl: env.redisUrl,
    log: createLogger("error"),
  });
}

async function copied(ctx: AppContext): Promise<void> {
  await until(() => revocationViewOf(ctx)?.complete === true, "the copy of revocations is loaded");
}

suite("revocations: every process keeps a copy of them all", async (t, env) => {
  const other = await anotherProcess(env);
  try {
    await t.step("a token not seen before is verified with no Redis command", async () => {
      const buyer = await env.user();
      // Issued by this instance, checked first by the other one.
      const { token } = await issueToken(env.ctx, { id: buyer.id, role: "user" });
      await copied(other);
      const commands = countCommands(other);
      await verifyToken(other, token);
      assert.equal(commands.count(), 0);
    });

    await t.step(
      "logouts and password changes made before the copy are in it, even after Redis lost them",
      async () => {
        const [gone, changer] = await env.users(2);
        const login = await env.call<{ token: string }>("POST", "/api/user/login", {
          body: { username: changer.username, password: "secret123" },
        });
        const older = login.body.data.token;
        assert.equal(
          (await env.call("POST", "/api/user/logout", { token: gone.token })).status,
          200,
        );
        // The changer's older token is left out; the one making the change is kept.
        const changed = await env.call("PUT", "/api/user/password", {
          token: changer.token,
          body: { oldPassword: "secret123", newPassword: "n3wpassword" },
        });
        assert.equal(changed.status, 200);
        await afterRedisWipe(env, async (fresh) => {
          await copied(fresh);
          const commands = countCommands(fresh);
          await assert.rejects(verifyToken(fresh, gone.token), /token revoked/);
          await assert.rejects(verifyToken(fresh, older), /token revoked/);
          await verifyToken(fresh, changer.token);
          assert.equal(commands.count(), 0, "answered from the copy, not from Redis");
        });
      },
    );

    await t.step("a logout on one instance is obeyed by the other's copy", async () => {
      const buyer = await env.user();
      await copied(other);
      await verifyToken(other, buyer.token); // valid, from the copy
      assert.equal(
        (await env.call("POST", "/api/user/logout", { token: buyer.token })).status,
        200,
      );
      await until(
        () => revocationViewOf(other)!.revoked(buyer.id, jtiOf(buyer.token), 0) === undefined,
        "the other instance hears of the logout",
      );
      await assert.rejects(verifyToken(other, buyer.token), /token revoked/);
    });

    await t.step(
      "a dropped watch drops the copy; it is loaded again when the watch is back",
      async () => {
        const buyer = await env.user();
        await copied(other);
        await env.ctx.redis.send(["CLIENT", "KILL", "TYPE", "pubsub"]);
        await until(() => revocationViewOf(other)!.complete === false, "the copy is dropped");
        // Meanwhile the token is checked in Redis.
        await verifyToken(other, buyer.token);
        await copied(other);
        assert.equal(
          (await env.call("POST", "/api/user/logout", { token: buyer.token })).status,
          200,
        );
        await until(
          () => revocationViewOf(other)!.revoked(buyer.id, jtiOf(buyer.token), 0) === undefined,
          "the fresh watch hears the logout",
        );
        await assert.rejects(verifyToken(other, buyer.token), /token revoked/);
      },
    );

    await t.step("past its bound a process keeps no copy and asks Redis", async () => {
      const bounded = await anotherProcess(env, { revocationViewMax: 1 });
      try {
        // The earlier steps revoked more than one token: its load finds too many, keeps none.
        await until(
          () => bounded.revocations.live && revocationViewOf(bounded)!.state === "none",
          "the load is refused",
        );
        const [gone] = await env.users(1);
        assert.equal(
          (await env.call("POST", "/api/user/logout", { token: gone.token })).status,
          200,
        );
        const commands = countCommands(bounded);
        await assert.rejects(verifyToken(bounded, gone.token), /token revoked/);
        assert.ok(commands.count() >= 1, "asked in Redis");
      } finally {
        await closeContext(bounded);
      }
    });
  } finally {
    await closeContext(other);
  }
});

function jtiOf(token: string): string {
  const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(payload)).jti;
}
