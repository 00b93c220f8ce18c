/**
 * The settings of waiting rooms (table `queue_rooms`, one row per session that ever had one),
 * and this process's view of which rooms are on.
 *
 * The hot paths (seat holds, order creates) ask "is this session's room on?" on every request,
 * so the answer comes from memory: the enabled rooms are read from MySQL at most once a second
 * per process, in the background while requests keep using the previous answer. Staleness bound:
 * a change made through another instance is seen here within 2 s (an answer older than that is
 * never used: the request waits for a fresh read); a change made through this instance at once.
 * When MySQL cannot answer, the last answer is kept (rooms rarely change mid-sale); with no
 * answer at all the request gets 503.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { notFound, unavailable } from "#lib/platform/errors.ts";
import { errorFields } from "#lib/platform/log.ts";

export interface RoomSettings {
  sessionId: number;
  enabled: boolean;
  /** Before it, joiners are ordered at random at the opening; null: open already. */
  opensAt: Date | null;
  admitPerSecond: number;
  passSeconds: number;
}

export const DEFAULT_PASS_SECONDS = 600;

/** Answers younger than this are used as they are. */
const REFRESH_MS = 1000;
/** Answers older than this are never used while MySQL answers. */
const MAX_STALE_MS = 2000;

interface RoomRow {
  session_id: number;
  enabled: number;
  opens_at: Date | null;
  admit_per_second: number;
  pass_seconds: number;
}

const toSettings = (r: RoomRow): RoomSettings => ({
  sessionId: Number(r.session_id),
  enabled: Boolean(r.enabled),
  opensAt: r.opens_at,
  admitPerSecond: r.admit_per_second,
  passSeconds: r.pass_seconds,
});

/** Turns a session's room on or off, or changes it (admin). 404 for an unknown session. */
export async function putRoom(
  ctx: AppContext,
  sessionId: number,
  input: { enabled: boolean; opensAt?: Date | null; admitPerSecond: number; passSeconds?: number },
): Promise<RoomSettings> {
  await assertSession(ctx, sessionId);
  const settings: RoomSettings = {
    sessionId,
    enabled: input.enabled,
    opensAt: input.opensAt ?? null,
    admitPerSecond: input.admitPerSecond,
    passSeconds: input.passSeconds ?? DEFAULT_PASS_SECONDS,
  };
  await ctx.db.exec(
    `INSERT INTO queue_rooms (session_id, enabled, opens_at, admit_per_second, pass_seconds)
     VALUES (?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE enabled = VALUES(enabled), opens_at = VALUES(opens_at),
       admit_per_second = VALUES(admit_per_second), pass_seconds = VALUES(pass_seconds)`,
    [
      sessionId,
      settings.enabled,
      settings.opensAt,
      settings.admitPerSecond,
      settings.passSeconds,
    ],
  );
  // This instance sees the change at once; a read that started before the write is discarded.
  const view = views.get(ctx);
  if (view) {
    view.generation++;
    if (view.rooms) {
      const rooms = new Map(view.rooms);
      if (settings.enabled) rooms.set(sessionId, settings);
      else rooms.delete(sessionId);
      view.rooms = rooms;
    }
  }
  return settings;
}

/** A session's room as stored (null: never configured); 404 for an unknown session. */
export async function readRoom(ctx: AppContext, sessionId: number): Promise<RoomSettings | null> {
  await assertSession(ctx, sessionId);
  const [row] = await ctx.db.rows<RoomRow>(
    "SELECT * FROM queue_rooms WHERE session_id = ?",
    [sessionId],
  );
  return row ? toSettings(row) : null;
}

export async function assertSession(ctx: AppContext, sessionId: number): Promise<void> {
  const [row] = await ctx.db.read.rows<{ id: number }>(
    "SELECT id FROM sessions WHERE id = ? AND deleted_at IS NULL",
    [sessionId],
  );
  if (!row) throw notFound(`session ${sessionId}`);
}

// ------------------------------------------------------------------ the enabled rooms, cached

interface View {
  rooms?: ReadonlyMap<number, RoomSettings>;
  /** When the read that produced `rooms` started (ms). */
  loadedAt: number;
  pending?: Promise<void>;
  /** Bumped by every change made here: a read started before it is out of date. */
  generation: number;
  warnedAt: number;
}

const views = new WeakMap<AppContext, View>();

/** The room of a session if it is on (as this process last read it), else undefined. */
export async function enabledRoom(
  ctx: AppContext,
  sessionId: number,
): Promise<RoomSettings | undefined> {
  return (await enabledRooms(ctx)).get(sessionId);
}

/** Every room that is on, by session id. Usually answered from memory (see the top). */
export async function enabledRooms(ctx: AppContext): Promise<ReadonlyMap<number, RoomSettings>> {
  let view = views.get(ctx);
  if (!view) views.set(ctx, view = { loadedAt: 0, generation: 0, warnedAt: 0 });
  const age = Date.now() - view.loadedAt;
  if (view.rooms && age < REFRESH_MS) return view.rooms;
  const refresh = view.pending ??= reload(ctx, view);
  if (view.rooms && age < MAX_STALE_MS) return view.rooms;
  await refresh;
  if (view.rooms) return view.rooms;
  throw unavailable("the waiting room settings");
}

function reload(ctx: AppContext, view: View): Promise<void> {
  const started = Date.now();
  const generation = view.generation;
  return ctx.db.rows<RoomRow>("SELECT * FROM queue_rooms WHERE enabled = 1")
    .then((rows) => {
      const current = generation === view.generation;
      if (!current && view.rooms) return;
      view.rooms = new Map(rows.map((r) => [Number(r.session_id), toSettings(r)]));
      view.loadedAt = current ? started : 0;
    })
    .catch((e) => {
      // Keep the last answer; say so at most every 10 s.
      if (Date.now() - view.warnedAt > 10_000) {
        view.warnedAt = Date.now();
        ctx.log.warn("waiting rooms: cannot refresh the enabled rooms", errorFields(e));
      }
    })
    .finally(() => view.pending = undefined);
}
