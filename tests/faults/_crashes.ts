/**
 * What the drills that SIGKILL the service share (3: mid-sale, 7: with group commits in flight):
 * a server that is killed and started again at moments chosen by the sale's progress, buyers
 * who retry the same request until they are answered, the reconcile job's cron sped up while
 * the sale goes on, and the final reconcile that must make everything consistent again.
 */
import type { TestEnv } from "../support/env.ts";
import type { ServerProcess } from "../support/process.ts";
import { audit } from "#lib/ops/audit.ts";
import { bugsLogged, FULL, type Reply, request, startServer, waitFor } from "./_support.ts";

/** The drill's server: one process at a time, SIGKILLed and started again by `crashDuring`. */
export class CrashingServer {
  kills = 0;
  /** Bug lines (500 INTERNAL) of the killed processes' logs. */
  readonly bugs: string[] = [];

  private constructor(
    private readonly env: TestEnv,
    private readonly vars: Record<string, string>,
    public current: ServerProcess,
  ) {}

  static async start(env: TestEnv, vars: Record<string, string>): Promise<CrashingServer> {
    return new CrashingServer(env, vars, await startServer(env, vars));
  }

  /** The live process's URL: a request sent after a restart goes to the new one. */
  get url(): string {
    return this.current.url;
  }

  /**
   * Kills the server `kills` times, each at a random point of its own stretch of the sale (by
   * progress, not by clock, so that a fast machine cannot finish the sale before all crashes
   * happened), and starts it again each time. Ends early when `stopped()` says the sale ended.
   */
  async crashDuring(sale: {
    kills: number;
    total: number;
    progress: () => number;
    stopped: () => boolean;
  }): Promise<void> {
    const { kills, total, progress, stopped } = sale;
    while (this.kills < kills && !stopped()) {
      const at = Math.floor(total * (this.kills + 0.3 + Math.random() * 0.5) / (kills + 1));
      while (progress() < at && !stopped()) await new Promise((res) => setTimeout(res, 5));
      if (stopped()) break;
      const victim = this.current;
      victim.signal("SIGKILL");
      await victim.exited;
      this.bugs.push(...bugsLogged(victim));
      this.kills++;
      this.current = await startServer(this.env, this.vars);
    }
  }

  /** The bug lines of every process of the drill, the live one included. */
  allBugs(): string[] {
    return [...this.bugs, ...bugsLogged(this.current)];
  }
}

/**
 * A buyer's client: sends the same request again after no reply (killed under it, or not
 * listening yet), a 503 or a 409 "still being processed", until another answer or the
 * deadline. The requests never answered are listed in `unanswered`.
 */
export class RetryingClient {
  readonly unanswered: string[] = [];

  async send(what: string, send: () => Promise<Reply>): Promise<Reply | undefined> {
    const deadline = Date.now() + (FULL ? 120_000 : 60_000);
    while (Date.now() < deadline) {
      let r: Reply | undefined;
      try {
        r = await send();
      } catch {
        r = undefined; // killed under the request, or not listening yet
      }
      if (r && r.status !== 503 && r.json?.error !== "CONFLICT") return r;
      // A client backing off before its retry (the drill's load, not a synchronisation).
      await new Promise((res) => setTimeout(res, 50 + Math.random() * 150));
    }
    this.unanswered.push(what);
    return undefined;
  }
}

/** The reconcile job's cron, sped up: a run every second until `stopped()`. */
export async function reconcileEverySecond(
  server: CrashingServer,
  adminToken: string,
  stopped: () => boolean,
): Promise<void> {
  while (!stopped()) {
    await request(server.url, "POST", "/api/admin/jobs/reconcile/run", { token: adminToken })
      .catch(() => undefined);
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/**
 * Runs reconcile until the audit (with no grace) finds nothing, for at most the grace period
 * and 15 s; fails with the last reconcile reply and audit findings. Returns the time it took.
 */
export async function reconcileUntilConsistent(
  env: TestEnv,
  server: CrashingServer,
  sale: { sessionId: number; adminToken: string },
  graceSeconds: number,
): Promise<number> {
  const started = Date.now();
  let last = "";
  await waitFor(
    "reconcile to repair what the crashes left",
    async () => {
      const run = await request(server.url, "POST", "/api/admin/jobs/reconcile/run", {
        token: sale.adminToken,
      });
      const r = await audit(env.ctx, { sessionIds: [sale.sessionId], graceMs: 0 });
      last = `reconcile: ${run.text.slice(0, 1500)}\naudit: ${
        JSON.stringify(r.violations.slice(0, 5))
      }`;
      return run.status === 200 && r.ok ? true : undefined;
    },
    graceSeconds * 1000 + 15_000,
    250,
  ).catch((e) => {
    throw new Error(`${e.message}\n${last}`);
  });
  return Date.now() - started;
}
