/**
 * The stored settings of venues booked by the hour (`hourly_venues`, one row per show; a show
 * without a row has DEFAULT_HOURLY). See hourly_settings.ts for what the settings mean.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { invalid, notFound } from "#lib/platform/errors.ts";
import { checkHourlySettings, DEFAULT_HOURLY, type HourlySettings } from "./hourly_settings.ts";
import { INTERNET_CAFE } from "./shows.ts";

async function assertHourlyShow(ctx: AppContext, showId: number): Promise<void> {
  const [show] = await ctx.db.read.rows<{ type: number }>(
    "SELECT type FROM shows WHERE id = ? AND deleted_at IS NULL",
    [showId],
  );
  if (!show) throw notFound(`show ${showId}`);
  if (show.type !== INTERNET_CAFE) {
    throw invalid("showId", `show ${showId} is not booked by the hour`);
  }
}

export async function getHourlySettings(ctx: AppContext, showId: number): Promise<HourlySettings> {
  await assertHourlyShow(ctx, showId);
  return await venueSettings(ctx, showId);
}

/** The settings of a show known to be hourly (no check of its type). */
export async function venueSettings(ctx: AppContext, showId: number): Promise<HourlySettings> {
  const [row] = await ctx.db.read.rows<{
    open_from: string;
    open_to: string;
    night_from: string;
    night_to: string;
    max_hours: number;
    horizon_days: number;
  }>("SELECT * FROM hourly_venues WHERE show_id = ?", [showId]);
  if (!row) return { ...DEFAULT_HOURLY };
  return {
    openFrom: row.open_from,
    openTo: row.open_to,
    nightFrom: row.night_from,
    nightTo: row.night_to,
    maxHours: row.max_hours,
    horizonDays: row.horizon_days,
  };
}

export async function updateHourlySettings(
  ctx: AppContext,
  showId: number,
  changes: Partial<HourlySettings>,
): Promise<HourlySettings> {
  await assertHourlyShow(ctx, showId);
  const next = { ...await venueSettings(ctx, showId), ...changes };
  checkHourlySettings(next);
  await ctx.db.exec(
    `INSERT INTO hourly_venues (show_id, open_from, open_to, night_from, night_to, max_hours,
                                horizon_days)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE open_from = VALUES(open_from), open_to = VALUES(open_to),
       night_from = VALUES(night_from), night_to = VALUES(night_to),
       max_hours = VALUES(max_hours), horizon_days = VALUES(horizon_days)`,
    [
      showId,
      next.openFrom,
      next.openTo,
      next.nightFrom,
      next.nightTo,
      next.maxHours,
      next.horizonDays,
    ],
  );
  return next;
}
