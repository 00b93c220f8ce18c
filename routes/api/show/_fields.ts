// Fields of a show as an admin sends them (shared by create and update; not a route).
import { z } from "#deps";
import { Flag, text, Time } from "#http/schemas.ts";

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
