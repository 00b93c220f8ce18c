/**
 * `deno task test:cluster` (tools/run_cluster.ts): boxoffice run as many, on loopback. A Redis
 * Cluster of 3 masters and 3 replicas, a MariaDB primary and a replica, 3 boxoffice instances on
 * them, driven round-robin:
 *
 * 1. slot spread: a session's keys in one slot, several sessions spread over the masters;
 * 2. a flash sale, with the master of its session's slot SIGKILLed a third of the way in: the
 *    cluster promotes the replica, the service answers 503 + Retry-After meanwhile and recovers
 *    by itself; then pays and cancels; nothing oversold, every 2xx create in MySQL;
 * 3. a seat race and 4. an hourly race across the instances;
 * 5. duplicates and replays, each copy of a request sent to a different instance;
 * 6. the replica lagging (its SQL thread stopped): a buyer reads their own new order, catalog
 *    reads lag;
 * 7. jobs: every instance asks for every job at once; one run at a time (job_runs never
 *    overlap), expiry and reconcile correct; then the audit.
 *
 * Ignored unless CLUSTER_FULL=1 (it takes minutes: not part of `deno task test`).
 */
import assert from "node:assert/strict";
import { audit } from "#lib/ops/audit.ts";
import { databaseName } from "#lib/platform/db.ts";
import { startRedis } from "#dev/local_stores.ts";
import { type TestEnv, testEnv } from "../support/env.ts";
import type { ServerProcess } from "../support/process.ts";
import { createSale, type Sale } from "../support/sale.ts";
import { createSeatedSale } from "../support/seating.ts";
import { type Cafe, createCafe, day, ZONE } from "../support/cafe.ts";
import {
  assertUnavailable,
  bugsLogged,
  Checks,
  fire,
  type Reply,
  request,
  type RequestOptions,
  Tally,
} from "../faults/_support.ts";
import {
  type RedisCluster,
  type ReplicatedMariadb,
  startInstances,
  startRedisCluster,
  startReplicatedMariadb,
  stopInstances,
  until,
} from "./_topology.ts";

const FULL = Deno.env.get("CLUSTER_FULL") === "1";

export interface PhaseRow {
  phase: string;
  requests: number;
  successes: number;
  rejections: number;
  /** 503s while a Redis master was down or being replaced. */
  unavailable: number;
  /** Other 5xx (must be 0). */
  otherServerErrors: number;
  noReply: number;
  checksPassed: number;
  violations: number;
  seconds: number;
}

async function record(row: PhaseRow): Promise<void> {
  console.log(`cluster phase: ${JSON.stringify(row)}`);
  const file = Deno.env.get("CLUSTER_SUMMARY");
  if (file) await Deno.writeTextFile(file, JSON.stringify(row) + "\n", { append: true });
}

async function recordExtra(name: string, value: unknown): Promise<void> {
  const file = Deno.env.get("CLUSTER_SUMMARY");
  if (file) {
    await Deno.writeTextFile(file, JSON.stringify({ extra: name, value }) + "\n", {
      append: true,
    });
  }
}

/** A phase's counts: the tally, its checks, the time it took. */
class Phase {
  readonly tally = new Tally();
  readonly checks = new Checks();
  readonly started = Date.now();
  constructor(readonly name: string) {}
  row(): PhaseRow {
    const unavailable = this.tally.byStatus.get(503) ?? 0;
    return {
      phase: this.name,
      requests: this.tally.requests,
      successes: this.tally.successes,
      rejections: this.tally.rejections,
      unavailable,
      otherServerErrors: this.tally.serverErrors - unavailable,
      noReply: this.tally.noReply,
      checksPassed: this.checks.passed,
      violations: 0,
      seconds: Math.round((Date.now() - this.started) / 100) / 10,
    };
  }
}

Deno.test({
  name: `scale-out: 3 instances, Redis Cluster 3+3, MariaDB primary+replica${
    FULL ? "" : " (CLUSTER_FULL=1 only)"
  }`,
  ignore: !FULL,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "bo-cluster-" });
    let redis: RedisCluster | undefined;
    let db: ReplicatedMariadb | undefined;
    let env: TestEnv | undefined;
    let servers: ServerProcess[] = [];
    try {
      [redis, db] = await Promise.all([startRedisCluster(dir), startReplicatedMariadb(dir)]);
      const rc = redis;
      const mdb = db;
      // The harness's own context reads from the primary only: it checks what is committed.
      env = await testEnv(
        { REDIS_CLUSTER_NODES: rc.seeds.join(","), DB_POOL_SIZE: "10", TIME_ZONE: ZONE },
        { databaseUrl: mdb.primaryUrl, redisUrl: "" },
      );
      const e = env;
      await mdb.caughtUp();
      servers = await startInstances(3, {
        databaseUrl: e.databaseUrl,
        databaseReadUrl: `${mdb.replicaUrl}/${databaseName(e.databaseUrl)}`,
        redisClusterNodes: rc.seeds,
        redisPrefix: e.config.redisPrefix,
        // A reservation whose create died with its Redis master (no order row) is released by
        // the reconciler after this grace; the drill runs the reconciler as the cron would.
        vars: { TIME_ZONE: ZONE, JOB_LEASE_SECONDS: "10", RECONCILE_GRACE_SECONDS: "5" },
      });
      const at = (i: number) => servers[i % servers.length].url;
      console.log(
        `topology: redis ${rc.seeds.join(" ")}; mariadb primary :${mdb.primary.port}, ` +
          `replica :${mdb.replica.port}; instances ${servers.map((s) => s.port).join(" ")}`,
      );

      let conflicts = 0;
      /** A request; on 503 (checked: envelope + Retry-After) waits and tries again. */
      const untilAnswered = async (
        phase: Phase,
        base: () => string,
        method: string,
        path: string,
        opts: RequestOptions,
        deadlineMs = 60_000,
        on503?: (r: Reply) => void,
      ): Promise<Reply> => {
        const deadline = Date.now() + deadlineMs;
        while (true) {
          let r: Reply | undefined;
          try {
            r = await request(base(), method, path, opts, phase.tally);
          } catch {
            r = undefined;
          }
          // 409 CONFLICT: an identical request (same Idempotency-Key) is still in progress, or
          // its reservation is waiting for the reconciler; the contract says retry.
          const conflict = r?.status === 409 && r.json?.error === "CONFLICT";
          if (r && r.status !== 503 && !conflict) return r;
          if (conflict) {
            conflicts++;
            phase.checks.ok(/^\d+$/.test(r!.headers.get("retry-after") ?? ""), "Retry-After");
          } else if (r) {
            assertUnavailable(r, `${method} ${path}`);
            on503?.(r);
          }
          if (Date.now() > deadline) {
            throw new Error(`${method} ${path}: no answer but 503/409: ${r?.text}`);
          }
          // A client backing off as Retry-After asks (shortened: the drill's load, not a sync).
          const retryAfter = Number(r?.headers.get("retry-after") ?? 1);
          await new Promise((res) =>
            setTimeout(res, Math.min(retryAfter * 1000, 100 + Math.random() * 300))
          );
        }
      };

      const adminToken = (await e.admin()).token;
      const flash = await createSale(e, { stock: 300, limit: 4 });
      const seated = await createSeatedSale(e, { rows: 4, cols: 10 });
      const cafe: Cafe = await createCafe(e);
      const dupSale = await createSale(e, { stock: 3000, limit: 4 });
      const spread: Sale[] = [];
      for (let i = 0; i < 8; i++) spread.push(await createSale(e, { stock: 10, limit: 4 }));
      await mdb.caughtUp();

      // -------------------------------------------------------------- 1. slot spread
      await t.step(
        "slot spread: one slot per session, sessions spread over the masters",
        async () => {
          const phase = new Phase("slot spread");
          const buyers = await e.users(spread.length);
          await fire(spread.length, spread.length, async (i) => {
            const r = await untilAnswered(phase, () => at(i), "POST", "/api/order/create", {
              token: buyers[i].token,
              body: { ticketId: spread[i].ticketId, quantity: 1 },
            });
            phase.checks.equal(r.status, 200, r.text);
          });
          const sessions = [flash, seated, dupSale, ...spread].map((s) => s.sessionId);
          sessions.push(cafe.sessionId);
          const topology = await rc.topology();
          const masters = topology.filter((n) => n.role === "master" && !n.failed);
          const rows: { session: number; slot: number; master: number; keys: number }[] = [];
          for (const s of sessions) {
            const k = e.ctx.keys;
            const keys = [
              k.sessionReady(s),
              k.tier(s, 1),
              k.reservations(s),
              k.claims(s),
              k.hold(s, "7"),
            ];
            const slots = new Set<number>();
            for (const key of keys) {
              slots.add(Number(await rc.command(masters[0].port, ["CLUSTER", "KEYSLOT", key])));
            }
            phase.checks.equal(slots.size, 1, `session ${s}: keys in ${[...slots]}`);
            const slot = [...slots][0];
            const master = masters.find((m) => m.slots.some(([a, b]) => slot >= a && slot <= b))!;
            // The keys that are really there, counted on that master alone.
            let cursor = "0";
            let n = 0;
            do {
              const [next, found] = await rc.command(master.port, [
                "SCAN",
                cursor,
                "MATCH",
                `${e.config.redisPrefix}{s:${s}}*`,
                "COUNT",
                "1000",
              ]) as [string, string[]];
              cursor = next;
              n += found.length;
            } while (cursor !== "0");
            rows.push({ session: s, slot, master: master.port, keys: n });
          }
          const used = new Set(rows.filter((r) => r.keys > 0).map((r) => r.master));
          console.log("slot spread (session → slot → master port, keys found there):");
          for (const r of rows) {
            console.log(
              `  session ${r.session}\tslot ${r.slot}\tmaster :${r.master}\tkeys ${r.keys}`,
            );
          }
          phase.checks.ok(used.size >= 2, `sessions with keys on ${used.size} master(s) only`);
          await recordExtra("slot spread", {
            masters: masters.map((m) => ({ port: m.port, slots: m.slots })),
            sessions: rows,
          });
          await record(phase.row());
        },
      );

      // -------------------------------------------------------------- 2. flash sale + failover
      await t.step(
        "flash sale round-robin; the session's Redis master killed a third of the way in",
        async () => {
          const phase = new Phase("flash sale, Redis master killed");
          const buyersN = 900;
          const stock = 300;
          const buyers = await e.users(buyersN);
          const slot = Number(
            await rc.command(rc.nodes[0].port, [
              "CLUSTER",
              "KEYSLOT",
              e.ctx.keys.tier(flash.sessionId, flash.ticketId),
            ]),
          );
          const victim = await rc.masterOf(slot);
          let killedAt = 0;
          let promotedAt = 0;
          let lastUnavailableAt = 0;
          let successesAfterPromotion = 0;
          let unavailableDuringFailover = 0;
          let kill: Promise<void> | undefined;
          let started = 0;
          const orders = new Map<number, string>();
          const refusals = new Map<string, number>();
          const failover = async () => {
            killedAt = Date.now();
            await rc.kill(victim.port);
            await until("a replica promoted for the killed master's slots", 30_000, async () => {
              try {
                const m = await rc.masterOf(slot);
                return m.port !== victim.port;
              } catch {
                return false;
              }
            }, 50);
            promotedAt = Date.now();
          };
          let selling = true;
          let reconcileRuns = 0;
          // The scheduled reconcile, every second once the master is gone, on any instance.
          const reconcileLoop = async () => {
            while (selling) {
              const r = await request(at(reconcileRuns), "POST", "/api/admin/jobs/reconcile/run", {
                token: adminToken,
              }, phase.tally);
              if (r.status === 503) {
                assertUnavailable(r, "reconcile");
                unavailableDuringFailover++;
                lastUnavailableAt = Date.now();
              } else {
                phase.checks.ok([200, 409].includes(r.status), `reconcile: ${r.text}`);
              }
              if (r.status === 200) reconcileRuns++;
              await new Promise((res) => setTimeout(res, 1000));
            }
          };
          let reconciling: Promise<void> | undefined;
          const conflictsBefore = conflicts;
          const sale = fire(buyersN, 60, async (i) => {
            if (++started === Math.floor(buyersN / 3)) {
              kill = failover();
              reconciling = reconcileLoop();
            }
            const r = await untilAnswered(
              phase,
              () => at(i),
              "POST",
              "/api/order/create",
              {
                token: buyers[i].token,
                body: { ticketId: flash.ticketId, quantity: 1 },
                headers: { "idempotency-key": `flash-${buyers[i].id}` },
              },
              90_000,
              () => {
                if (!killedAt) return;
                unavailableDuringFailover++;
                lastUnavailableAt = Date.now();
              },
            );
            if (r.status === 200) {
              orders.set(buyers[i].id, String(r.json?.data));
              if (promotedAt) successesAfterPromotion++;
            } else {
              const why = `${r.status} ${r.json?.error}`;
              refusals.set(why, (refusals.get(why) ?? 0) + 1);
            }
          });
          // Whatever happens, nothing of this step outlives it.
          const [sold] = await Promise.allSettled([sale]);
          selling = false;
          await Promise.allSettled([kill, reconciling]);
          if (sold.status === "rejected") throw sold.reason;
          await kill;
          await reconciling;
          const conflictsSeen = conflicts - conflictsBefore;
          const recoveredMs = lastUnavailableAt - killedAt;
          console.log(
            `failover: master :${victim.port} killed; replica promoted after ${
              promotedAt - killedAt
            } ms; last 503 at +${recoveredMs} ms; ${unavailableDuringFailover} answers were ` +
              `503 meanwhile; ${successesAfterPromotion} orders taken after the promotion; ` +
              `${conflictsSeen} retries told 409 CONFLICT; ${reconcileRuns} reconcile runs`,
          );
          phase.checks.ok(killedAt > 0 && promotedAt > 0, "the master was killed and replaced");
          phase.checks.ok(successesAfterPromotion > 0, "orders were taken after the failover");
          // Recovered by itself: no 503 later than a few seconds after the promotion.
          phase.checks.ok(
            lastUnavailableAt - promotedAt < 5000,
            `503s went on ${lastUnavailableAt - promotedAt} ms after the promotion`,
          );
          phase.checks.equal(
            [...refusals.keys()].filter((k) => k !== "409 SOLD_OUT"),
            [],
            `refusals: ${JSON.stringify([...refusals])}`,
          );
          phase.checks.equal(orders.size, stock, "every ticket sold, none twice");

          // The killed node comes back (a restart): it rejoins as a replica of its successor.
          const node = rc.nodes.find((n) => n.port === victim.port)!;
          const again = await startRedis({
            dir: node.dir,
            port: node.port,
            extraArgs: [
              "--cluster-enabled",
              "yes",
              "--cluster-config-file",
              `${node.dir}/nodes.conf`,
              "--cluster-node-timeout",
              "2000",
            ],
          });
          node.process = again;
          await rc.waitHealthy(3, 30_000);
          await until("the old master back as a replica", 30_000, async () => {
            const me = (await rc.topology()).find((n) => n.port === victim.port);
            return me?.role === "replica" && !me.failed;
          });
          phase.checks.ok(true, "the old master rejoined as a replica");

          // Pays and cancels, round-robin (one in four cancels).
          const paid = new Set<string>();
          const entries = [...orders];
          await fire(entries.length, 40, async (i) => {
            const [userId, orderNo] = entries[i];
            const token = buyers.find((b) => b.id === userId)!.token;
            const cancel = i % 4 === 0;
            const r = await untilAnswered(
              phase,
              () => at(i + 1),
              cancel ? "PUT" : "POST",
              cancel ? `/api/order/cancel/${orderNo}` : `/api/order/pay/${orderNo}`,
              { token, body: cancel ? undefined : { payType: 2 } },
            );
            phase.checks.equal([r.status, r.json?.data], [200, true], r.text);
            if (!cancel) paid.add(orderNo);
          });

          // Every 2xx create is a row of MySQL (on the primary), with its buyer; none oversold.
          const rows = await e.ctx.db.rows<{ order_no: string; user_id: number; status: number }>(
            "SELECT order_no, user_id, status FROM orders WHERE ticket_id = ?",
            [flash.ticketId],
          );
          const byNo = new Map(rows.map((r) => [r.order_no, r]));
          for (const [userId, orderNo] of orders) {
            const row = byNo.get(orderNo);
            phase.checks.ok(row?.user_id === userId, `acknowledged order ${orderNo} is in MySQL`);
            phase.checks.equal(row?.status, paid.has(orderNo) ? 1 : 2, `status of ${orderNo}`);
          }
          phase.checks.equal(rows.length, orders.size, "no order row without a 2xx");
          const [st] = await e.ctx.db.rows<{ total: number; locked: number; sold: number }>(
            `SELECT total_stock AS total, locked_stock AS locked, sold_stock AS sold
             FROM ticket_stock WHERE ticket_id = ?`,
            [flash.ticketId],
          );
          phase.checks.equal(st, { total: stock, locked: 0, sold: paid.size }, "stock row");
          phase.checks.ok(st.sold + st.locked <= st.total, "0 oversell");
          const row = phase.row();
          await recordExtra("failover", {
            killedPort: victim.port,
            promotedAfterMs: promotedAt - killedAt,
            last503AfterMs: recoveredMs,
            unavailableDuringFailover,
            successesAfterPromotion,
            conflictsSeen,
            reconcileRuns,
          });
          await record({ ...row, unavailable: unavailableDuringFailover });
          assert.equal(row.unavailable, unavailableDuringFailover, "503s only during the failover");
        },
      );

      // -------------------------------------------------------------- 3. seat race
      await t.step("seat race: 120 buyers for 40 seats across the instances", async () => {
        const phase = new Phase("seat race");
        const buyers = await e.users(120);
        const wants = buyers.map((_, i) => {
          const a = seated.seatIds[(i * 7) % 40];
          const b = seated.seatIds[(i * 7 + 1) % 40];
          return i % 2 ? [a] : [a, b];
        });
        const won = new Map<number, string>();
        await Promise.all(buyers.map(async (b, i) => {
          const r = await untilAnswered(phase, () => at(i), "POST", "/api/order/create", {
            token: b.token,
            body: { seatIds: wants[i] },
          });
          if (r.status === 200) won.set(i, String(r.json?.data));
          else {
            phase.checks.ok(
              r.status === 409 && ["SEAT_UNAVAILABLE", "SOLD_OUT"].includes(r.json?.error ?? ""),
              r.text,
            );
          }
        }));
        const claimed = new Map<number, string>();
        for (const [i, orderNo] of won) {
          for (const s of wants[i]) {
            phase.checks.ok(!claimed.has(s), `seat ${s} won twice (${claimed.get(s)}, ${orderNo})`);
            claimed.set(s, orderNo);
          }
        }
        const twice = await e.ctx.db.rows(
          `SELECT i.seat_id, COUNT(*) AS n FROM order_items i JOIN orders o ON o.id = i.order_id
            WHERE o.session_id = ? AND o.status IN (0, 1) GROUP BY i.seat_id HAVING n > 1`,
          [seated.sessionId],
        );
        phase.checks.equal(twice, [], "no seat in two active orders (MySQL)");
        const [{ n }] = await e.ctx.db.rows<{ n: number }>(
          "SELECT COUNT(*) AS n FROM orders WHERE session_id = ? AND status = 0",
          [seated.sessionId],
        );
        phase.checks.equal(Number(n), won.size, "one order row per winner");
        console.log(`seat race: ${won.size} of 120 buyers won, ${claimed.size} of 40 seats sold`);
        await record(phase.row());
      });

      // -------------------------------------------------------------- 4. hourly race
      await t.step("hourly race: 100 customers, overlapping windows on 5 seats", async () => {
        const phase = new Phase("hourly race");
        const customers = await e.users(100);
        const seats = cafe.seatIds.slice(0, 5);
        let seed = 11;
        const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
        const D = day(2);
        const wants = customers.map(() => {
          const pick = new Set<number>();
          const n = 1 + Math.floor(rnd() * 2);
          while (pick.size < n) pick.add(seats[Math.floor(rnd() * seats.length)]);
          return {
            seatIds: [...pick],
            start: Math.floor(rnd() * 20),
            hours: 1 + Math.floor(rnd() * 4),
          };
        });
        let won = 0;
        await Promise.all(customers.map(async (c, i) => {
          const r = await untilAnswered(phase, () => at(i), "POST", "/api/order/create", {
            token: c.token,
            body: {
              seatIds: wants[i].seatIds,
              bookingDate: `${D} ${String(wants[i].start).padStart(2, "0")}:00:00`,
              bookingDuration: wants[i].hours,
            },
          });
          if (r.status === 200) won++;
          else phase.checks.equal([r.status, r.json?.error], [409, "SEAT_UNAVAILABLE"], r.text);
        }));
        const overlaps = await e.ctx.db.rows(
          `SELECT ia.order_id, ib.order_id AS other, ia.seat_id
             FROM order_items ia JOIN orders a ON a.id = ia.order_id
             JOIN order_items ib ON ib.seat_id = ia.seat_id AND ib.order_id > ia.order_id
             JOIN orders b ON b.id = ib.order_id
            WHERE a.session_id = ? AND a.status IN (0, 1) AND b.status IN (0, 1)
              AND a.booking_start < b.booking_end AND b.booking_start < a.booking_end`,
          [cafe.sessionId],
        );
        phase.checks.equal(overlaps, [], "no seat-hour booked twice");
        const [{ n }] = await e.ctx.db.rows<{ n: number }>(
          "SELECT COUNT(*) AS n FROM orders WHERE session_id = ? AND status = 0",
          [cafe.sessionId],
        );
        phase.checks.equal(Number(n), won, "one order row per winner");
        console.log(`hourly race: ${won} of 100 customers booked their whole window`);
        await record(phase.row());
      });

      // -------------------------------------------------------------- 5. duplicates
      await t.step("duplicates and replays: each copy to another instance", async () => {
        const phase = new Phase("duplicates and replays");
        const buyers = await e.users(150);
        const same = (a: Reply, b: Reply, what: string) =>
          phase.checks.equal(
            { status: b.status, data: b.json?.data, error: b.json?.error },
            { status: a.status, data: a.json?.data, error: a.json?.error },
            `${what}: ${a.text} / ${b.text}`,
          );
        const expected = new Map<number, { orderNo: string; status: number }>();
        await fire(buyers.length, 30, async (i) => {
          const b = buyers[i];
          const headers: Record<string, string> = i % 2 === 0
            ? { "idempotency-key": `dup-${b.id}` }
            : {};
          const send = (n: number, method: string, path: string, body?: unknown) =>
            untilAnswered(phase, () => at(i + n), method, path, { token: b.token, body, headers });
          const create = (n: number) =>
            send(n, "POST", "/api/order/create", {
              ticketId: dupSale.ticketId,
              quantity: 1 + (i % 3),
            });
          const [c1, c2] = await Promise.all([create(0), create(1)]);
          same(c1, c2, `create of buyer ${b.id}`);
          phase.checks.equal(c1.status, 200, c1.text);
          same(c1, await create(2), `replayed create of buyer ${b.id}`);
          const orderNo = String(c1.json?.data);
          if (i % 3 === 2) {
            const [x, y] = await Promise.all([
              send(0, "PUT", `/api/order/cancel/${orderNo}`),
              send(1, "PUT", `/api/order/cancel/${orderNo}`),
            ]);
            same(x, y, `cancel of ${orderNo}`);
            phase.checks.equal([x.status, x.json?.data], [200, true], x.text);
            expected.set(b.id, { orderNo, status: 2 });
          } else {
            const [x, y] = await Promise.all([
              send(1, "POST", `/api/order/pay/${orderNo}`, { payType: 2 }),
              send(2, "POST", `/api/order/pay/${orderNo}`, { payType: 2 }),
            ]);
            same(x, y, `pay of ${orderNo}`);
            phase.checks.equal([x.status, x.json?.data], [200, true], x.text);
            same(x, await send(0, "POST", `/api/order/pay/${orderNo}`, { payType: 2 }), "re-pay");
            expected.set(b.id, { orderNo, status: 1 });
          }
        });
        const rows = await e.ctx.db.rows<{ user_id: number; order_no: string; status: number }>(
          "SELECT user_id, order_no, status FROM orders WHERE ticket_id = ?",
          [dupSale.ticketId],
        );
        phase.checks.equal(rows.length, buyers.length, "one order per buyer, however many copies");
        for (const r of rows) {
          phase.checks.equal(
            { orderNo: r.order_no, status: r.status },
            expected.get(r.user_id),
            `buyer ${r.user_id}`,
          );
        }
        await record(phase.row());
      });

      // -------------------------------------------------------------- 6. replica lag
      await t.step("replica lagging: own orders read back at once, catalog reads lag", async () => {
        const phase = new Phase("replica lag");
        const [buyer, gamer] = await e.users(2);
        await mdb.caughtUp();
        await mdb.pauseApplying();
        const pausedAt = Date.now();
        let resumed = false;
        try {
          // Written through instance 0, read through 1 and 2 at once.
          const c = await untilAnswered(phase, () => at(0), "POST", "/api/order/create", {
            token: buyer.token,
            body: { ticketId: dupSale.ticketId, quantity: 1 },
          });
          phase.checks.equal(c.status, 200, c.text);
          const orderNo = String(c.json?.data);
          const detail = await request(at(1), "GET", `/api/order/${orderNo}`, {
            token: buyer.token,
          }, phase.tally);
          phase.checks.equal(
            [detail.status, (detail.json?.data as { orderNo?: string })?.orderNo],
            [200, orderNo],
            detail.text,
          );
          const list = await request(at(2), "GET", "/api/order/list?page=1&size=10", {
            token: buyer.token,
          }, phase.tally);
          const items = (list.json?.data as { records?: { orderNo: string }[] })?.records ?? [];
          phase.checks.ok(
            items.some((o) => o.orderNo === orderNo),
            `own order listed: ${list.text.slice(0, 300)}`,
          );
          const paid = await request(at(2), "POST", `/api/order/pay/${orderNo}`, {
            token: buyer.token,
            body: { payType: 2 },
          }, phase.tally);
          phase.checks.equal([paid.status, paid.json?.data], [200, true], paid.text);
          const after = await request(
            at(0),
            "GET",
            `/api/order/${orderNo}`,
            { token: buyer.token },
            phase.tally,
          );
          phase.checks.equal(
            (after.json?.data as { status?: number })?.status,
            1,
            `paid order read back: ${after.text}`,
          );

          // An hourly booking: the caller's own seat-hours are "mine" at once on another instance.
          const D = day(3);
          const seat = cafe.seatIds[7];
          const h = await request(at(0), "POST", "/api/order/create", {
            token: gamer.token,
            body: { seatIds: [seat], bookingDate: `${D} 10:00:00`, bookingDuration: 2 },
          }, phase.tally);
          phase.checks.equal(h.status, 200, h.text);
          const av = await request(
            at(1),
            "GET",
            `/api/seat/availability?areaId=${cafe.areaId}&sessionId=${cafe.sessionId}&date=${D}`,
            { token: gamer.token },
            phase.tally,
          );
          const seatAv =
            (av.json?.data as { seats: { id: number; busy: { state: string; mine: boolean }[] }[] })
              ?.seats.find((s) => s.id === seat);
          phase.checks.equal(
            seatAv?.busy.map((b) => [b.state, b.mine]),
            [["booked", true]],
            `own booking shown as mine: ${av.text.slice(0, 300)}`,
          );

          // The catalog comes from the replica: a show made now is not there yet.
          const show = await request(at(0), "POST", "/api/show", {
            token: adminToken,
            body: {
              name: "Added during lag",
              type: 1,
              venue: "Hall",
              city: "上海",
              startTime: "2030-06-01 19:30:00",
              endTime: "2030-06-01 22:00:00",
            },
          }, phase.tally);
          phase.checks.equal(show.status, 200, show.text);
          const showId = (show.json?.data as { id: number }).id;
          const lagging = await request(at(1), "GET", `/api/show/${showId}`, {}, phase.tally);
          phase.checks.equal(
            lagging.status,
            404,
            `catalog read while the replica is paused: ${lagging.text}`,
          );
          // Buyers keep buying while the replica stays behind for a few seconds; each reads
          // their new order back at once through the two other instances.
          const lagBuyers = await e.users(150);
          let rounds = 0;
          let readBack = 0;
          // (Each buyer buys at most 4, the tier's limit: 15 batches of 10, 4 times over.)
          while (Date.now() - pausedAt < 3000 && rounds < 4 * 15) {
            const batch = lagBuyers.slice((rounds % 15) * 10, (rounds % 15) * 10 + 10);
            await Promise.all(batch.map(async (b, k) => {
              const c = await untilAnswered(phase, () => at(k), "POST", "/api/order/create", {
                token: b.token,
                body: { ticketId: dupSale.ticketId, quantity: 1 },
              });
              phase.checks.equal(c.status, 200, c.text);
              const no = String(c.json?.data);
              const [d, l] = await Promise.all([
                request(at(k + 1), "GET", `/api/order/${no}`, { token: b.token }, phase.tally),
                request(at(k + 2), "GET", "/api/order/list?page=1&size=10", {
                  token: b.token,
                }, phase.tally),
              ]);
              phase.checks.equal(d.status, 200, `own order ${no} read back: ${d.text}`);
              const recs = (l.json?.data as { records?: { orderNo: string }[] })?.records ?? [];
              phase.checks.ok(recs.some((o) => o.orderNo === no), `own order ${no} listed`);
              readBack++;
            }));
            rounds++;
          }
          const db = databaseName(e.databaseUrl);
          const [{ n: onReplica }] = await mdb.replicaRows<{ n: number }>(
            `SELECT COUNT(*) AS n FROM \`${db}\`.orders`,
          );
          const [{ n: onPrimary }] = await e.ctx.db.rows<{ n: number }>(
            "SELECT COUNT(*) AS n FROM orders",
          );
          phase.checks.ok(
            Number(onReplica) < Number(onPrimary),
            `the replica is behind: ${onReplica} vs ${onPrimary} orders`,
          );
          const st = await mdb.status();
          phase.checks.equal([st.io, st.sql], ["Yes", "No"], "replica receiving, not applying");
          await mdb.resumeApplying();
          resumed = true;
          await mdb.caughtUp();
          const lagMs = Date.now() - pausedAt;
          const caught = await request(at(1), "GET", `/api/show/${showId}`, {}, phase.tally);
          phase.checks.equal(caught.status, 200, `catalog read after catch-up: ${caught.text}`);
          const behind = Number(onPrimary) - Number(onReplica);
          console.log(
            `replica paused ${lagMs} ms (${behind} orders behind the primary): ${readBack} ` +
              `buyers read their new order back at once; the new show 404 until caught up`,
          );
          await recordExtra("replica lag", { pausedMs: lagMs, ordersBehind: behind, readBack });
        } finally {
          if (!resumed) await mdb.resumeApplying();
        }
        await record(phase.row());
      });

      // -------------------------------------------------------------- 7. jobs, then the audit
      await t.step(
        "jobs: one runner at a time across instances; expiry and reconcile; audit",
        async () => {
          const phase = new Phase("jobs, expiry, reconcile, audit");
          // Unpaid orders whose time is up (their expire_at moved into the past, as time would).
          const buyers = await e.users(40);
          const pending: string[] = [];
          await fire(buyers.length, 20, async (i) => {
            const r = await untilAnswered(phase, () => at(i), "POST", "/api/order/create", {
              token: buyers[i].token,
              body: { ticketId: dupSale.ticketId, quantity: 2 },
            });
            phase.checks.equal(r.status, 200, r.text);
            pending.push(String(r.json?.data));
          });
          await e.ctx.db.exec(
            `UPDATE orders SET expire_at = ? WHERE order_no IN (${
              pending.map(() => "?").join(", ")
            })`,
            [new Date(Date.now() - 60_000), ...pending],
          );
          const outcomes = new Map<string, number>();
          const jobs = [
            "expire-orders",
            "release-holds",
            "reconcile",
            "retry-compensations",
            "low-stock",
          ];
          for (let round = 0; round < 3; round++) {
            await Promise.all(jobs.flatMap((job) =>
              servers.map(async (_, n) => {
                const r = await request(at(n), "POST", `/api/admin/jobs/${job}/run`, {
                  token: adminToken,
                }, phase.tally);
                const k = r.status === 200
                  ? `200 ${(r.json?.data as { outcome: string }).outcome}`
                  : `${r.status} ${r.json?.error}`;
                phase.checks.ok(["200 ok", "409 LEASE_TAKEN"].includes(k), `${job}: ${r.text}`);
                outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
              })
            ));
          }
          console.log(
            `job runs asked of every instance at once: ${
              JSON.stringify(Object.fromEntries(outcomes))
            }`,
          );
          const runs = await e.ctx.db.rows<
            { job: string; instance: string; started_at: Date; finished_at: Date | null }
          >(
            `SELECT job, instance, started_at, finished_at FROM job_runs
            WHERE outcome <> 'skipped' ORDER BY job, started_at`,
          );
          for (const job of jobs) {
            const mine = runs.filter((r) => r.job === job);
            phase.checks.ok(mine.length >= 3, `${job}: ${mine.length} runs`);
            for (let i = 1; i < mine.length; i++) {
              phase.checks.ok(
                mine[i - 1].finished_at !== null &&
                  mine[i - 1].finished_at!.getTime() <= mine[i].started_at.getTime(),
                `${job}: runs overlap: ${JSON.stringify(mine.slice(i - 1, i + 1))}`,
              );
            }
          }
          const instances = new Set(runs.map((r) => r.instance));
          console.log(`job runs by ${instances.size} instances, never two of one job at once`);
          const expired = await e.ctx.db.rows<{ status: number }>(
            `SELECT status FROM orders WHERE order_no IN (${pending.map(() => "?").join(", ")})`,
            pending,
          );
          phase.checks.ok(
            expired.every((r) => r.status === 3),
            `expired: ${JSON.stringify(expired)}`,
          );
          // The whole run, after a reconcile pass that found nothing left to repair.
          const rec = await request(at(0), "POST", "/api/admin/jobs/reconcile/run", {
            token: adminToken,
          }, phase.tally);
          phase.checks.equal(rec.status, 200, rec.text);
          const counts = (rec.json?.data as { counts: Record<string, number> }).counts;
          console.log(`reconcile after the run: ${JSON.stringify(counts)}`);
          phase.checks.equal(counts.remaining, 0, "nothing left to repair");
          const sessionIds = [flash, seated, dupSale, ...spread].map((s) => s.sessionId).concat(
            cafe.sessionId,
          );
          const report = await audit(e.ctx, { sessionIds, graceMs: 0 });
          phase.checks.ok(report.ok, `audit: ${JSON.stringify(report.violations.slice(0, 10))}`);
          phase.checks.passed += report.checks.length;
          console.log(
            `audit: ${
              report.checks.map((c) => `${c.name} ${c.checked}/${c.violations}`).join("; ")
            }`,
          );
          for (const s of servers) {
            phase.checks.equal(bugsLogged(s), [], `unhandled errors on :${s.port}`);
          }
          await record(phase.row());
        },
      );
    } finally {
      for (const s of servers) {
        const bugs = bugsLogged(s);
        if (bugs.length) console.error(`instance :${s.port} logged:\n${bugs.join("\n")}`);
      }
      await stopInstances(servers);
      await env?.close().catch(() => {});
      await redis?.close();
      await db?.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
