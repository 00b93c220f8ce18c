/**
 * Writes an import plan into boxoffice's MySQL. Each source row goes in its own transaction
 * together with its `import_map` row, so an interrupted import resumes where it stopped and a
 * second run finds everything mapped and adds nothing. An order's transaction also writes its
 * items, status log, seat claims and its share of the tier's locked or sold stock, so stock
 * agrees with the orders at every commit. With `dryRun` nothing is written: the same decisions
 * are made against what is already there and counted.
 *
 * One step per entity family, parents first (each finds its parents' ids in what the earlier
 * steps mapped): apply_users.ts, apply_catalog.ts (shows, sessions, tiers with their stock),
 * apply_areas.ts (seat areas and seats), apply_orders.ts; apply_writer.ts does the bookkeeping.
 */
import type { Db } from "#lib/platform/db.ts";
import type { EntityKind, ImportPlan, Issue } from "./plan.ts";
import { ImportWriter } from "./apply_writer.ts";
import { applyUsers } from "./apply_users.ts";
import { applySessions, applyShows, applyTiers } from "./apply_catalog.ts";
import { applyAreas } from "./apply_areas.ts";
import { applyOrders } from "./apply_orders.ts";

export interface ApplyOptions {
  dryRun: boolean;
  /**
   * A source user whose username boxoffice already has (not from an import) is linked to that
   * account instead of being reported unmapped.
   */
  linkExistingUsers: boolean;
}

export interface KindCounts {
  /** Rows of the source planned for import. */
  planned: number;
  /** Added by this run (or, dry, that would be). */
  added: number;
  /** Already imported by an earlier run. */
  existing: number;
  /** Linked to an existing boxoffice row (users with --link-existing-users). */
  linked: number;
  /** Planned but refused by boxoffice (listed in `unmapped`). */
  refused: number;
}

export interface ApplyResult {
  counts: Record<EntityKind, KindCounts>;
  /** Rows refused while writing (e.g. a username already taken). */
  unmapped: Issue[];
  /** boxoffice sessions that got new tiers, seats or orders (their Redis state is stale). */
  touchedSessions: number[];
}

export async function applyPlan(
  db: Db,
  plan: ImportPlan,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const w = await ImportWriter.open(db, options);
  await applyUsers(w, plan.users);
  await applyShows(w, plan.shows);
  await applySessions(w, plan.sessions);
  await applyTiers(w, plan.tiers);
  const seats = await applyAreas(w, plan.areas);
  await applyOrders(w, plan.orders, seats);
  return w.result();
}
