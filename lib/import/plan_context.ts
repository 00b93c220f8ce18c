/**
 * What every step of planImport (lib/import/plan.ts) shares: the source rows, the rules that turn
 * a source row into a key or a time, and the lists of issues the steps add to, in step order.
 */
import { parseTime } from "#lib/platform/time.ts";
import type { EntityKind, Issue, PlanOptions } from "./plan.ts";
import type { SourceData } from "./source_rows.ts";

export type SourceDatabases = SourceData["databases"];
export type SourceTableName = keyof SourceDatabases;

export interface PlanContext {
  data: SourceData;
  /** Milliseconds since the epoch. */
  nowMs: number;
  now: Date;
  /** The import key of a source row: `<database>.<id>` (import_map.source_key). */
  key(table: SourceTableName, id: number): string;
  /** A source row as a report names it: `<database>.<table>#<id>`. */
  src(table: SourceTableName, id: number): string;
  /** A source DATETIME (wall-clock time of the source's zone) as an instant. */
  at(s: string | null): Date | null;
  unmapped: Issue[];
  notes: Issue[];
  refuse(kind: EntityKind, source: string, reason: string): void;
  note(kind: EntityKind, source: string, reason: string): void;
}

export function planContext(data: SourceData, options: PlanOptions): PlanContext {
  const db = data.databases;
  const unmapped: Issue[] = [];
  const notes: Issue[] = [];
  return {
    data,
    nowMs: options.now,
    now: new Date(options.now),
    key: (table, id) => `${db[table]}.${id}`,
    src: (table, id) => `${db[table]}.${table}#${id}`,
    at: (s) => s ? parseTime(s, options.zone) : null,
    unmapped,
    notes,
    refuse: (kind, source, reason) => unmapped.push({ kind, source, reason }),
    note: (kind, source, reason) => notes.push({ kind, source, reason }),
  };
}

export const round2 = (n: number) => Math.round(n * 100) / 100;

/** `rows` grouped by `keyOf`, each group in the rows' order. */
export function groupBy<T, K>(rows: T[], keyOf: (row: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const row of rows) {
    const k = keyOf(row);
    const group = out.get(k);
    if (group) group.push(row);
    else out.set(k, [row]);
  }
  return out;
}
