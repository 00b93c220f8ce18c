/**
 * One import from a reference deployment into boxoffice (`deno task import`): read the source
 * (read-only), plan, write (or, dry, count), and mark the touched sessions' Redis state stale so
 * that their next use rebuilds it from MySQL. The report lists what could not be mapped and why.
 */
import type { Db } from "#lib/platform/db.ts";
import type { Keys } from "#lib/platform/keys.ts";
import type { Redis } from "#lib/platform/redis.ts";
import { applyPlan, type ApplyResult } from "./apply.ts";
import { type Issue, planImport } from "./plan.ts";
import { openSource, type SourceTable } from "./source.ts";

export interface ImportOptions {
  /** `mysql://user:pass@host:port[/db1,db2]` of the reference's server. */
  from: string;
  dryRun: boolean;
  linkExistingUsers: boolean;
  /** Zone of the source's DATETIMEs (the reference's server clock). */
  sourceTimeZone: string;
  now: number;
}

export interface ImportReport {
  ok: boolean;
  dryRun: boolean;
  sourceTimeZone: string;
  /** Which source database each reference table was read from. */
  source: Partial<Record<SourceTable, string>>;
  counts: ApplyResult["counts"];
  /** Source rows not imported, and why. Empty when everything mapped. */
  unmapped: Issue[];
  /** Rows imported with a change, and what changed. */
  notes: Issue[];
  /** boxoffice sessions whose Redis state was marked for a rebuild. */
  sessionsInvalidated: number[];
  redis?: string;
}

/** Source errors (cannot connect, not a reference deployment) are thrown as SourceError. */
export async function runImport(
  target: { db: Db; redis?: { client: Redis; keys: Keys } },
  options: ImportOptions,
): Promise<ImportReport> {
  const source = await openSource(options.from);
  let data;
  try {
    data = await source.read();
  } finally {
    await source.close();
  }
  const plan = planImport(data, { zone: options.sourceTimeZone, now: options.now });
  const result = await applyPlan(target.db, plan, options);
  const report: ImportReport = {
    ok: false,
    dryRun: options.dryRun,
    sourceTimeZone: options.sourceTimeZone,
    source: data.databases,
    counts: result.counts,
    unmapped: [...plan.unmapped, ...result.unmapped],
    notes: plan.notes,
    sessionsInvalidated: [],
  };
  report.ok = report.unmapped.length === 0;
  if (!options.dryRun && result.touchedSessions.length) {
    if (!target.redis) {
      report.redis = "not reachable: touched sessions are rebuilt from MySQL when Redis has " +
        "no state for them; run POST /api/consistency/stock/repair-all if it has";
    } else {
      try {
        for (const id of result.touchedSessions) {
          const ready = target.redis.keys.sessionReady(id);
          await target.redis.client.send(["DEL", ready], ready);
          report.sessionsInvalidated.push(id);
        }
      } catch (e) {
        report.redis = `failed (${e instanceof Error ? e.message : e}): run ` +
          "POST /api/consistency/stock/repair-all once Redis is back";
      }
    }
  }
  return report;
}
