import assert from "node:assert/strict";
import {
  recordJobRun,
  recordOrderEvent,
  recordSeatHold,
  recordSoldOut,
  setCompensationBacklogSource,
} from "#lib/platform/metrics.ts";
import { routes } from "../routes.gen.ts";
import { suite, type TestEnv } from "./support/env.ts";
import { type Family, parsePrometheusText, value } from "./support/prom_text.ts";

async function scrape(env: TestEnv): Promise<Map<string, Family>> {
  const res = await env.app.request("/metrics");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

Deno.test("the exposition parser refuses what Prometheus refuses", () => {
  const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 3\n';
  assert.equal(value(parsePrometheusText(ok), "a_total", { x: "1" }), 3);
  for (
    const bad of [
      "a_total 1\n", // no TYPE: undeclared family
      "# TYPE a counter\na{x=1} 1\n", // unquoted label value
      "# TYPE a counter\na 1\na 2\n", // duplicate series
      "# TYPE a counter\na one\n", // not a number
      "# TYPE 1a counter\n", // bad name
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 1\n',
      "# TYPE a counter\na 1", // no final newline
    ]
  ) {
    assert.throws(() => parsePrometheusText(bad), Error, JSON.stringify(bad));
  }
});

suite("metrics: valid exposition, route templates, counters that move", async (t, env) => {
  const admin = await env.admin();
  const created = await env.call<{ id: number }>("POST", "/api/show", {
    token: admin.token,
    body: {
      name: "Metrics Night",
      type: 1,
      venue: "Hall",
      city: "上海",
      startTime: "2030-05-01 19:30:00",
      endTime: "2030-05-01 22:00:00",
    },
  });
  assert.equal(created.status, 200);
  const showId = created.body.data.id;
  const templates = new Set(routes.map((r) => r.path));

  await t.step("requests are counted by route template and status, never raw path", async () => {
    const before = await scrape(env);
    const series = (status: string) => ({ method: "GET", route: "/api/show/{id}", status });
    assert.equal((await env.call("GET", `/api/show/${showId}`)).status, 200);
    assert.equal((await env.call("GET", `/api/show/${showId}`)).status, 200);
    assert.equal((await env.call("GET", "/api/show/98765432")).status, 404);
    assert.equal((await env.call("GET", `/no/such/thing/${showId}`)).status, 404);
    const after = await scrape(env);
    const delta = (name: string, labels: Record<string, string>) =>
      value(after, name, labels) - value(before, name, labels);
    assert.equal(delta("http_requests_total", series("200")), 2);
    assert.equal(delta("http_requests_total", series("404")), 1);
    assert.equal(
      delta("http_requests_total", { method: "GET", route: "unmatched", status: "404" }),
      1,
    );
    assert.equal(
      delta("http_request_duration_seconds_count", { method: "GET", route: "/api/show/{id}" }),
      3,
    );
    for (const s of after.get("http_requests_total")!.samples) {
      assert.ok(
        s.labels.route === "unmatched" || templates.has(s.labels.route),
        `route label ${s.labels.route} is not a template`,
      );
    }
  });

  await t.step("Redis script latency is observed per script", async () => {
    const before = await scrape(env);
    const wrong = await env.call("POST", "/api/user/login", {
      body: { username: admin.username, password: "wrong-password" },
    });
    assert.equal(wrong.status, 401);
    const after = await scrape(env);
    const labels = { script: "count-failure" };
    const name = "boxoffice_redis_script_seconds_count";
    // One failed login counts twice: per username and per client address.
    assert.equal(value(after, name, labels) - value(before, name, labels), 2);
  });

  await t.step("domain counters move when lib code records events", async () => {
    const before = await scrape(env);
    recordOrderEvent("created");
    recordOrderEvent("created");
    recordOrderEvent("paid");
    recordOrderEvent("expired", 3);
    recordSoldOut();
    recordSeatHold("held");
    recordSeatHold("taken");
    recordJobRun("expire-orders", "ok");
    recordJobRun("expire-orders", "failed");
    const after = await scrape(env);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      value(after, name, labels) - value(before, name, labels);
    assert.equal(delta("boxoffice_orders_total", { event: "created" }), 2);
    assert.equal(delta("boxoffice_orders_total", { event: "paid" }), 1);
    assert.equal(delta("boxoffice_orders_total", { event: "expired" }), 3);
    assert.equal(delta("boxoffice_orders_total", { event: "cancelled" }), 0);
    assert.equal(delta("boxoffice_sold_out_rejections_total"), 1);
    assert.equal(delta("boxoffice_seat_holds_total", { outcome: "held" }), 1);
    assert.equal(delta("boxoffice_seat_holds_total", { outcome: "taken" }), 1);
    assert.equal(delta("boxoffice_job_runs_total", { job: "expire-orders", outcome: "ok" }), 1);
    assert.equal(
      delta("boxoffice_job_runs_total", { job: "expire-orders", outcome: "failed" }),
      1,
    );
  });

  await t.step("pool gauges and the compensation backlog are read at scrape time", async () => {
    const pool = await scrape(env);
    const states = pool.get("boxoffice_db_pool_connections")!.samples.map((s) => s.labels.state);
    assert.deepEqual(states.sort(), ["idle", "in_use", "waiting"]);
    const expected = env.ctx.db.poolStats();
    assert.equal(value(pool, "boxoffice_db_pool_connections", { state: "idle" }), expected.idle);
    assert.ok(expected.idle + expected.inUse > 0, "the pool has served queries");
    try {
      setCompensationBacklogSource(async (ctx) => {
        const [row] = await ctx.db.rows<{ n: number }>("SELECT 7 AS n");
        return row.n;
      });
      assert.equal(value(await scrape(env), "boxoffice_compensation_backlog"), 7);
      setCompensationBacklogSource(() => {
        throw new Error("backlog table missing");
      });
      // A failing source does not fail the scrape.
      assert.equal(value(await scrape(env), "boxoffice_compensation_backlog"), 7);
    } finally {
      setCompensationBacklogSource(undefined);
    }
    assert.equal(value(await scrape(env), "boxoffice_compensation_backlog"), 0);
  });
});
