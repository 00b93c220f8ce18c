/**
 * The bench programs cannot rot: a tiny run of every scenario (BENCH_QUICK=1) against the test
 * stores, into a scratch results folder, checking the JSON each scenario writes. The bench
 * drives its load with wrk (a system package that .ci/run installs): without it this test fails
 * and says so.
 */
import assert from "node:assert/strict";
import { WRK_MISSING, wrkBinary } from "../bench/wrk.ts";
import { testStores } from "./support/env.ts";

const root = new URL("..", import.meta.url).pathname;
const SCENARIOS = ["health", "soldout", "flashsale", "seed-design", "seats", "mixed", "layout"];

Deno.test({
  name: "bench: a quick run of every scenario reports ratios and passes its audit",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    assert.ok(wrkBinary(), WRK_MISSING);
    const { databaseUrl, redisUrl } = await testStores();
    const dir = await Deno.makeTempDir({ prefix: "bench-quick-" });
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${root}bench/run.ts`],
        cwd: root,
        env: {
          BENCH_QUICK: "1",
          BENCH_RESULTS_DIR: dir,
          BENCH_DATABASE_URL: databaseUrl,
          BENCH_REDIS_URL: redisUrl,
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.ok(out.success, `bench failed:\n${stderr}`);
      for (const name of SCENARIOS) {
        const doc = JSON.parse(await Deno.readTextFile(`${dir}/${name}.json`));
        assert.equal(doc.scenario, name);
        assert.equal(doc.quick, true);
        assert.equal(doc.error, undefined, `${name}: ${doc.error}`);
        if (doc.skipped) {
          assert.ok(["seats", "layout"].includes(name), `${name} skipped: ${doc.skipped}`);
          continue;
        }
        assert.equal(doc.audit?.ok, true, `${name} audit: ${JSON.stringify(doc.audit)}`);
        const ours = doc.boxoffice;
        for (const field of ["requests", "successes", "errors", "reqPerSec"]) {
          assert.equal(typeof ours[field], "number", `${name}.boxoffice.${field}`);
        }
        for (const p of ["p50", "p90", "p99", "max"]) {
          assert.equal(typeof ours.latencyMs[p], "number", `${name} latency ${p}`);
        }
        assert.ok(ours.serverRssPeakMb > 0, `${name}: server RSS sampled`);
        assert.ok(ours.requests > 0, `${name}: some requests were made`);
        assert.equal(ours.errors, 0, `${name}: transport errors`);
        // Every scenario measured its generator's headroom on a bare handler and checked the
        // replies of its baselines (a wrong one fails the run: `out.success` above).
        assert.equal(typeof doc.headroom?.ratio, "number", `${name}: headroom measured`);
        assert.equal(typeof doc.valid, "boolean", `${name}: valid flag`);
        const bares = doc.bare?.requests === undefined ? Object.values(doc.bare ?? {}) : [doc.bare];
        assert.ok(bares.length > 0, `${name}: a bare handler`);
        for (const bare of bares as { requests: number; errors: number }[]) {
          assert.ok(bare.requests > 0, `${name}: the bare handler was driven`);
          assert.equal(bare.errors, 0, `${name}: bare handler errors`);
        }
        for (const [side, check] of Object.entries(doc.replyChecks ?? {})) {
          const c = check as { ok: boolean; unexpected: unknown };
          assert.ok(c.ok, `${name}: ${side} replies: ${JSON.stringify(c.unexpected)}`);
        }
        for (const [k, v] of Object.entries(doc.ratios)) {
          if (name === "seats" && v === null) continue; // soldout figure missing: cannot happen here
          assert.equal(typeof v, "number", `${name}.ratios.${k} = ${v}`);
        }
      }
      const flash = JSON.parse(await Deno.readTextFile(`${dir}/flashsale.json`));
      assert.equal(flash.oversell, 0);
      assert.equal(flash.boxoffice.stockAfter.remaining, 0, "the quick flash sale sold out");
      // Both ceilings of issue 18 in the same run, each selling the same stock out.
      assert.equal(flash.baseline.stockAfter.remaining, 0, "the per-order SQL ceiling sold out");
      assert.equal(flash.baselineBatched.stockAfter.remaining, 0, "the batched ceiling sold out");
      assert.equal(flash.targets.ordersPerSecOverBatchedSql, 0.5);
      assert.equal(typeof flash.met.ordersPerSecOverBatchedSql, "boolean");
      assert.equal(typeof flash.createLatencyMs.p99, "number");
      assert.equal(
        flash.batchSizes.orders,
        flash.boxoffice.successes,
        "the committer's histogram holds the phase's orders (ORDER_BATCH is on by default)",
      );
      const sold = JSON.parse(await Deno.readTextFile(`${dir}/soldout.json`));
      assert.equal(sold.checks.allSoldOut, true);
      // The machine's own round trips, idle and beside the measured phase, from another process.
      const noise = JSON.parse(await Deno.readTextFile(`${dir}/mixed.json`)).machineNoise;
      for (const phase of ["idle", "underLoad"]) {
        assert.ok(noise[phase].samples > 0, `mixed.machineNoise.${phase} sampled`);
        for (const probe of ["timerLagMs", "redisPingMs", "mysqlSelect1Ms"]) {
          assert.ok(noise[phase][probe].max > 0, `mixed.machineNoise.${phase}.${probe}`);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
