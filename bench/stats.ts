/**
 * Counting what a load run saw: per route, requests, successes, rejections by error code,
 * transport errors and a latency distribution. Shared by the load generator and the SQL baseline
 * so that every scenario reports the same shape.
 */

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface RouteStats {
  requests: number;
  successes: number;
  /** Refusals the server answered with an error code (HTTP status ≥ 400), by `error`. */
  rejections: Record<string, number>;
  /** No answer, or an answer that was not the JSON envelope. */
  errors: number;
  /** Milliseconds. */
  latency: Latency;
}

/** One route's tally while the run goes on. */
export class Tally {
  requests = 0;
  successes = 0;
  errors = 0;
  rejections: Record<string, number> = {};
  #ms: number[] = [];

  record(ms: number, outcome: { ok: true } | { ok: false; code: string } | { error: true }) {
    this.requests++;
    this.#ms.push(ms);
    if ("error" in outcome) this.errors++;
    else if (outcome.ok) this.successes++;
    else this.rejections[outcome.code] = (this.rejections[outcome.code] ?? 0) + 1;
  }

  merge(other: Tally): void {
    this.requests += other.requests;
    this.successes += other.successes;
    this.errors += other.errors;
    for (const [k, v] of Object.entries(other.rejections)) {
      this.rejections[k] = (this.rejections[k] ?? 0) + v;
    }
    for (const ms of other.#ms) this.#ms.push(ms);
  }

  summary(): RouteStats {
    return {
      requests: this.requests,
      successes: this.successes,
      rejections: this.rejections,
      errors: this.errors,
      latency: latencyOf(this.#ms),
    };
  }
}

/** Percentiles (nearest rank) of a list of milliseconds, rounded to 0.01 ms. */
export function latencyOf(values: number[]): Latency {
  if (values.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const r = (n: number) => Math.round(n * 100) / 100;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50: r(at(0.5)),
    p90: r(at(0.9)),
    p99: r(at(0.99)),
    max: r(sorted[sorted.length - 1]),
    mean: r(sum / sorted.length),
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSeconds(pid: number | "self"): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name (which is in parentheses and may contain spaces).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** Resident set size of a process in MB, from /proc (Linux); NaN when it is gone. */
export function rssMb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Math.round(Number(m[1]) / 1024 * 10) / 10 : NaN;
  } catch {
    return NaN;
  }
}

export const round = (n: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};
