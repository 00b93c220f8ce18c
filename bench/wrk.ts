/**
 * Runs wrk (the reference load generator: C, event loop, a few µs a request) with the flows of
 * bench/wrk/flows.lua, and turns what the script prints into the figures bench/run.ts reports.
 * wrk is a system package (`apt-get install -y wrk`; `.ci/run` installs it when missing).
 *
 * A run ends at its duration, or earlier when every wrk thread says its flow has nothing left to
 * do (WRK_THREAD_DONE on stderr): wrk itself only stops on time or on SIGINT, so this sends it.
 */
import { cpuSeconds, type Latency, round, type RouteStats } from "./stats.ts";

const SCRIPT = new URL("./wrk/flows.lua", import.meta.url).pathname;
const PLAIN_GET = new URL("./wrk/get.lua", import.meta.url).pathname;
/** Two threads: the machine has two cores, shared with the server and the stores. */
export const WRK_THREADS = 2;

export interface WrkJob {
  url: string;
  flow: "create" | "seats" | "mixed" | "get";
  /**
   * Flow parameters (see bench/wrk/flows.lua): TOKENS, BODY, PER_BUYER, RATE, ... The `get`
   * flow (GET_PATH, ROUTE) runs bench/wrk/get.lua instead: no Lua per request.
   */
  params: Record<string, string | number>;
  connections: number;
  /** Upper bound of the run, whole seconds (wrk's unit). */
  seconds: number;
  threads?: number;
  /** Headers every request carries (wrk's -H), e.g. the Accept-Encoding of a browser. */
  headers?: Record<string, string>;
}

export interface WrkReport {
  flow: string;
  connections: number;
  /** From the first request sent to the last reply received. */
  elapsedMs: number;
  routes: Record<string, RouteStats>;
  total: RouteStats;
  /** wrk's own counts of connections that failed (connect, read, write, timeout). */
  socketErrors: Record<string, number>;
  /** CPU wrk used, in cores (1 = one core busy the whole run). */
  loadgenCores: number;
  extra: Record<string, number>;
  /** Merged histograms, so that alternating rounds of one side can be added up exactly. */
  histograms: Record<string, Record<string, number>>;
}

interface RawRoute {
  requests: number;
  successes: number;
  errors: number;
  rejections: Record<string, number>;
  hist: Record<string, number>;
  sum: number;
  max: number;
}

let found: string | null | undefined;
/** The wrk binary on PATH, or null. */
export function wrkBinary(): string | null {
  if (found !== undefined) return found;
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      const p = `${dir}/wrk`;
      if (Deno.statSync(p).isFile) return found = p;
    } catch {
      // not there
    }
  }
  return found = null;
}

export const WRK_MISSING = "wrk is not installed: the benchmarks drive their load with wrk " +
  "(apt-get install -y wrk; .ci/run installs it when missing)";

export async function wrk(job: WrkJob): Promise<WrkReport> {
  const bin = wrkBinary();
  if (!bin) throw new Error(WRK_MISSING);
  const threads = Math.min(job.threads ?? WRK_THREADS, job.connections);
  const plain = job.flow === "get";
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    FLOW: job.flow,
    WRK_THREADS: String(threads),
    RUN_TAG: crypto.randomUUID().slice(0, 8),
  };
  for (const [k, v] of Object.entries(job.params)) env[k] = String(v);
  const child = new Deno.Command(bin, {
    args: [
      "-t",
      String(threads),
      "-c",
      String(job.connections),
      "-d",
      `${Math.max(1, Math.ceil(job.seconds))}s`,
      "--timeout",
      "10s",
      ...Object.entries(job.headers ?? {}).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
      "-s",
      plain ? PLAIN_GET : SCRIPT,
      plain ? `${job.url}${job.params.GET_PATH}` : `${job.url}/`,
    ],
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let cpu = 0;
  const sampler = setInterval(() => {
    const c = cpuSeconds(child.pid);
    if (!Number.isNaN(c)) cpu = c;
  }, 200);
  const t0 = performance.now();
  let doneThreads = 0;
  const stderr: string[] = [];
  const readErr = (async () => {
    for await (const line of lines(child.stderr)) {
      if (line === "WRK_THREAD_DONE") {
        if (++doneThreads === threads) child.kill("SIGINT");
      } else stderr.push(line);
    }
  })();
  const out: string[] = [];
  for await (const line of lines(child.stdout)) out.push(line);
  await readErr;
  const status = await child.status;
  clearInterval(sampler);
  const wallS = (performance.now() - t0) / 1000;
  const plainLine = out.find((l) => l.startsWith("WRK_PLAIN "));
  if (plain && plainLine) {
    return fromPlain(
      String(job.params.ROUTE ?? "get"),
      JSON.parse(plainLine.slice("WRK_PLAIN ".length)),
      job.connections,
      round(cpu / wallS),
    );
  }
  const json = out.find((l) => l.startsWith("WRK_JSON "));
  if (!json) {
    throw new Error(
      `wrk (${job.flow}) printed no report (exit ${status.code}):\n${
        [...stderr, ...out].join("\n")
      }`,
    );
  }
  if (stderr.some((l) => /error|PANIC/i.test(l))) {
    throw new Error(`wrk (${job.flow}): ${stderr.join("\n")}`);
  }
  const raw = JSON.parse(json.slice("WRK_JSON ".length)) as {
    flow: string;
    socketErrors: Record<string, number>;
    threads: ThreadStats[];
  };
  return fromThreads(raw.flow, raw.threads, raw.socketErrors, job.connections, round(cpu / wallS));
}

/**
 * A plain run's report: wrk counts replies, non-2xx/3xx ones and latency percentiles only. The
 * histogram is rebuilt from the percentiles (50 % at p50, 40 % at p90, 9 % at p99, 1 % at max),
 * enough to merge rounds.
 */
function fromPlain(
  route: string,
  p: {
    requests: number;
    durationUs: number;
    non2xx: number;
    connect: number;
    read: number;
    write: number;
    timeout: number;
    p50: number;
    p90: number;
    p99: number;
    max: number;
    mean: number;
  },
  connections: number,
  loadgenCores: number,
): WrkReport {
  const socketErrors = { connect: p.connect, read: p.read, write: p.write, timeout: p.timeout };
  const hist: Record<string, number> = {};
  const n = p.requests;
  for (const [us, share] of [[p.p50, 0.5], [p.p90, 0.4], [p.p99, 0.09], [p.max, 0.01]]) {
    hist[String(us)] = (hist[String(us)] ?? 0) + Math.round(n * share);
  }
  const stats = routeStats({
    requests: n,
    successes: n - p.non2xx,
    errors: p.non2xx,
    rejections: {},
    hist,
    sum: (p.mean * n) / 1000,
    max: p.max / 1000,
  }, hist);
  return {
    flow: "get",
    connections,
    elapsedMs: round(p.durationUs / 1000, 1),
    routes: { [route]: stats },
    total: { ...stats, errors: stats.errors + sum(Object.values(socketErrors)) },
    socketErrors,
    loadgenCores,
    extra: {},
    histograms: { [route]: hist, __total: hist },
  };
}

/** What one wrk thread counted (bench/wrk/flows.lua `stats`). */
interface ThreadStats {
  routes: Record<string, RawRoute>;
  extra: Record<string, number>;
  /** Monotonic µs of its first request and its last reply. */
  first?: number;
  last?: number;
  unanswered: number;
  uncorrelated: number;
}

function fromThreads(
  flow: string,
  threads: ThreadStats[],
  socketErrors: Record<string, number>,
  connections: number,
  loadgenCores: number,
): WrkReport {
  const routes: Record<string, RouteStats> = {};
  const histograms: Record<string, Record<string, number>> = {};
  const merged: Record<string, RawRoute> = {};
  const extra: Record<string, number> = {};
  let first = Infinity, last = -Infinity, firstStop = Infinity;
  const add = (into: RawRoute, r: RawRoute) => {
    into.requests += r.requests;
    into.successes += r.successes;
    into.errors += r.errors;
    into.sum += r.sum;
    into.max = Math.max(into.max, r.max);
    for (const [k, n] of Object.entries(r.rejections)) {
      into.rejections[k] = (into.rejections[k] ?? 0) + n;
    }
    for (const [k, n] of Object.entries(r.hist)) into.hist[k] = (into.hist[k] ?? 0) + n;
  };
  const empty = (): RawRoute => ({
    requests: 0,
    successes: 0,
    errors: 0,
    rejections: {},
    hist: {},
    sum: 0,
    max: 0,
  });
  const total = empty();
  for (const t of threads) {
    if (t.first !== undefined) first = Math.min(first, t.first);
    if (t.last !== undefined) last = Math.max(last, t.last);
    for (const [k, v] of Object.entries(t.extra ?? {})) {
      if (k === "firstStopAtUs") firstStop = Math.min(firstStop, v);
      else extra[k] = (extra[k] ?? 0) + v;
    }
    extra.uncorrelated = (extra.uncorrelated ?? 0) + t.uncorrelated;
    for (const [name, r] of Object.entries(t.routes ?? {})) {
      add(merged[name] ??= empty(), r);
      add(total, r);
    }
  }
  if (Number.isFinite(firstStop)) extra.firstStopAtMs = Math.round((firstStop - first) / 1000);
  for (const [name, r] of Object.entries(merged)) {
    histograms[name] = r.hist;
    routes[name] = routeStats(r, r.hist);
  }
  histograms.__total = total.hist;
  const socket = socketErrors ?? {};
  const totalStats = routeStats(total, total.hist);
  return {
    flow,
    connections,
    elapsedMs: Number.isFinite(first) && last > first ? round((last - first) / 1000, 1) : 0,
    routes,
    total: { ...totalStats, errors: totalStats.errors + sum(Object.values(socket)) },
    socketErrors: socket,
    loadgenCores,
    extra,
    histograms,
  };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + (Number(b) || 0), 0);

function routeStats(r: RawRoute, hist: Record<string, number>): RouteStats {
  return {
    requests: r.requests,
    successes: r.successes,
    rejections: r.rejections,
    errors: r.errors,
    latency: latencyOfHistogram(hist, r.sum, r.max),
  };
}

/** Percentiles (nearest rank) of a histogram of µs buckets, in ms. */
export function latencyOfHistogram(
  hist: Record<string, number>,
  sumMs: number,
  maxMs: number,
): Latency {
  const buckets = Object.entries(hist).map(([k, n]) => [Number(k), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const n = sum(buckets.map(([, c]) => c));
  if (n === 0) return { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  const at = (q: number) => {
    const rank = Math.ceil(q * n);
    let seen = 0;
    for (const [us, c] of buckets) if ((seen += c) >= rank) return round(us / 1000);
    return round(maxMs);
  };
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round(maxMs), mean: round(sumMs / n) };
}

/** One side measured over several rounds (A/B/A/B): counts and histograms added up. */
export function mergeReports(reports: WrkReport[]): WrkReport {
  if (reports.length === 1) return reports[0];
  const addRoute = (
    a: RouteStats | undefined,
    b: RouteStats,
    ha: Record<string, number>,
    hb: Record<string, number>,
  ): [RouteStats, Record<string, number>] => {
    const hist = { ...ha };
    for (const [k, n] of Object.entries(hb)) hist[k] = (hist[k] ?? 0) + n;
    const rejections = { ...(a?.rejections ?? {}) };
    for (const [k, n] of Object.entries(b.rejections)) rejections[k] = (rejections[k] ?? 0) + n;
    const requests = (a?.requests ?? 0) + b.requests;
    const meanSum = (a ? a.latency.mean * a.requests : 0) + b.latency.mean * b.requests;
    return [{
      requests,
      successes: (a?.successes ?? 0) + b.successes,
      errors: (a?.errors ?? 0) + b.errors,
      rejections,
      latency: latencyOfHistogram(
        hist,
        meanSum,
        Math.max(a?.latency.max ?? 0, b.latency.max),
      ),
    }, hist];
  };
  const out: WrkReport = { ...reports[0], routes: {}, histograms: {}, extra: {} };
  let total: RouteStats | undefined;
  let totalHist: Record<string, number> = {};
  let cpu = 0;
  out.elapsedMs = 0;
  out.socketErrors = {};
  for (const r of reports) {
    out.elapsedMs += r.elapsedMs;
    cpu += r.loadgenCores * r.elapsedMs;
    for (const [name, s] of Object.entries(r.routes)) {
      [out.routes[name], out.histograms[name]] = addRoute(
        out.routes[name],
        s,
        out.histograms[name] ?? {},
        r.histograms[name] ?? {},
      );
    }
    [total, totalHist] = addRoute(total, r.total, totalHist, r.histograms.__total ?? {});
    for (const [k, v] of Object.entries(r.extra)) out.extra[k] = (out.extra[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.socketErrors)) {
      out.socketErrors[k] = (out.socketErrors[k] ?? 0) + v;
    }
  }
  out.total = total!;
  out.histograms.__total = totalHist;
  out.loadgenCores = round(cpu / Math.max(1, out.elapsedMs));
  return out;
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let i;
    while ((i = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
    }
  }
  if (buffer) yield buffer;
}
