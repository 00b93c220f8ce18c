/**
 * The load generator: a separate Deno process that drives one workload against one HTTP server
 * over 127.0.0.1 with a fixed number of concurrent workers (one keep-alive connection each, at
 * most), optionally paced to a target request rate, and prints one JSON report on stdout.
 *
 *   echo '{"baseUrl": "...", "workload": "create-loop", "params": {...},
 *          "concurrency": 64, "durationMs": 10000}' | deno run -A bench/loadgen.ts
 *
 * Every request is bounded: the run ends at `durationMs` (or `maxRequests`, or when the
 * workload has nothing left to do), and a request still unanswered 10 s after it was sent is
 * counted as an error.
 */
import { cpuSeconds, round, type RouteStats, Tally } from "./stats.ts";
import { WORKLOADS } from "./workloads.ts";

export interface Job {
  baseUrl: string;
  workload: keyof typeof WORKLOADS;
  params: Record<string, unknown>;
  concurrency: number;
  durationMs: number;
  maxRequests?: number;
  /** Requests per second across all workers; unset: as fast as the server answers. */
  rate?: number;
}

export interface LoadReport {
  workload: string;
  concurrency: number;
  elapsedMs: number;
  routes: Record<string, RouteStats>;
  total: RouteStats;
  /** CPU the load generator itself used, in cores (1 = one core busy the whole run). */
  loadgenCores: number;
  /** Whatever the workload reports besides (seats sold, orders paid, ...). */
  extra: Record<string, unknown>;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Answer<T = unknown> {
  status: number;
  ok: boolean;
  /** The envelope's `error` code for a refusal; "HTTP_<status>" when there is none. */
  code?: string;
  data?: T;
}

/** What a workload sees: one call at a time per worker, tallied by route. */
export class Client {
  readonly #tallies = new Map<string, Tally>();
  readonly #deadline: number;
  #sent = 0;
  #nextAt = 0;

  constructor(readonly job: Job, readonly started: number) {
    this.#deadline = started + job.durationMs;
  }

  /** True once the run is over: workers stop at their next step. */
  get done(): boolean {
    return performance.now() >= this.#deadline ||
      (this.job.maxRequests !== undefined && this.#sent >= this.job.maxRequests);
  }

  async call<T = unknown>(
    route: string,
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<Answer<T>> {
    this.#sent++;
    if (this.job.rate) {
      const now = performance.now();
      const slot = Math.max(this.#nextAt, now);
      this.#nextAt = slot + 1000 / this.job.rate;
      if (slot > now) await new Promise((r) => setTimeout(r, slot - now));
    }
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    let tally = this.#tallies.get(route);
    if (!tally) this.#tallies.set(route, tally = new Tally());
    const t0 = performance.now();
    try {
      const res = await fetch(`${this.job.baseUrl}${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      const ms = performance.now() - t0;
      let envelope: { error?: string; data?: T } | undefined;
      try {
        envelope = JSON.parse(text);
      } catch {
        envelope = undefined;
      }
      if (res.status === 200 && envelope) {
        tally.record(ms, { ok: true });
        return { status: 200, ok: true, data: envelope.data };
      }
      if (!envelope) {
        tally.record(ms, { error: true });
        return { status: res.status, ok: false, code: `HTTP_${res.status}` };
      }
      const code = envelope.error ?? `HTTP_${res.status}`;
      tally.record(ms, { ok: false, code });
      return { status: res.status, ok: false, code };
    } catch {
      tally.record(performance.now() - t0, { error: true });
      return { status: 0, ok: false, code: "NETWORK" };
    }
  }

  report(elapsedMs: number, cpu: number, extra: Record<string, unknown>): LoadReport {
    const routes: Record<string, RouteStats> = {};
    const total = new Tally();
    for (const [name, tally] of [...this.#tallies].sort(([a], [b]) => a.localeCompare(b))) {
      routes[name] = tally.summary();
      total.merge(tally);
    }
    return {
      workload: this.job.workload,
      concurrency: this.job.concurrency,
      elapsedMs: Math.round(elapsedMs),
      routes,
      total: total.summary(),
      loadgenCores: round(cpu / (elapsedMs / 1000)),
      extra,
    };
  }
}

/** Runs a job in this process (the CLI below runs it in its own). */
export async function runJob(job: Job): Promise<LoadReport> {
  const workload = WORKLOADS[job.workload];
  if (!workload) throw new Error(`unknown workload ${job.workload}`);
  const cpu0 = cpuSeconds("self");
  const started = performance.now();
  const client = new Client(job, started);
  const run = workload(job.params, job.concurrency);
  await Promise.all(
    Array.from({ length: job.concurrency }, async (_, worker) => {
      await run.worker(client, worker);
    }),
  );
  const elapsed = performance.now() - started;
  return client.report(elapsed, cpuSeconds("self") - cpu0, run.extra());
}

if (import.meta.main) {
  const input = await new Response(Deno.stdin.readable).text();
  const report = await runJob(JSON.parse(input) as Job);
  console.log(JSON.stringify(report));
}
