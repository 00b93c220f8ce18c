/**
 * What every step of applyPlan (lib/import/apply.ts) writes through: the ids of what is already
 * imported (import_map), the counts of the report, and `once`, which writes one source row in
 * its own transaction together with its import_map row.
 */
import type { Db, Queryable } from "#lib/platform/db.ts";
import { isDuplicateKey } from "#lib/platform/db.ts";
import type { EntityKind, Issue } from "./plan.ts";
import type { ApplyOptions, ApplyResult, KindCounts } from "./apply.ts";

export type IdMap = Map<string, number>;

/** Thrown inside a row's transaction: boxoffice refuses the row (rolled back, reported). */
export class Refused extends Error {}

const KINDS: EntityKind[] = ["user", "show", "session", "tier", "area", "order"];

export class ImportWriter {
  readonly counts = Object.fromEntries(
    KINDS.map((k) => [k, { planned: 0, added: 0, existing: 0, linked: 0, refused: 0 }]),
  ) as Record<EntityKind, KindCounts>;
  readonly unmapped: Issue[] = [];
  /** boxoffice sessions that got new rows (fake, negative ids in a dry run). */
  readonly touched = new Set<number>();
  #fakeId = 0;

  private constructor(
    readonly db: Db,
    readonly options: ApplyOptions,
    /** Source key → boxoffice id, per kind: imported earlier or by this run. */
    readonly maps: Record<EntityKind, IdMap>,
  ) {}

  static async open(db: Db, options: ApplyOptions): Promise<ImportWriter> {
    return new ImportWriter(db, options, await loadMaps(db));
  }

  /** Runs `insert` once per source key: skipped when mapped, recorded in import_map. */
  async once(
    kind: EntityKind,
    key: string,
    insert: (tx: Queryable) => Promise<number>,
  ): Promise<number | null> {
    const counts = this.counts[kind];
    counts.planned++;
    const known = this.maps[kind].get(key);
    if (known !== undefined) {
      counts.existing++;
      return known;
    }
    if (this.options.dryRun) {
      counts.added++;
      const id = --this.#fakeId;
      this.maps[kind].set(key, id);
      return id;
    }
    try {
      const id = await this.db.tx(async (tx) => {
        const id = await insert(tx);
        await tx.exec("INSERT INTO import_map (kind, source_key, target_id) VALUES (?, ?, ?)", [
          kind,
          key,
          id,
        ]);
        return id;
      });
      this.maps[kind].set(key, id);
      counts.added++;
      return id;
    } catch (e) {
      return await this.#settle(kind, key, e);
    }
  }

  /** `once`, and `sessionId` is marked touched when this run added the row. */
  async onceIn(
    sessionId: number,
    kind: EntityKind,
    key: string,
    insert: (tx: Queryable) => Promise<number>,
  ): Promise<void> {
    const before = this.counts[kind].added;
    await this.once(kind, key, insert);
    if (this.counts[kind].added > before) this.touched.add(sessionId);
  }

  /** A planned row whose parent (`what`) was not imported. */
  missing(kind: EntityKind, key: string, what: string): void {
    this.counts[kind].planned++;
    this.counts[kind].refused++;
    this.unmapped.push({ kind, source: key, reason: `${what} was not imported` });
  }

  result(): ApplyResult {
    return {
      counts: this.counts,
      unmapped: this.unmapped,
      touchedSessions: [...this.touched].filter((id) => id > 0).sort(),
    };
  }

  /** A row's transaction failed: refused, mapped by a concurrent run, or an error. */
  async #settle(kind: EntityKind, key: string, e: unknown): Promise<number | null> {
    if (e instanceof Refused) {
      this.counts[kind].refused++;
      this.unmapped.push({ kind, source: key, reason: e.message });
      return null;
    }
    if (isDuplicateKey(e) && String((e as Error).message).includes(`'${kind}-${key}'`)) {
      // Another import run mapped it at the same moment.
      const [row] = await this.db.rows<{ target_id: number }>(
        "SELECT target_id FROM import_map WHERE kind = ? AND source_key = ?",
        [kind, key],
      );
      this.counts[kind].existing++;
      this.maps[kind].set(key, row.target_id);
      return row.target_id;
    }
    throw e;
  }
}

async function loadMaps(db: Db): Promise<Record<EntityKind, IdMap>> {
  const maps = Object.fromEntries(KINDS.map((k) => [k, new Map()])) as Record<EntityKind, IdMap>;
  const rows = await db.rows<{ kind: string; source_key: string; target_id: number }>(
    "SELECT kind, source_key, target_id FROM import_map WHERE kind <> 'seat'",
  ).catch((e) => {
    // A dry run against a database never migrated: nothing is mapped yet.
    if (notMigrated(e)) return [];
    throw e;
  });
  for (const r of rows) maps[r.kind as EntityKind]?.set(r.source_key, Number(r.target_id));
  return maps;
}

/** The boxoffice ids of imported seats (import_map kind 'seat'), by source key. */
export async function loadSeatMap(db: Db, keys: string[], dryRun: boolean): Promise<IdMap> {
  const out: IdMap = new Map();
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500);
    const rows = await db.rows<{ source_key: string; target_id: number }>(
      `SELECT source_key, target_id FROM import_map
        WHERE kind = 'seat' AND source_key IN (${chunk.map(() => "?").join(", ")})`,
      chunk,
    ).catch((e) => {
      if (dryRun && notMigrated(e)) return [];
      throw e;
    });
    for (const r of rows) out.set(r.source_key, Number(r.target_id));
  }
  return out;
}

/** The target database (or its import_map) does not exist yet: possible only in a dry run. */
function notMigrated(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === "ER_NO_SUCH_TABLE" || code === "ER_BAD_DB_ERROR";
}

/** `e` rethrown as Refused(`reason`) when it is a duplicate key. */
export function refuseDuplicate(reason: string): (e: unknown) => never {
  return (e) => {
    if (isDuplicateKey(e)) throw new Refused(reason);
    throw e;
  };
}
