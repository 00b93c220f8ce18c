import assert from "node:assert/strict";
import { mysql } from "#deps";
import { audit } from "#lib/ops/audit.ts";
import { connectionOptions } from "#lib/platform/db.ts";
import type { Difference } from "#lib/ops/reconcile.ts";
import { suite, TEST_JWT_SECRET, type TestEnv, testEnv } from "./support/env.ts";
import { spawnServer } from "./support/process.ts";
import { createSale, http, type Sale, stockOf } from "./support/sale.ts";
import { createSeatedSale } from "./support/seating.ts";

const root = new URL("..", import.meta.url).pathname;

interface JobRun {
  job: string;
  outcome: string;
  reason?: string;
  counts: Record<string, number>;
  error?: string;
  instance: string;
}

interface JobsStatus {
  jobs: {
    name: string;
    schedule: string;
    lastRun: { outcome: string; counts: Record<string, number> | null } | null;
  }[];
  stuckCompensations: { orderNo: string; attempts: number; lastError: string | null }[];
}

interface Report {
  sessions: number;
  notBuilt: number[];
  differences: Difference[];
  repaired?: {
    rebuilt: number[];
    released: string[];
    holdsDeleted: number;
    remaining: Difference[];
  };
}

/** Polls `check` until it returns a value other than undefined, or fails at the deadline. */
async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runJob(env: TestEnv, token: string, name: string) {
  return await env.call<JobRun>("POST", `/api/admin/jobs/${name}/run`, { token });
}

async function order(env: TestEnv, token: string, sale: Sale, quantity: number) {
  const res = await env.call<string>("POST", "/api/order/create", {
    token,
    body: { ticketId: sale.ticketId, quantity },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data;
}

async function orderStatus(env: TestEnv, orderNo: string): Promise<number> {
  const [row] = await env.ctx.db.rows<{ status: number }>(
    "SELECT status FROM orders WHERE order_no = ?",
    [orderNo],
  );
  return row.status;
}

suite(
  "jobs: expire-orders through the admin API; the job list; job_runs stays bounded",
  async (t, env) => {
    const sale = await createSale(env, { stock: 10, limit: 4 });
    const [buyer] = await env.users(1);
    const admin = sale.adminToken;
    const orderNo = await order(env, buyer.token, sale, 3);

    await t.step("GET /api/admin/jobs lists every job with its schedule; admins only", async () => {
      const res = await env.call<JobsStatus>("GET", "/api/admin/jobs", { token: admin });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const schedules = Object.fromEntries(res.body.data.jobs.map((j) => [j.name, j.schedule]));
      assert.deepEqual(schedules, {
        "expire-orders": "* * * * *",
        "release-holds": "* * * * *",
        "reconcile": "*/5 * * * *",
        "retry-compensations": "* * * * *",
        "prune-past-hours": "*/5 * * * *",
        "low-stock": "*/5 * * * *",
      });
      assert.ok(res.body.data.jobs.every((j) => j.lastRun === null));
      assert.deepEqual(res.body.data.stuckCompensations, []);
      const asBuyer = await env.call("GET", "/api/admin/jobs", { token: buyer.token });
      assert.equal(asBuyer.status, 403);
      const run = await runJob(env, buyer.token, "expire-orders");
      assert.equal(run.status, 403);
      const unknown = await runJob(env, admin, "no-such-job");
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error, "NOT_FOUND");
    });

    await t.step("before expire_at the job leaves the order alone", async () => {
      const run = await runJob(env, admin, "expire-orders");
      assert.equal(run.status, 200, JSON.stringify(run.body));
      assert.equal(run.body.data.outcome, "ok");
      assert.deepEqual(run.body.data.counts, { due: 0, expired: 0, failed: 0 });
      assert.equal(await orderStatus(env, orderNo), 0);
    });

    await t.step("past expire_at: EXPIRED, stock back in both stores, paying → 409", async () => {
      const realNow = env.ctx.now;
      env.ctx.now = () => Date.now() + (env.config.orderPaySeconds + 1) * 1000;
      try {
        const run = await runJob(env, admin, "expire-orders");
        assert.equal(run.status, 200, JSON.stringify(run.body));
        assert.equal(run.body.data.outcome, "ok");
        assert.deepEqual(run.body.data.counts, { due: 1, expired: 1, failed: 0 });
        const again = await runJob(env, admin, "expire-orders");
        assert.deepEqual(again.body.data.counts, { due: 0, expired: 0, failed: 0 });
      } finally {
        env.ctx.now = realNow;
      }
      assert.equal(await orderStatus(env, orderNo), 3);
      const stock = await stockOf(env, sale);
      assert.deepEqual(stock.mysql, { total: 10, locked: 0, sold: 0 });
      assert.deepEqual(stock.redis, stock.mysql);
      const pay = await env.call("POST", `/api/order/pay/${orderNo}`, { token: buyer.token });
      assert.equal(pay.status, 409);
      assert.equal(pay.body.error, "ORDER_EXPIRED");
      // The tickets are sellable again: the buyer may buy the tier's whole limit.
      await order(env, buyer.token, sale, 4);
      const report = await audit(env.ctx, { graceMs: 0 });
      assert.ok(report.ok, JSON.stringify(report.violations));
    });

    await t.step("the job list shows the last run with its counts", async () => {
      const res = await env.call<JobsStatus>("GET", "/api/admin/jobs", { token: admin });
      const expire = res.body.data.jobs.find((j) => j.name === "expire-orders")!;
      assert.equal(expire.lastRun?.outcome, "ok");
      assert.deepEqual(expire.lastRun?.counts, { due: 0, expired: 0, failed: 0 });
      assert.equal(res.body.data.jobs.find((j) => j.name === "reconcile")!.lastRun, null);
    });

    await t.step("every job runs; job_runs keeps only the last 50 runs of a job", async () => {
      for (
        const name of [
          "release-holds",
          "reconcile",
          "retry-compensations",
          "prune-past-hours",
          "low-stock",
        ]
      ) {
        const run = await runJob(env, admin, name);
        assert.equal(run.status, 200, `${name}: ${JSON.stringify(run.body)}`);
        assert.equal(run.body.data.outcome, "ok", name);
      }
      for (let i = 0; i < 55; i++) await runJob(env, admin, "release-holds");
      const [{ n }] = await env.ctx.db.rows<{ n: number }>(
        "SELECT COUNT(*) AS n FROM job_runs WHERE job = 'release-holds'",
      );
      assert.equal(Number(n), 50);
    });

    await t.step("low-stock counts tiers under LOW_STOCK_RATIO of their stock", async () => {
      const low = await createSale(env, { stock: 20, limit: 4 });
      const buyers = await env.users(5);
      // 19 of 20 gone: 1 left, under 0.1 × 20. The first sale has 6 of 10 left: not low.
      for (const [i, b] of buyers.entries()) await order(env, b.token, low, i < 4 ? 4 : 3);
      const run = await runJob(env, admin, "low-stock");
      assert.equal(run.body.data.outcome, "ok");
      assert.deepEqual(run.body.data.counts, { low: 1 });
      // Sold out is not "low": nothing left to warn about.
      const [last] = await env.users(1);
      await order(env, last.token, low, 1);
      const after = await runJob(env, admin, "low-stock");
      assert.deepEqual(after.body.data.counts, { low: 0 });
    });
  },
);

suite("jobs: reconcile finds each corruption, repair fixes it, audit agrees", async (t, env) => {
  const admin = await env.admin();
  const a = await createSale(env, { stock: 10 });
  const b = await createSale(env, { stock: 10 });
  const idle = await createSale(env, { stock: 10 });
  const buyers = await env.users(4);
  const k = env.ctx.keys;
  const redis = (args: string[]) => env.ctx.redis.send(args, args[1]);
  const graceMs = env.config.reconcileGraceSeconds * 1000;

  // A small sale in both sessions: paid and unpaid orders.
  const paid = await order(env, buyers[0].token, a, 2);
  await env.call("POST", `/api/order/pay/${paid}`, { token: buyers[0].token });
  await order(env, buyers[1].token, a, 1);
  await order(env, buyers[2].token, b, 3);
  const pendingB = await order(env, buyers[3].token, b, 1);
  const bPaid = await order(env, buyers[0].token, b, 1);
  await env.call("POST", `/api/order/pay/${bPaid}`, { token: buyers[0].token });

  const consistency = () =>
    env.call<Report>("GET", "/api/admin/consistency", { token: admin.token });

  await t.step("a consistent deployment: no differences; `deno task audit` exits 0", async () => {
    const res = await consistency();
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.sessions, 3);
    assert.deepEqual(res.body.data.differences, []);
    assert.deepEqual(res.body.data.notBuilt, []);
    const out = await auditCommand(env);
    assert.equal(out.code, 0, out.stderr + out.stdout);
    const doc = JSON.parse(out.stdout);
    assert.equal(doc.ok, true);
    assert.deepEqual(doc.violations, []);
    assert.equal(doc.checks.length, 10);
  });

  const strayNo = "20200101000000000000001";
  const youngNo = "20200101000000000000002";
  const holdKey = k.hold(b.sessionId, "77");
  await t.step("corrupt Redis on purpose", async () => {
    // Session a: its tier's keys lost while the ready marker stays.
    await redis(["DEL", k.tier(a.sessionId, a.ticketId)]);
    await redis(["DEL", k.tierBuyers(a.sessionId, a.ticketId)]);
    // Session b: a counter changed, an unpaid order's reservation lost, a stray reservation
    // older than the grace period (counted as a real one would be), a young one (in flight:
    // not stray), a hold that never expires, a claim and a disabled seat MySQL knows nothing of.
    await redis(["HINCRBY", k.tier(b.sessionId, b.ticketId), "sold", "2"]);
    await redis(["HDEL", k.reservations(b.sessionId), pendingB]);
    for (const [no, age] of [[strayNo, graceMs + 60_000], [youngNo, 1000]] as const) {
      const record = { u: buyers[1].id, t: b.ticketId, q: 1, st: "p", c: Date.now() - age, s: [] };
      await redis(["HSET", k.reservations(b.sessionId), no, JSON.stringify(record)]);
      await redis(["HINCRBY", k.tier(b.sessionId, b.ticketId), "locked", "1"]);
      await redis(["HINCRBY", k.tierBuyers(b.sessionId, b.ticketId), String(buyers[1].id), "1"]);
    }
    // A hold as hold-seats.lua makes one (with its entry in the session's hold index, where
    // the sweep and reconcile find holds) that then lost its TTL.
    await redis(["SET", holdKey, `${buyers[2].id}|${Date.now() + 60_000}`]);
    await redis(["ZADD", k.sessionHolds(b.sessionId), String(Date.now() + 60_000), "77"]);
    await redis(["HSET", k.claims(b.sessionId), "55", `${pendingB}|p`]);
    await redis(["SADD", k.disabledSeats(b.sessionId), "66"]);
    // Session idle: never used since Redis "lost" it.
    await redis(["DEL", k.sessionReady(idle.sessionId)]);
  });

  await t.step("GET /api/admin/consistency reports each difference, changes nothing", async () => {
    const res = await consistency();
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const found = res.body.data.differences.map((d) => `${d.sessionId} ${d.kind} ${d.key}`).sort();
    assert.deepEqual(
      found,
      [
        `${a.sessionId} tier-missing ${a.ticketId}`,
        `${a.sessionId} buyers ${a.ticketId}`,
        `${b.sessionId} tier ${b.ticketId}`,
        `${b.sessionId} reservation-missing ${pendingB}`,
        `${b.sessionId} reservation-stray ${strayNo}`,
        `${b.sessionId} hold-stray ${holdKey}`,
        `${b.sessionId} claim 55`,
        `${b.sessionId} disabled 66`,
      ].sort(),
    );
    const tier = res.body.data.differences.find((d) => d.kind === "tier")!;
    assert.deepEqual(tier.mysql, { total: 10, locked: 3 + 1 + 2, sold: 1 });
    assert.deepEqual(tier.redis, { total: 10, locked: 3 + 1 + 2, sold: 3 });
    assert.deepEqual(res.body.data.notBuilt, [idle.sessionId]);
    // Read-only: a second look finds the same.
    const again = await consistency();
    assert.equal(again.body.data.differences.length, found.length);
    const report = await audit(env.ctx, { graceMs });
    assert.equal(report.ok, false);
    const out = await auditCommand(env);
    assert.equal(out.code, 1, out.stderr + out.stdout);
    assert.equal(JSON.parse(out.stdout).ok, false);
  });

  await t.step("POST /api/admin/consistency/repair fixes them; audit is ok", async () => {
    const res = await env.call<Report>("POST", "/api/admin/consistency/repair", {
      token: admin.token,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const r = res.body.data.repaired!;
    assert.deepEqual(r.rebuilt.sort(), [a.sessionId, b.sessionId].sort());
    assert.deepEqual(r.released, [strayNo]);
    assert.equal(r.holdsDeleted, 1);
    assert.deepEqual(r.remaining, []);
    const after = await consistency();
    assert.deepEqual(after.body.data.differences, []);
    assert.equal(Number(await redis(["EXISTS", holdKey])), 0);
    for (const sale of [a, b]) {
      const stock = await stockOf(env, sale);
      assert.deepEqual(stock.redis, stock.mysql);
    }
    const report = await audit(env.ctx, { graceMs: 0 });
    assert.ok(report.ok, JSON.stringify(report.violations));
    const out = await auditCommand(env);
    assert.equal(out.code, 0, out.stderr + out.stdout);
    // The repaired sale goes on: the unpaid order of b can be paid.
    const pay = await env.call("POST", `/api/order/pay/${pendingB}`, { token: buyers[3].token });
    assert.equal(pay.status, 200, JSON.stringify(pay.body));
  });

  await t.step("the reconcile job repairs by itself and reports its counts", async () => {
    await redis(["HINCRBY", k.tier(a.sessionId, a.ticketId), "locked", "5"]);
    const run = await runJob(env, admin.token, "reconcile");
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.equal(run.body.data.counts.differences, 1);
    assert.equal(run.body.data.counts.rebuilt, 1);
    assert.equal(run.body.data.counts.remaining, 0);
    assert.equal(run.body.data.counts.notBuilt, 1);
    const stock = await stockOf(env, a);
    assert.deepEqual(stock.redis, stock.mysql);
  });

  await t.step("`deno task audit`: 2 with one line when it cannot connect", async () => {
    const url = new URL(env.databaseUrl);
    url.pathname = "/bo_no_such_database";
    const out = await auditCommand(env, { DATABASE_URL: url.toString() });
    assert.equal(out.code, 2, out.stderr + out.stdout);
    assert.equal(out.stdout, "");
    assert.equal(out.stderr.trim().split("\n").length, 1, out.stderr);
    assert.match(out.stderr, /^audit: /);
    const bad = await auditCommand(env, { REDIS_URL: "http://nope" });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /REDIS_URL/);
  });
});

/** `deno task audit` against the test's stores, as an operator would run it. */
async function auditCommand(env: TestEnv, extra: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "audit"],
    cwd: root,
    env: {
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: env.config.redisPrefix,
      ...extra,
    },
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

suite(
  "jobs: a compensation failing twice then succeeding is done; one always failing is stuck",
  async (t, env) => {
    const admin = await env.admin();
    const healing = await createSale(env, { stock: 10 });
    const broken = await createSale(env, { stock: 10 });
    const [b1, b2] = await env.users(2);
    const k = env.ctx.keys;
    const redis = (args: string[]) => env.ctx.redis.send(args, args[1]);
    const first = await order(env, b1.token, healing, 2);
    const second = await order(env, b2.token, broken, 1);

    // A real Redis failure: the session's reservations key holds a string, so the release
    // script fails with WRONGTYPE until the key is put back.
    const healingKey = k.reservations(healing.sessionId);
    const saved = await redis(["HGET", healingKey, first]) as string;
    assert.ok(saved);
    for (const key of [healingKey, k.reservations(broken.sessionId)]) {
      await redis(["DEL", key]);
      await redis(["SET", key, "not a hash"]);
    }

    await t.step("cancel commits in MySQL; the failed Redis step is recorded", async () => {
      for (const [buyer, no] of [[b1, first], [b2, second]] as const) {
        const res = await env.call("PUT", `/api/order/cancel/${no}`, { token: buyer.token });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(await orderStatus(env, no), 2);
      }
      const rows = await env.ctx.db.rows<{ order_no: string; status: string }>(
        "SELECT order_no, status FROM compensations ORDER BY id",
      );
      assert.deepEqual(rows, [
        { order_no: first, status: "pending" },
        { order_no: second, status: "pending" },
      ]);
    });

    // Each retry waits for its backoff: move the service's clock past it instead of waiting.
    const realNow = env.ctx.now;
    let offset = 0;
    const retryNow = async () => {
      offset += 3600_000;
      env.ctx.now = () => Date.now() + offset;
      try {
        const run = await runJob(env, admin.token, "retry-compensations");
        assert.equal(run.status, 200, JSON.stringify(run.body));
        return run.body.data.counts;
      } finally {
        env.ctx.now = realNow;
      }
    };

    await t.step("two failed retries: attempts counted, still pending", async () => {
      assert.deepEqual(
        { ...await retryNow(), pending: undefined, stuckTotal: undefined },
        { attempted: 2, done: 0, failed: 2, stuck: 0, pending: undefined, stuckTotal: undefined },
      );
      const second = await retryNow();
      assert.equal(second.failed, 2);
      const rows = await env.ctx.db.rows<{ attempts: number; status: string; last_error: string }>(
        "SELECT attempts, status, last_error FROM compensations ORDER BY id",
      );
      assert.deepEqual(rows.map((r) => [r.attempts, r.status]), [[2, "pending"], [2, "pending"]]);
      assert.match(rows[0].last_error, /WRONGTYPE/);
    });

    await t.step(
      "Redis healed: the third retry releases the stock; the other is stuck",
      async () => {
        await redis(["DEL", healingKey]);
        await redis(["HSET", healingKey, first, saved]);
        const counts = await retryNow();
        assert.equal(counts.done, 1);
        assert.equal(counts.stuck, 1); // COMPENSATION_MAX_ATTEMPTS=3
        const rows = await env.ctx.db.rows<{ order_no: string; status: string; attempts: number }>(
          "SELECT order_no, status, attempts FROM compensations ORDER BY id",
        );
        assert.deepEqual(rows, [
          { order_no: first, status: "done", attempts: 3 },
          { order_no: second, status: "stuck", attempts: 3 },
        ]);
        const stock = await stockOf(env, healing);
        assert.deepEqual(stock.mysql, { total: 10, locked: 0, sold: 0 });
        assert.deepEqual(stock.redis, stock.mysql);
        // Nothing left to retry: a stuck record waits for a human, not for the job.
        const idle = await retryNow();
        assert.equal(idle.attempted, 0);
      },
    );

    await t.step("the stuck one is listed by GET /api/admin/jobs", async () => {
      const res = await env.call<JobsStatus>("GET", "/api/admin/jobs", { token: admin.token });
      assert.equal(res.status, 200);
      const stuck = res.body.data.stuckCompensations;
      assert.deepEqual(stuck.map((c) => [c.orderNo, c.attempts]), [[second, 3]]);
      assert.match(stuck[0].lastError ?? "", /WRONGTYPE/);
      const job = res.body.data.jobs.find((j) => j.name === "retry-compensations")!;
      assert.equal(job.lastRun?.outcome, "ok");
      await redis(["DEL", k.reservations(broken.sessionId)]);
    });
  },
  { COMPENSATION_MAX_ATTEMPTS: "3" },
);

Deno.test({
  name: "jobs: two server processes — one run at a time; a killed holder's lease lapses",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const env = await testEnv();
    const servers = [0, 1].map(() =>
      spawnServer({
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        REDIS_PREFIX: env.config.redisPrefix,
        JWT_SECRET: TEST_JWT_SECRET,
        JOBS: "true",
        JOB_LEASE_SECONDS: "4",
      })
    );
    const conn = await mysql.createConnection(connectionOptions(env.databaseUrl));
    try {
      await Promise.all(servers.map((s) => s.waitForLine(/"msg":"cron jobs registered"/)));
      await Promise.all(servers.map((s) => s.waitForLine(/"msg":"listening"/)));
      const sale = await createSale(env, { stock: 10 });
      const [buyer] = await env.users(1);
      const orderNo = await order(env, buyer.token, sale, 2);
      const lease = env.ctx.keys.jobLease("expire-orders");
      const run = (url: string) =>
        http<JobRun>(url, "POST", "/api/admin/jobs/expire-orders/run", { token: sale.adminToken });

      // The servers' own cron runs expire-orders at every minute's start; keep clear of it so
      // the two runs triggered here are the only ones.
      await waitFor("a quiet part of the minute", () => {
        const s = new Date().getSeconds();
        return s >= 2 && s <= 40 ? true : undefined;
      }, 70_000);
      await conn.query(
        "UPDATE orders SET expire_at = NOW(3) - INTERVAL 1 MINUTE WHERE order_no = ?",
        [orderNo],
      );
      // Hold the order's row, so whichever run gets the lease is still working (waiting for
      // the row) when the other asks.
      await conn.beginTransaction();
      await conn.query("SELECT id FROM orders WHERE order_no = ? FOR UPDATE", [orderNo]);
      // Runs the cron did before (at a minute's start, on an empty table) are not ours.
      const [{ last: before }] = await env.ctx.db.rows<{ last: number }>(
        "SELECT COALESCE(MAX(id), 0) AS last FROM job_runs",
      );

      let holder = -1;
      await t.step("both asked at once: one runs, the other reports the lease taken", async () => {
        const pending = servers.map((s, i) => run(s.url).then((r) => ({ i, r })));
        const firstBack = await Promise.race(pending);
        assert.equal(firstBack.r.status, 409, JSON.stringify(firstBack.r.body));
        assert.equal(firstBack.r.body.error, "LEASE_TAKEN");
        const detail = (firstBack.r.body as unknown as { detail: JobRun }).detail;
        assert.equal(detail.outcome, "skipped");
        assert.equal(detail.reason, "lease taken");
        holder = 1 - firstBack.i;
        assert.ok(await env.ctx.redis.send(["GET", lease], lease), "the holder has the lease");
        // The holder's run is still going (blocked on the row): its row says so.
        const rows = await env.ctx.db.rows<{ outcome: string }>(
          "SELECT outcome FROM job_runs WHERE job = 'expire-orders' AND id > ? ORDER BY id",
          [before],
        );
        assert.deepEqual(rows.map((r) => r.outcome).sort(), ["running", "skipped"]);
        pending[holder].catch(() => {}); // it dies below
      });

      await t.step("kill -9 the holder: the lease outlives it, then lapses", async () => {
        servers[holder].signal("SIGKILL");
        await servers[holder].exited;
        await conn.rollback();
        const other = servers[1 - holder];
        const blocked = await run(other.url);
        assert.equal(blocked.status, 409, JSON.stringify(blocked.body));
        const done = await waitFor("the lease to lapse and the run to proceed", async () => {
          const r = await run(other.url);
          return r.status === 409 ? undefined : r;
        });
        assert.equal(done.status, 200, JSON.stringify(done.body));
        assert.equal(done.body.data.outcome, "ok");
        assert.equal(done.body.data.counts.expired, 1);
        assert.equal(await orderStatus(env, orderNo), 3);
        const stock = await stockOf(env, sale);
        assert.deepEqual(stock.mysql, { total: 10, locked: 0, sold: 0 });
        assert.deepEqual(stock.redis, stock.mysql);
        // The dead holder's run never finished; the survivor's is a different instance.
        const rows = await env.ctx.db.rows<{ outcome: string; instance: string }>(
          `SELECT outcome, instance FROM job_runs
            WHERE job = 'expire-orders' AND outcome <> 'skipped' AND id > ? ORDER BY id`,
          [before],
        );
        assert.equal(rows[0].outcome, "running");
        assert.equal(rows.at(-1)!.outcome, "ok");
        assert.notEqual(rows[0].instance, rows.at(-1)!.instance);
        // However many skips the polling made, only the last few are kept.
        const [{ n }] = await env.ctx.db.rows<{ n: number }>(
          "SELECT COUNT(*) AS n FROM job_runs WHERE job = 'expire-orders' AND outcome = 'skipped'",
        );
        assert.ok(Number(n) <= 10, `${n} skipped rows kept`);
      });
    } finally {
      await conn.end().catch(() => {});
      for (const s of servers) s.signal("SIGTERM");
      await Promise.all(servers.map((s) => s.exited));
      await env.close();
    }
  },
});

suite(
  "jobs: seats — expiry frees the seats; a lost 'in order' mark is found and repaired",
  async (t, env) => {
    const sale = await createSeatedSale(env, { rows: 1, cols: 4 });
    const [alice, bob] = await env.users(2);
    const [s1, s2, s3] = sale.seatIds;
    const created = await env.call<string>("POST", "/api/order/create", {
      token: alice.token,
      body: { seatIds: [s1, s2] },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const paidNo = await env.call<string>("POST", "/api/order/create", {
      token: bob.token,
      body: { seatIds: [s3] },
    });
    await env.call("POST", `/api/order/pay/${paidNo.body.data}`, { token: bob.token });

    await t.step("the expire job frees an unpaid order's seats; paying it is 409", async () => {
      const realNow = env.ctx.now;
      env.ctx.now = () => Date.now() + (env.config.orderPaySeconds + 1) * 1000;
      try {
        const run = await runJob(env, sale.adminToken, "expire-orders");
        assert.equal(run.body.data.counts.expired, 1, JSON.stringify(run.body));
      } finally {
        env.ctx.now = realNow;
      }
      const pay = await env.call("POST", `/api/order/pay/${created.body.data}`, {
        token: alice.token,
      });
      assert.equal(pay.body.error, "ORDER_EXPIRED");
      const hold = await env.call("POST", "/api/seat/lock", {
        token: bob.token,
        body: { seatIds: [s1, s2] },
      });
      assert.equal(hold.status, 200, JSON.stringify(hold.body));
      const [{ n }] = await env.ctx.db.rows<{ n: number }>(
        "SELECT COUNT(*) AS n FROM seat_claims WHERE session_id = ?",
        [sale.sessionId],
      );
      assert.equal(Number(n), 1);
    });

    await t.step("a sold seat's mark deleted in Redis → reported, repaired, audit ok", async () => {
      const claims = env.ctx.keys.claims(sale.sessionId);
      await env.ctx.redis.send(["HDEL", claims, String(s3)], claims);
      const res = await env.call<Report>("GET", "/api/admin/consistency", {
        token: sale.adminToken,
      });
      const found = res.body.data.differences.map((d) => `${d.kind} ${d.key}`);
      assert.deepEqual(found, [`claim ${s3}`]);
      const repair = await env.call<Report>("POST", "/api/admin/consistency/repair", {
        token: sale.adminToken,
      });
      assert.equal(repair.status, 200);
      const after = await env.call<Report>("GET", "/api/admin/consistency", {
        token: sale.adminToken,
      });
      assert.deepEqual(after.body.data.differences, []);
      const report = await audit(env.ctx, { graceMs: 0 });
      assert.ok(report.ok, JSON.stringify(report.violations));
      const steal = await env.call("POST", "/api/seat/lock", {
        token: alice.token,
        body: { seatIds: [s3] },
      });
      assert.equal(steal.status, 409);
    });
  },
);
