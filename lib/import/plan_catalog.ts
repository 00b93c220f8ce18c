/** planImport's shows and sessions. */
import type { PlannedSession, PlannedShow } from "./plan.ts";
import { groupBy, type PlanContext } from "./plan_context.ts";
import type { SourceSession, SourceShow } from "./source_rows.ts";

export function planShows(ctx: PlanContext): PlannedShow[] {
  const sessionsOfShow = groupBy(ctx.data.sessions, (se) => se.showId);
  const out: PlannedShow[] = [];
  for (const sh of ctx.data.shows) {
    const s = ctx.src("t_show", sh.id);
    const kind = showKindRefusal(sh);
    if (kind) {
      ctx.refuse("show", s, kind);
      continue;
    }
    const times = showTimes(ctx, sh, sessionsOfShow.get(sh.id) ?? []);
    const why = showRefusal(sh, times);
    if (why) {
      ctx.refuse("show", s, why);
      continue;
    }
    out.push({
      key: ctx.key("t_show", sh.id),
      name: sh.name.trim().slice(0, 200),
      type: sh.type,
      venue: (sh.venue ?? "").slice(0, 200),
      city: (sh.city ?? "").slice(0, 64),
      description: sh.description,
      posterUrl: sh.posterUrl?.slice(0, 1000) ?? null,
      start: times.start!,
      end: times.end!,
      status: sh.status,
      isHot: sh.isHot,
      isRecommend: sh.isRecommend,
      deletedAt: sh.deleted ? ctx.at(sh.updateTime) ?? ctx.now : null,
    });
  }
  return out;
}

/** A show's own times; where it has none, the span of its sessions' times. */
function showTimes(
  ctx: PlanContext,
  sh: SourceShow,
  sessions: SourceSession[],
): { start: Date | null; end: Date | null } {
  const sessionTimes = sessions.flatMap((se) =>
    [ctx.at(se.startTime), ctx.at(se.endTime)].filter((d): d is Date => d !== null)
  );
  const start = ctx.at(sh.startTime) ??
    (sessionTimes.length ? new Date(Math.min(...sessionTimes.map(Number))) : null);
  const end = ctx.at(sh.endTime) ??
    (sessionTimes.length ? new Date(Math.max(...sessionTimes.map(Number))) : start);
  return { start, end };
}

/** Why a source show's type or status has no boxoffice counterpart, or null. */
export function showKindRefusal(sh: Pick<SourceShow, "type" | "status">): string | null {
  if (!Number.isInteger(sh.type) || sh.type < 1 || sh.type > 6) {
    return `type ${sh.type} is not a boxoffice show type (1-6)`;
  }
  if (!Number.isInteger(sh.status) || sh.status < 0 || sh.status > 3) {
    return `status ${sh.status} is not 0-3`;
  }
  return null;
}

/** Why a source show with a valid type and status cannot be a boxoffice show, or null. */
export function showRefusal(
  sh: Pick<SourceShow, "name">,
  times: { start: Date | null; end: Date | null },
): string | null {
  if (!times.start || !times.end) return "no start time (neither the show's nor a session's)";
  if (times.end < times.start) return "ends before it starts";
  if (sh.name.trim() === "") return "no name";
  return null;
}

export function planSessions(ctx: PlanContext, shows: PlannedShow[]): PlannedSession[] {
  const showByKey = new Map<string, PlannedShow>();
  for (const sh of shows) if (!showByKey.has(sh.key)) showByKey.set(sh.key, sh);
  const sourceShowById = new Map(ctx.data.shows.map((s) => [s.id, s]));
  const out: PlannedSession[] = [];
  for (const se of ctx.data.sessions) {
    const s = ctx.src("t_show_session", se.id);
    const showKey = ctx.key("t_show", se.showId);
    const show = showByKey.get(showKey);
    if (!show) {
      ctx.refuse("session", s, `its show ${se.showId} is not imported`);
      continue;
    }
    const start = ctx.at(se.startTime) ?? show.start;
    const end = ctx.at(se.endTime) ?? (show.end >= start ? show.end : start);
    if (end < start) {
      ctx.refuse("session", s, "ends before it starts");
      continue;
    }
    if (!Number.isInteger(se.status) || se.status < 0 || se.status > 3) {
      ctx.refuse("session", s, `status ${se.status} is not 0-3`);
      continue;
    }
    const created = ctx.at(se.createTime);
    const deleted = se.deleted || sourceShowById.get(se.showId)?.deleted;
    out.push({
      key: ctx.key("t_show_session", se.id),
      showKey,
      name: (se.name ?? show.name).slice(0, 200),
      start,
      end,
      // The reference has no sale window: on sale from its creation until the start.
      saleStart: created && created < start ? created : start,
      saleEnd: start,
      status: se.status,
      deletedAt: deleted ? ctx.at(se.updateTime) ?? ctx.now : null,
    });
  }
  return out;
}
