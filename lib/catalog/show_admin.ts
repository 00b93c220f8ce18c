/**
 * The catalog's admin side: shows and sessions created, changed, deleted (soft). Reads are in
 * shows.ts; a change drops the cached tier facts that carry show and session fields, and this
 * process's cached public catalog (catalog_cache.ts), so the change shows at once.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { invalid, notFound } from "#lib/platform/errors.ts";
import { forgetCatalog } from "./catalog_cache.ts";
import { getShowUncached } from "./shows.ts";
import { forgetTierFacts } from "./tier_facts.ts";

export interface ShowInput {
  name: string;
  type: number;
  venue: string;
  city: string;
  startTime: Date;
  endTime: Date;
  description?: string | null;
  posterUrl?: string | null;
  isHot?: boolean;
  isRecommend?: boolean;
  status?: number;
}

function assertTimes(start: Date, end: Date, startField: string, endField: string) {
  if (end.getTime() < start.getTime()) throw invalid(endField, `must not be before ${startField}`);
}

export async function createShow(ctx: AppContext, input: ShowInput): Promise<{ id: number }> {
  assertTimes(input.startTime, input.endTime, "startTime", "endTime");
  const { insertId } = await ctx.db.exec(
    `INSERT INTO shows (name, type, venue, city, description, poster_url, start_time, end_time,
                        status, is_hot, is_recommend)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      input.name,
      input.type,
      input.venue,
      input.city,
      input.description ?? null,
      input.posterUrl ?? null,
      input.startTime,
      input.endTime,
      input.status ?? 1,
      input.isHot ?? false,
      input.isRecommend ?? false,
    ],
  );
  forgetCatalog(ctx);
  return { id: insertId };
}

const SHOW_COLUMNS: Record<keyof ShowInput, string> = {
  name: "name",
  type: "type",
  venue: "venue",
  city: "city",
  startTime: "start_time",
  endTime: "end_time",
  description: "description",
  posterUrl: "poster_url",
  isHot: "is_hot",
  isRecommend: "is_recommend",
  status: "status",
};

export async function updateShow(
  ctx: AppContext,
  showId: number,
  changes: Partial<ShowInput>,
): Promise<void> {
  const current = await getShowUncached(ctx, showId);
  assertTimes(
    changes.startTime ?? current.startTime,
    changes.endTime ?? current.endTime,
    "startTime",
    "endTime",
  );
  const entries = Object.entries(changes).filter(([, v]) => v !== undefined) as [
    keyof ShowInput,
    string | number | boolean | Date | null,
  ][];
  if (entries.length === 0) return;
  await ctx.db.exec(
    `UPDATE shows SET ${entries.map(([k]) => `${SHOW_COLUMNS[k]} = ?`).join(", ")}
      WHERE id = ? AND deleted_at IS NULL`,
    [...entries.map(([, v]) => v), showId],
  );
  forgetTierFacts(ctx);
  forgetCatalog(ctx);
}

/** Soft delete: orders keep pointing at the show; the catalog no longer shows or sells it. */
export async function deleteShow(ctx: AppContext, showId: number): Promise<void> {
  const { affectedRows } = await ctx.db.exec(
    "UPDATE shows SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
    [new Date(ctx.now()), showId],
  );
  if (affectedRows === 0) throw notFound(`show ${showId}`);
  forgetTierFacts(ctx);
  forgetCatalog(ctx);
}

export interface SessionInput {
  name: string;
  startTime: Date;
  endTime: Date;
  saleStartTime?: Date;
  saleEndTime?: Date;
  status?: number;
}

export async function createSession(
  ctx: AppContext,
  showId: number,
  input: SessionInput,
): Promise<{ id: number }> {
  await getShowUncached(ctx, showId);
  assertTimes(input.startTime, input.endTime, "startTime", "endTime");
  const saleStart = input.saleStartTime ?? new Date(ctx.now());
  const saleEnd = input.saleEndTime ?? input.startTime;
  assertTimes(saleStart, saleEnd, "saleStartTime", "saleEndTime");
  const { insertId } = await ctx.db.exec(
    `INSERT INTO sessions (show_id, name, start_time, end_time, sale_start_time, sale_end_time,
                           status)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [showId, input.name, input.startTime, input.endTime, saleStart, saleEnd, input.status ?? 1],
  );
  forgetCatalog(ctx);
  return { id: insertId };
}
