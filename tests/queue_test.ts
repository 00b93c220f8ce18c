// The waiting room (issue 19): settings, joining, fair order, admission at the configured rate,
// passes at the door of holds and creates, sold out, two instances on one queue, load shedding.
// Real MariaDB, real Redis, real HTTP.
import assert from "node:assert/strict";
import { createApp } from "#http/app.ts";
import { closeContext, createContext } from "#lib/boot.ts";
import { createLogger } from "#lib/platform/log.ts";
import { suite, type TestEnv, type TestUser } from "./support/env.ts";
import { parsePrometheusText, value } from "./support/prom_text.ts";
import { createSale, http, listen, type Sale } from "./support/sale.ts";
import { createSeatedSale, eventually } from "./support/seating.ts";

interface View {
  state: "waiting" | "admitted" | "sold_out";
  position?: number;
  ahead?: number;
  estimatedWaitSeconds?: number;
  pass?: string;
  passExpiresAt?: string;
}

interface Report {
  enabled: boolean;
  opensAt: string | null;
  admitPerSecond: number | null;
  waiting: number;
  admitted: number;
  admittedLastMinute: number;
  passesActive: number;
  soldOut: boolean;
}

type Server = { url: string; close: () => Promise<void> };

const room = (url: string, sale: Sale, body: Record<string, unknown>) =>
  http<Record<string, unknown>>(url, "PUT", `/api/queue/${sale.sessionId}`, {
    token: sale.adminToken,
    body,
  });
const report = async (url: string, sale: Sale) => {
  const res = await http<Report>(url, "GET", `/api/queue/${sale.sessionId}`, {
    token: sale.adminToken,
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data;
};
const join = (url: string, sessionId: number, buyer: TestUser) =>
  http<View>(url, "POST", `/api/queue/${sessionId}/join`, { token: buyer.token });
const status = (url: string, sessionId: number, buyer: TestUser) =>
  http<View>(url, "GET", `/api/queue/${sessionId}/status`, { token: buyer.token });
const create = (url: string, sale: Sale, buyer: TestUser, pass?: string, quantity = 1) =>
  http<string>(url, "POST", "/api/order/create", {
    token: buyer.token,
    body: { sessionId: sale.sessionId, ticketId: sale.ticketId, quantity },
    headers: pass ? { "x-queue-pass": pass } : {},
  });

/** Polls the buyer's status until admitted (bounded); returns the pass. */
async function admittedPass(url: string, sessionId: number, buyer: TestUser): Promise<string> {
  let pass = "";
  await eventually(async () => {
    const s = await status(url, sessionId, buyer);
    assert.equal(s.status, 200, JSON.stringify(s.body));
    pass = s.body.data.pass ?? "";
    return s.body.data.state === "admitted";
  });
  assert.match(pass, /^qp1\./);
  return pass;
}

function withServer(env: TestEnv, fn: (url: string) => Promise<void>): Promise<void> {
  const server: Server = listen(env);
  return fn(server.url).finally(() => server.close());
}

suite("queue: settings are admin-only, validated, 404 for an unknown session", async (t, env) => {
  const sale = await createSale(env, { stock: 10 });
  const buyer = await env.user();
  await withServer(env, async (url) => {
    await t.step("a session that never had a room reads as off", async () => {
      const r = await report(url, sale);
      assert.equal(r.enabled, false);
      assert.equal(r.admitPerSecond, null);
      assert.equal(r.waiting, 0);
    });
    await t.step("buyers may not change or read the room", async () => {
      const put = await http(url, "PUT", `/api/queue/${sale.sessionId}`, {
        token: buyer.token,
        body: { enabled: true, admitPerSecond: 5 },
      });
      assert.equal(put.status, 403);
      const get = await http(url, "GET", `/api/queue/${sale.sessionId}`, { token: buyer.token });
      assert.equal(get.status, 403);
    });
    await t.step("bad settings are 400 and change nothing", async () => {
      for (
        const body of [
          { enabled: true, admitPerSecond: 0 },
          { enabled: true, admitPerSecond: 10_001 },
          { enabled: true, admitPerSecond: 5, passSeconds: 59 },
          { enabled: true, admitPerSecond: 5, passSeconds: 3601 },
          { enabled: true, admitPerSecond: 5, opensAt: "tomorrow" },
          { admitPerSecond: 5 },
        ]
      ) {
        const res = await room(url, sale, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error, "VALIDATION_FAILED");
      }
      assert.equal((await report(url, sale)).enabled, false);
    });
    await t.step("unknown session: 404 for admins and buyers", async () => {
      const missing = { ...sale, sessionId: 999_999_999 };
      assert.equal((await room(url, missing, { enabled: true, admitPerSecond: 5 })).status, 404);
      assert.equal((await join(url, 999_999_999, buyer)).status, 404);
    });
    await t.step("settings are stored and read back; passSeconds defaults to 600", async () => {
      const opensAt = new Date(Date.now() + 3_600_000);
      const res = await room(url, sale, {
        enabled: true,
        admitPerSecond: 7,
        opensAt: opensAt.toISOString(),
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.data.passSeconds, 600);
      const r = await report(url, sale);
      assert.equal(r.enabled, true);
      assert.equal(r.admitPerSecond, 7);
      // Replies carry times to the second.
      assert.equal(new Date(r.opensAt!).getTime(), Math.floor(opensAt.getTime() / 1000) * 1000);
    });
  });
});

suite("queue: room off = today's behaviour", async (t, env) => {
  const sale = await createSale(env, { stock: 10 });
  const [buyer] = await env.users(1);
  await withServer(env, async (url) => {
    await t.step("creates need no pass; join and status say admitted, no pass", async () => {
      const res = await create(url, sale, buyer);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      for (
        const r of [
          await join(url, sale.sessionId, buyer),
          await status(url, sale.sessionId, buyer),
        ]
      ) {
        assert.equal(r.status, 200);
        assert.deepEqual(r.body.data, { state: "admitted" });
      }
    });
    await t.step("a room turned on then off again: creates need no pass again", async () => {
      assert.equal((await room(url, sale, { enabled: true, admitPerSecond: 5 })).status, 200);
      assert.equal((await create(url, sale, buyer)).body.error, "QUEUE_PASS_REQUIRED");
      assert.equal((await room(url, sale, { enabled: false, admitPerSecond: 5 })).status, 200);
      const res = await create(url, sale, buyer);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });
  });
});

suite("queue: the pass — required, bound to buyer and session, expires", async (t, env) => {
  const sale = await createSale(env, { stock: 100, limit: 4 });
  const other = await createSale(env, { stock: 100 });
  const [alice, bob] = await env.users(2);
  await withServer(env, async (url) => {
    for (const s of [sale, other]) {
      assert.equal((await room(url, s, { enabled: true, admitPerSecond: 100 })).status, 200);
    }
    const passOf = async (s: Sale, buyer: TestUser) => {
      assert.equal((await join(url, s.sessionId, buyer)).status, 200);
      return await admittedPass(url, s.sessionId, buyer);
    };
    const alicePass = await passOf(sale, alice);
    const bobPass = await passOf(sale, bob);
    const aliceOtherPass = await passOf(other, alice);

    const refused = async (pass: string | undefined, reason: string, sessionSale = sale) => {
      const res = await create(url, sessionSale, alice, pass);
      assert.equal(res.status, 403, JSON.stringify(res.body));
      assert.equal(res.body.error, "QUEUE_PASS_REQUIRED");
      assert.equal((res.body as { detail?: { reason: string } }).detail?.reason, reason);
    };
    await t.step("no pass, another buyer's, another session's, garbage: 403", async () => {
      await refused(undefined, "missing");
      await refused(bobPass, "other_buyer");
      await refused(aliceOtherPass, "other_session");
      await refused("qp1.1.2.3.nope", "malformed");
    });
    await t.step("the buyer's own pass opens the door; nothing was sold before", async () => {
      const [{ n }] = await env.ctx.db.rows<{ n: number }>("SELECT COUNT(*) AS n FROM orders");
      assert.equal(Number(n), 0);
      const res = await create(url, sale, alice, alicePass);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });
    await t.step("joining again while admitted gives the same pass", async () => {
      const again = await join(url, sale.sessionId, alice);
      assert.equal(again.body.data.state, "admitted");
      assert.equal(again.body.data.pass, alicePass);
    });
    await t.step("an expired pass is refused", async () => {
      const expiresAt = Number(alicePass.split(".")[3]);
      const realNow = env.ctx.now;
      env.ctx.now = () => expiresAt + 1;
      try {
        await refused(alicePass, "expired");
      } finally {
        env.ctx.now = realNow;
      }
    });
    await t.step(
      "seat holds need it too, also without sessionId (session from the seats)",
      async () => {
        const seated = await createSeatedSale(env, { rows: 1, cols: 4 });
        assert.equal((await room(url, seated, { enabled: true, admitPerSecond: 100 })).status, 200);
        const hold = (body: Record<string, unknown>, pass?: string) =>
          http(url, "POST", "/api/seat/lock", {
            token: alice.token,
            body,
            headers: pass ? { "x-queue-pass": pass } : {},
          });
        const seats = { sessionId: seated.sessionId, seatIds: [seated.seatIds[0]] };
        assert.equal((await hold(seats)).body.error, "QUEUE_PASS_REQUIRED");
        assert.equal(
          (await hold({ seatIds: [seated.seatIds[0]] })).body.error,
          "QUEUE_PASS_REQUIRED",
        );
        const single = await http(
          url,
          "POST",
          `/api/seat/lock/single?seatId=${seated.seatIds[1]}`,
          { token: alice.token },
        );
        assert.equal(single.body.error, "QUEUE_PASS_REQUIRED");
        const seatedOrder = await http(url, "POST", "/api/order/create", {
          token: alice.token,
          body: { seatIds: [seated.seatIds[2]] },
        });
        assert.equal(seatedOrder.body.error, "QUEUE_PASS_REQUIRED");
        await join(url, seated.sessionId, alice);
        const pass = await admittedPass(url, seated.sessionId, alice);
        const ok = await hold({ seatIds: [seated.seatIds[0]] }, pass);
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
      },
    );
  });
});

suite("queue: order — random before the opening, first come first served after", async (t, env) => {
  const sale = await createSale(env, { stock: 1000 });
  const early = await env.users(20);
  const late = await env.users(8);
  await withServer(env, async (url) => {
    const opensAt = new Date(Date.now() + 3_600_000).toISOString();
    assert.equal(
      (await room(url, sale, { enabled: true, admitPerSecond: 20, opensAt })).status,
      200,
    );
    const waitingKey = env.ctx.keys.queueWaiting(sale.sessionId);
    const placeOf = (b: TestUser) =>
      env.ctx.redis.send<string | null>(["ZSCORE", waitingKey, String(b.id)], waitingKey);

    await t.step(
      "before the opening: waiting, no position yet, seconds to the opening",
      async () => {
        for (const b of early) {
          const res = await join(url, sale.sessionId, b);
          assert.equal(res.status, 200, JSON.stringify(res.body));
          assert.equal(res.body.data.state, "waiting");
          assert.equal(res.body.data.position, undefined);
          assert.ok(res.body.data.estimatedWaitSeconds! > 3500);
        }
      },
    );
    await t.step("joining twice keeps the first place", async () => {
      const before = await placeOf(early[3]);
      assert.equal((await join(url, sale.sessionId, early[3])).status, 200);
      assert.equal(await placeOf(early[3]), before);
    });
    await t.step("status is 404 for a buyer who has not joined", async () => {
      const res = await status(url, sale.sessionId, late[0]);
      assert.equal(res.status, 404);
    });

    // Their places before the opening: admission goes by place (queue-step.lua's ZPOPMIN).
    const placeBefore = new Map<number, number>();
    for (const b of early) placeBefore.set(b.id, Number(await placeOf(b)));

    // Open now, then the late buyers join one after the other.
    const opened = await room(url, sale, {
      enabled: true,
      admitPerSecond: 20,
      opensAt: new Date().toISOString(),
    });
    assert.equal(opened.status, 200);
    for (const b of late) assert.equal((await join(url, sale.sessionId, b)).status, 200);

    // Admission order, seen through the API: a pass expires passSeconds after its admission.
    const admittedAt = new Map<number, number>();
    await t.step("everyone is admitted, each once", async () => {
      const all = [...early, ...late];
      await eventually(async () => {
        const views = await Promise.all(all.map((b) => status(url, sale.sessionId, b)));
        views.forEach((v, i) => {
          assert.equal(v.status, 200, JSON.stringify(v.body));
          if (v.body.data.state === "admitted") {
            const at = new Date(v.body.data.passExpiresAt!).getTime();
            const seen = admittedAt.get(all[i].id);
            assert.ok(seen === undefined || seen === at, "a pass changed");
            admittedAt.set(all[i].id, at);
          }
        });
        return admittedAt.size === all.length;
      }, 20_000);
    });
    const at = (b: TestUser) => admittedAt.get(b.id)!;
    await t.step("the late ones after every early one, in their order of arrival", () => {
      const lastEarly = Math.max(...early.map(at));
      for (const b of late) assert.ok(at(b) >= lastEarly, "a late buyer went before an early one");
      for (let i = 1; i < late.length; i++) assert.ok(at(late[i]) >= at(late[i - 1]), "not FIFO");
    });
    await t.step("the early ones in random order: not the order in which they joined", () => {
      const place = (b: TestUser) => placeBefore.get(b.id)!;
      let inversions = 0;
      for (let i = 0; i < early.length; i++) {
        for (let j = i + 1; j < early.length; j++) {
          if (place(early[i]) > place(early[j])) inversions++;
          // Admitted by place: a lower place never later (one step may admit several at once,
          // with one expiry, so the admission times alone cannot show the order).
          const [first, second] = place(early[i]) < place(early[j])
            ? [early[i], early[j]]
            : [early[j], early[i]];
          assert.ok(at(first) <= at(second), "a higher place was admitted first");
        }
      }
      // Joined in order 0..19; a first-come order would have no inversion at all.
      assert.ok(inversions > 0, "the early buyers were placed in the order they joined");
    });
  });
});

suite("queue: admission runs at the configured rate (±20 % over 10 s)", async (t, env) => {
  const RATE = 25;
  const sale = await createSale(env, { stock: 100_000 });
  const buyers = await env.users(400);
  await withServer(env, async (url) => {
    assert.equal((await room(url, sale, { enabled: true, admitPerSecond: RATE })).status, 200);
    await t.step("400 buyers join at once; each gets a distinct place", async () => {
      const views = await Promise.all(buyers.map((b) => join(url, sale.sessionId, b)));
      const positions = views.filter((v) => v.body.data.state === "waiting")
        .map((v) => v.body.data.position!);
      assert.ok(positions.length > 300, `only ${positions.length} waiting`);
      const r = await report(url, sale);
      assert.equal(r.waiting + r.admitted, 400);
    });
    await t.step("admitted over a measured 10 s is within 20 % of the rate", async () => {
      // Buyers poll (that moves the room on); count admissions between two reads 10 s apart.
      const poller = buyers.slice(-50);
      let polling = true;
      const polls = (async () => {
        while (polling) await Promise.all(poller.map((b) => status(url, sale.sessionId, b)));
      })();
      try {
        const first = await report(url, sale);
        const t0 = performance.now();
        let last = first;
        let t1 = t0;
        while (t1 - t0 < 10_000) {
          last = await report(url, sale);
          t1 = performance.now();
        }
        const rate = (last.admitted - first.admitted) / ((t1 - t0) / 1000);
        console.log(`admission: ${rate.toFixed(2)}/s for ${RATE}/s configured`);
        assert.ok(Math.abs(rate - RATE) <= 0.2 * RATE, `admitted ${rate.toFixed(2)}/s`);
        assert.ok(last.waiting > 0, "the queue ran dry: the measure is not of the rate");
        assert.ok(last.admittedLastMinute >= last.admitted - first.admitted);
        assert.equal(last.passesActive, last.admitted);
      } finally {
        polling = false;
        await polls;
      }
    });
    await t.step("/metrics shows the queue length, admissions and passes in use", async () => {
      const families = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
      const session = String(sale.sessionId);
      assert.ok(value(families, "boxoffice_queue_waiting", { session })! > 0);
      assert.ok(value(families, "boxoffice_queue_passes_active", { session })! > 0);
      assert.ok(value(families, "boxoffice_queue_admitted_total", { session })! > 0);
    });
  });
});

suite(
  "queue: admission stops when the stock is gone, resumes when it comes back",
  async (t, env) => {
    const sale = await createSale(env, { stock: 2, limit: 1 });
    const buyers = await env.users(6);
    const pollAll = () => Promise.all(buyers.map((b) => status(url, sale.sessionId, b)));
    let url = "";
    await withServer(env, async (u) => {
      url = u;
      const later = new Date(Date.now() + 3_600_000).toISOString();
      assert.equal(
        (await room(url, sale, { enabled: true, admitPerSecond: 10, opensAt: later })).status,
        200,
      );
      for (const b of buyers) await join(url, sale.sessionId, b);
      assert.equal(
        (await room(url, sale, {
          enabled: true,
          admitPerSecond: 10,
          opensAt: new Date().toISOString(),
        })).status,
        200,
      );
      const admitted: TestUser[] = [];
      await t.step("no more buyers are let in than tickets are left", async () => {
        // At 10/s everyone would be in after 0.6 s; poll for 1.5 s on the clock.
        const started = performance.now();
        while (performance.now() - started < 1500) await pollAll();
        const views = await pollAll();
        views.forEach((v, i) => v.body.data.state === "admitted" && admitted.push(buyers[i]));
        assert.equal(admitted.length, 2);
        assert.equal((await report(url, sale)).admitted, 2);
      });
      const orders: string[] = [];
      await t.step("the admitted buyers buy the last tickets", async () => {
        for (const b of admitted) {
          const res = await create(url, sale, b, await admittedPass(url, sale.sessionId, b));
          assert.equal(res.status, 200, JSON.stringify(res.body));
          orders.push(res.body.data);
        }
      });
      await t.step("then nobody else is admitted and those waiting are told sold_out", async () => {
        const started = performance.now();
        while (performance.now() - started < 1500) await pollAll();
        const after = await report(url, sale);
        assert.equal(after.admitted, 2);
        assert.equal(after.soldOut, true);
        const waiting = (await pollAll()).filter((v) => v.body.data.state !== "admitted");
        assert.equal(waiting.length, 4);
        for (const v of waiting) assert.equal(v.body.data.state, "sold_out");
      });
      await t.step("a cancelled order puts the ticket back: admission resumes", async () => {
        const res = await http(url, "POST", `/api/order/cancel?orderNo=${orders[0]}`, {
          token: admitted[0].token,
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        // Once the buyers admitted in the last 10 s no longer count as about to buy.
        await eventually(async () => {
          await pollAll();
          const r = await report(url, sale);
          return r.admitted === 3 && !r.soldOut;
        }, 20_000);
        // One ticket back, one more buyer in (not the whole queue): it is theirs to buy now.
        const started = performance.now();
        while (performance.now() - started < 1500) await pollAll();
        assert.equal((await report(url, sale)).admitted, 3);
      });
    });
  },
);

suite("queue: two instances on the same stores share one queue", async (t, env) => {
  const RATE = 8;
  const sale = await createSale(env, { stock: 1000 });
  const buyers = await env.users(60);
  const ctx2 = await createContext(env.config, {
    databaseUrl: env.databaseUrl,
    redisUrl: env.redisUrl,
    log: createLogger("error"),
  });
  const app2 = createApp(ctx2);
  const server2 = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req, info) => app2.fetch(req, { remoteAddr: info.remoteAddr }),
  );
  const b = `http://127.0.0.1:${server2.addr.port}`;
  try {
    await withServer(env, async (a) => {
      await t.step("instance B has the room off until it is turned on (on A)", async () => {
        assert.deepEqual((await join(b, sale.sessionId, buyers[0])).body.data, {
          state: "admitted",
        });
      });
      await t.step("B sees the room A turned on within its 2 s staleness bound", async () => {
        const opensAt = new Date(Date.now() + 3_600_000).toISOString();
        assert.equal(
          (await room(a, sale, { enabled: true, admitPerSecond: RATE, opensAt })).status,
          200,
        );
        const started = performance.now();
        await eventually(async () =>
          (await create(b, sale, buyers[59])).body.error === "QUEUE_PASS_REQUIRED"
        );
        const ms = performance.now() - started;
        console.log(`instance B saw the room after ${Math.round(ms)} ms`);
        assert.ok(ms < 3000, `${ms} ms`);
      });
      await t.step("buyers joining on either instance are in one order", async () => {
        assert.equal(
          (await room(a, sale, {
            enabled: true,
            admitPerSecond: RATE,
            opensAt: new Date().toISOString(),
          })).status,
          200,
        );
        // B may still hold the old opening for up to 2 s: wait until it agrees the room is open.
        await eventually(async () => {
          const r = await join(b, sale.sessionId, buyers[0]);
          return r.body.data.position !== undefined || r.body.data.state === "admitted";
        });
        for (const [i, buyer] of buyers.slice(1, 59).entries()) {
          const res = await join(i % 2 === 0 ? a : b, sale.sessionId, buyer);
          assert.equal(res.status, 200, JSON.stringify(res.body));
        }
        const key = env.ctx.keys.queueWaiting(sale.sessionId);
        const order = await env.ctx.redis.send<string[]>(["ZRANGE", key, "0", "-1"], key);
        const joined = buyers.slice(1, 59).map((u) => String(u.id)).filter((id) =>
          order.includes(id)
        );
        assert.deepEqual(order.filter((id) => joined.includes(id)), joined);
      });
      await t.step("both instances polling admit at the one rate, not twice it", async () => {
        const first = await report(a, sale);
        const t0 = performance.now();
        let last = first;
        while (performance.now() - t0 < 4000) {
          await Promise.all(
            buyers.slice(0, 59).map((u, i) => status(i % 2 === 0 ? a : b, sale.sessionId, u)),
          );
          last = await report(b, sale);
        }
        const seconds = (performance.now() - t0) / 1000;
        const rate = (last.admitted - first.admitted) / seconds;
        console.log(`two instances: ${rate.toFixed(2)}/s for ${RATE}/s configured`);
        assert.ok(last.waiting > 0, "the queue ran dry: the measure is not of the rate");
        // At most one second's worth (the bucket) on top of the rate; two buckets would be 2x.
        assert.ok(rate <= RATE * 1.2 + RATE / seconds, `admitted ${rate.toFixed(2)}/s`);
        assert.ok(rate >= RATE * 0.8, `admitted ${rate.toFixed(2)}/s`);
      });
      await t.step("a pass given by one instance is accepted by the other", async () => {
        const pass = await admittedPass(a, sale.sessionId, buyers[1]);
        const res = await create(b, sale, buyers[1], pass);
        assert.equal(res.status, 200, JSON.stringify(res.body));
      });
    });
  } finally {
    await server2.shutdown();
    await closeContext(ctx2);
  }
});

suite(
  "load shedding: past MAX_IN_FLIGHT, 503 with Retry-After at once; health never shed",
  async (t, env) => {
    await t.step("50 requests at once with a limit of 4: 4 served, the rest shed", async () => {
      const scrape = async () =>
        value(
          parsePrometheusText(await (await env.app.request("/metrics")).text()),
          "boxoffice_shed_requests_total",
        ) ?? 0;
      const shedBefore = await scrape();
      const replies = await Promise.all([
        ...Array.from({ length: 50 }, () => env.app.request("/api/show/list")),
        env.app.request("/api/health"),
        env.app.request("/api/ready"),
      ]);
      const shows = replies.slice(0, 50);
      const served = shows.filter((r) => r.status === 200).length;
      const shed = shows.filter((r) => r.status === 503);
      assert.equal(served, 4);
      assert.equal(shed.length, 46);
      for (const r of shed) {
        assert.equal(r.headers.get("retry-after"), "1");
        assert.ok(r.headers.get("x-trace-id"));
        const body = await r.json();
        assert.equal(body.error, "UNAVAILABLE");
        assert.equal(body.code, 503);
      }
      for (const r of replies.slice(50)) assert.equal(r.status, 200);
      await Promise.all(replies.filter((r) => !r.bodyUsed).map((r) => r.text()));
      assert.equal((await scrape()) - shedBefore, 46);
    });
    await t.step("requests carrying a pass are shed only past twice the limit", async () => {
      const pass = { headers: { "x-queue-pass": "qp1.1.1.1.x" } };
      const replies = await Promise.all([
        ...Array.from({ length: 10 }, () => env.app.request("/api/show/list")),
        ...Array.from({ length: 10 }, () => env.app.request("/api/show/list", pass)),
      ]);
      const statuses = replies.map((r) => r.status);
      await Promise.all(replies.map((r) => r.text()));
      assert.deepEqual(statuses.slice(0, 10).filter((s) => s === 200).length, 4);
      assert.deepEqual(statuses.slice(10).filter((s) => s === 200).length, 4);
    });
    await t.step("once they are answered, requests are served again", async () => {
      const res = await env.app.request("/api/show/list");
      assert.equal(res.status, 200);
      await res.text();
    });
  },
  { MAX_IN_FLIGHT: "4" },
);

// ------------------------------------------------------------------ the contract

/** API.md's "Waiting room" rows; read from ../shared/API.md when the checkout has it. */
async function waitingRoomRoutes(): Promise<{ source: string; routes: [string, string][] }> {
  let dir = new URL("..", import.meta.url);
  for (let i = 0; i < 4; i++) {
    const file = new URL("shared/API.md", dir);
    try {
      const text = await Deno.readTextFile(file);
      const section = text.split(/^## /m).find((s) => s.startsWith("Waiting room"));
      if (section) {
        const routes = [...section.matchAll(/^\| (GET|POST|PUT|DELETE) (\/\S+)/gm)].map((
          m,
        ) => [m[1], m[2]] as [string, string]);
        if (routes.length > 0) return { source: file.pathname, routes };
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    dir = new URL("..", dir);
  }
  return {
    source: "the copy in this test",
    routes: [
      ["PUT", "/api/queue/{sessionId}"],
      ["GET", "/api/queue/{sessionId}"],
      ["POST", "/api/queue/{sessionId}/join"],
      ["GET", "/api/queue/{sessionId}/status"],
    ],
  };
}

suite("queue: every Waiting room route of API.md is in /openapi.json", async (_t, env) => {
  const { source, routes } = await waitingRoomRoutes();
  assert.ok(routes.length >= 4, `${source}: ${JSON.stringify(routes)}`);
  const doc = (await env.call<never>("GET", "/openapi.json")).body as unknown as {
    paths: Record<string, Record<string, { security?: unknown }>>;
  };
  for (const [method, path] of routes) {
    const op = doc.paths[path]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${path} (${source}) is not in /openapi.json`);
    assert.ok(op.security, `${method} ${path} is documented without auth`);
  }
});
