/**
 * What the machine itself adds to a round trip, measured by a process that is not boxoffice:
 * every 5 ms it sleeps (how late the timer fires), sends Redis a PING and MariaDB a `SELECT 1`,
 * each timed. A request of boxoffice's waits for the same scheduler: a create waits for its
 * event loop three times and for the stores twice, so its p99 can be no better than what these
 * trivial round trips see in the same seconds. Also the kernel's CPU pressure over the phase
 * (/proc/pressure/cpu: the share of the time some runnable task waited for a core).
 *
 * Reads its job as JSON on stdin, runs for `seconds`, prints a JSON report (`NoiseReport`).
 * `bench/run.ts` runs it with the server idle, then beside mixed's measured phase.
 */
import { createDb } from "#lib/platform/db.ts";
import { connectRedis } from "#lib/platform/redis.ts";
import { type Latency, latencyOf, round } from "./stats.ts";

export interface NoiseJob {
  databaseUrl: string;
  redisUrl: string;
  seconds: number;
}

export interface NoiseReport {
  samples: number;
  /** How late a 5 ms timer fired. */
  timerLagMs: Latency;
  redisPingMs: Latency;
  mysqlSelect1Ms: Latency;
  /** Share of the phase during which some runnable task waited for a core; null without PSI. */
  cpuPressure: number | null;
}

const PERIOD_MS = 5;

/** The kernel's cumulative "some" CPU stall time in µs, or undefined without PSI. */
function cpuStallUs(): number | undefined {
  try {
    const text = Deno.readTextFileSync("/proc/pressure/cpu");
    const m = /^some .*total=(\d+)/m.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export async function measureNoise(job: NoiseJob): Promise<NoiseReport> {
  // The service's own clients, so the probe connects as boxoffice does.
  const redis = await connectRedis({ url: job.redisUrl });
  const db = createDb({ url: job.databaseUrl, poolSize: 1 });
  const timed = async (call: () => Promise<unknown>) => {
    const t0 = performance.now();
    await call();
    return performance.now() - t0;
  };
  try {
    // One of each first: connections made, not measured.
    await redis.send(["PING"]);
    await db.rows("SELECT 1");
    const lag: number[] = [];
    const pings: number[] = [];
    const mysql: number[] = [];
    const stall0 = cpuStallUs();
    const started = performance.now();
    const end = started + job.seconds * 1000;
    while (performance.now() < end) {
      const t0 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, PERIOD_MS));
      lag.push(Math.max(0, performance.now() - t0 - PERIOD_MS));
      pings.push(await timed(() => redis.send(["PING"])));
      mysql.push(await timed(() => db.rows("SELECT 1")));
    }
    const elapsedUs = (performance.now() - started) * 1000;
    const stall1 = cpuStallUs();
    return {
      samples: lag.length,
      timerLagMs: latencyOf(lag),
      redisPingMs: latencyOf(pings),
      mysqlSelect1Ms: latencyOf(mysql),
      cpuPressure: stall0 === undefined || stall1 === undefined
        ? null
        : round((stall1 - stall0) / elapsedUs, 3),
    };
  } finally {
    await redis.close();
    await db.close();
  }
}

if (import.meta.main) {
  const job = JSON.parse(await new Response(Deno.stdin.readable).text()) as NoiseJob;
  console.log(JSON.stringify(await measureNoise(job)));
}
