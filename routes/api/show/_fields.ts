// Fields of a show as an admin sends them (shared by create and update; not a route), and the
// note on seat counts of the public reads.
import { z } from "#deps";
import { Flag, text, Time } from "#http/schemas.ts";

/** For the descriptions of the public reads that show seat counts. */
export const COUNTS_MAY_LAG = "Seat counts (totalSeats, soldSeats, remainSeats) may be up to " +
  "CATALOG_CACHE_MS (default 1 s) old: each instance answers the catalog from memory for that " +
  "long; catalog changes made through it show at once.";

export const ShowFields = {
  name: text(1, 200),
  type: z.number().int().min(1).max(6),
  venue: text(1, 200),
  city: text(1, 64),
  startTime: Time,
  endTime: Time,
  description: z.string().max(20_000).nullable().optional(),
  posterUrl: z.string().max(1000).nullable().optional(),
  isHot: Flag.optional(),
  isRecommend: Flag.optional(),
  status: z.number().int().min(0).max(3).optional(),
};
