/**
 * The buyers of the `onsale` scenario (bench/onsale.ts), in their own process: every buyer
 * arrives within `spreadMs` of the start and wants one ticket.
 *
 * - `room`: join the waiting room, poll the status (every estimatedWait / 2 s, 0.5-10 s, with
 *   jitter) until admitted or sold out, then create with the pass.
 * - `open`: create at once.
 * - `sustain`: a fixed number of workers create in a loop (to measure the sustained rate).
 *
 * A 503 (shed) or a transport error is retried after `Retry-After`, doubled at each refusal (up
 * to 8x) and jittered; SOLD_OUT ends the
 * buyer; everything stops at `durationMs`. Prints one JSON report on stdout.
 */
import { round, type RouteStats, Tally } from "./stats.ts";

export interface BuyersJob {
  baseUrl: string;
  /** sustain: `concurrency` workers create in a loop through the buyers (the service's rate). */
  mode: "room" | "open" | "sustain";
  concurrency?: number;
  sessionId: number;
  ticketId: number;
  tokens: string[];
  spreadMs: number;
  durationMs: number;
}

export interface BuyersReport {
  mode: string;
  buyers: number;
  routes: Record<string, RouteStats>;
  /** Latency of the creates that succeeded, ms. */
  successfulCreates: RouteStats;
  outcomes: Record<string, number>;
  /** ms from the start: the first and last successful create. */
  firstSuccessMs: number | null;
  lastSuccessMs: number | null;
  /** Successful creates per second between the first and the last one. */
  successesPerSec: number;
  elapsedMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jitter = (ms: number) => ms * (0.8 + Math.random() * 0.4);

export async function runBuyers(job: BuyersJob): Promise<BuyersReport> {
  const tallies: Record<string, Tally> = {};
  const okCreates = new Tally();
  const outcomes: Record<string, number> = {};
  const successAt: number[] = [];
  const t0 = performance.now();
  const deadline = t0 + job.durationMs;
  const done = () => performance.now() >= deadline;

  const call = async <T>(
    route: string,
    method: string,
    path: string,
    token: string,
    opts: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; code?: string; data?: T; retryAfter?: number }> => {
    const tally = tallies[route] ??= new Tally();
    const started = performance.now();
    try {
      const res = await fetch(`${job.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(opts.body === undefined ? {} : { "content-type": "application/json" }),
          ...opts.headers,
        },
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      const ms = performance.now() - started;
      const envelope = JSON.parse(text) as { error?: string; data?: T };
      if (res.status === 200) {
        tally.record(ms, { ok: true });
        if (route === "create") {
          okCreates.record(ms, { ok: true });
          successAt.push(performance.now() - t0);
        }
        return { status: 200, data: envelope.data };
      }
      const code = envelope.error ?? `HTTP_${res.status}`;
      tally.record(ms, { ok: false, code });
      return { status: res.status, code, retryAfter: Number(res.headers.get("retry-after") ?? 1) };
    } catch {
      tally.record(performance.now() - started, { error: true });
      return { status: 0, code: "NETWORK", retryAfter: 1 };
    }
  };

  /** Retries 503s and transport errors until an answer or the end of the run. */
  const persist = async <T>(
    route: string,
    method: string,
    path: string,
    token: string,
    opts: { body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    for (let attempt = 0;; attempt++) {
      const r = await call<T>(route, method, path, token, opts);
      if ((r.status !== 503 && r.status !== 0) || done()) return r;
      // Retry-After, doubled at each refusal (at most 8x), spread: no herd every second.
      const backoff = 1000 * (r.retryAfter || 1) * 2 ** Math.min(attempt, 3);
      await sleep(backoff * (0.5 + Math.random()));
    }
  };

  const end = (outcome: string) => outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  const body = { sessionId: job.sessionId, ticketId: job.ticketId, quantity: 1 };

  const buy = async (token: string, pass?: string) => {
    const r = await persist<string>("create", "POST", "/api/order/create", token, {
      body,
      headers: pass ? { "x-queue-pass": pass } : {},
    });
    end(r.status === 200 ? "bought" : r.code ?? "failed");
  };

  interface View {
    state: string;
    estimatedWaitSeconds?: number;
    pass?: string;
  }

  const buyer = async (token: string) => {
    await sleep(Math.random() * job.spreadMs);
    if (job.mode === "open") return await buy(token);
    let r = await persist<View>("join", "POST", `/api/queue/${job.sessionId}/join`, token);
    while (!done()) {
      const view = r.data;
      if (!view) return end(`join/status ${r.code}`);
      if (view.state === "admitted") return await buy(token, view.pass);
      if (view.state === "sold_out") return end("told sold_out");
      const wait = Math.min(10_000, Math.max(500, (view.estimatedWaitSeconds ?? 1) * 500));
      await sleep(jitter(wait));
      r = await persist<View>("status", "GET", `/api/queue/${job.sessionId}/status`, token);
    }
    end("still waiting at the end");
  };

  // Each buyer creates until its limit (LIMIT_EXCEEDED), then the worker takes the next one.
  let next = 0;
  const worker = async () => {
    let token = job.tokens[next++];
    while (token && !done()) {
      const r = await call<string>("create", "POST", "/api/order/create", token, {
        body,
        headers: { "idempotency-key": crypto.randomUUID() },
      });
      if (r.status === 409) token = job.tokens[next++];
    }
  };

  if (job.mode === "sustain") {
    await Promise.all(Array.from({ length: job.concurrency ?? 32 }, worker));
  } else {
    await Promise.all(job.tokens.map(buyer));
  }
  const routes: Record<string, RouteStats> = {};
  for (const [name, t] of Object.entries(tallies)) routes[name] = t.summary();
  const first = successAt.length ? Math.min(...successAt) : null;
  const last = successAt.length ? Math.max(...successAt) : null;
  return {
    mode: job.mode,
    buyers: job.tokens.length,
    routes,
    successfulCreates: okCreates.summary(),
    outcomes,
    firstSuccessMs: first === null ? null : Math.round(first),
    lastSuccessMs: last === null ? null : Math.round(last),
    successesPerSec: first !== null && last! > first
      ? round(successAt.length / ((last! - first) / 1000), 1)
      : 0,
    elapsedMs: Math.round(performance.now() - t0),
  };
}

if (import.meta.main) {
  const input = await new Response(Deno.stdin.readable).text();
  console.log(JSON.stringify(await runBuyers(JSON.parse(input) as BuyersJob)));
}
