/**
 * `deno task test`: the whole suite against real MariaDB and Redis.
 *
 * 1. Finds MariaDB and Redis on their usual ports (or the URLs in TEST_DATABASE_URL /
 *    TEST_REDIS_URL), or starts private ones under .data/test-stores when nothing listens.
 * 2. Runs the static checks: deno fmt --check, deno lint, deno check.
 * 3. Runs `deno test` with a run id: every test database is `bo_test_<run>_<n>` and every Redis
 *    key starts with `bo_test_<run>_`, so two runs can go in parallel and nobody's data is touched.
 * 4. Drops what the run created, stops what it started, exits with the tests' status.
 *
 * Arguments after `--` go to `deno test` (e.g. `deno task test -- --filter login`).
 * `--no-check` skips step 2.
 */
import { findOrStartStores } from "#dev/local_stores.ts";
import { cleanupRun } from "../tests/support/cleanup.ts";

const deno = Deno.execPath();
const args = [...Deno.args];
const skipChecks = args.includes("--no-check");
const testArgs = args.filter((a) => a !== "--no-check" && a !== "--");

const stores = await findOrStartStores({
  databaseUrl: Deno.env.get("TEST_DATABASE_URL"),
  redisUrl: Deno.env.get("TEST_REDIS_URL"),
  dataDir: ".data/test-stores",
  startMissing: true,
  say: (line) => console.log(`test: ${line}`),
});
const runId = crypto.randomUUID().replaceAll("-", "").slice(0, 10);
let status = 1;
try {
  if (!skipChecks) {
    for (
      const step of [
        ["fmt", "--check"],
        ["lint"],
        ["check", "main.ts", "tools/", "tests/", "bench/"],
      ]
    ) {
      console.log(`test: deno ${step.join(" ")}`);
      const { success } = await new Deno.Command(deno, { args: step }).spawn().status;
      if (!success) throw new Error(`deno ${step[0]} failed`);
    }
  }
  console.log(`test: run ${runId} on ${stores.databaseUrl} and ${stores.redisUrl}`);
  const { code } = await new Deno.Command(deno, {
    args: ["test", "-A", "--unstable-cron", ...testArgs],
    env: {
      BOXOFFICE_TEST_DATABASE_URL: stores.databaseUrl,
      BOXOFFICE_TEST_REDIS_URL: stores.redisUrl,
      BOXOFFICE_TEST_RUN: runId,
      // Every reply of every route is validated against the route's `data` schema.
      BOXOFFICE_CHECK_REPLIES: "1",
    },
  }).spawn().status;
  status = code;
} catch (e) {
  console.error(`test: ${e instanceof Error ? e.message : e}`);
  status = 1;
} finally {
  const dropped = await cleanupRun(stores.databaseUrl, stores.redisUrl, runId);
  console.log(
    `test: dropped ${dropped.databases} databases and ${dropped.keys} Redis keys of run ${runId}`,
  );
  await stores.stop();
}
Deno.exit(status);
