/**
 * A micro-cache of the live state of an area's seats, for the layout (the hot read of a seated
 * on-sale): a flash crowd reloading one seat map costs one read-slots call per area per
 * LIVE_CACHE_MS per process, not one per request. Never staler than that, and not stale at all
 * for this process's own writes: every script run that may write a session's state (a hold, a
 * release, a reserve, a cancel, a rebuild) bumps the session's version here
 * (scriptWriteObservers), and an entry read before the bump is not served after it. Concurrent
 * misses of one area share one read. A hold that lapses inside the window is shown free (the
 * renderer compares its expiry with the clock).
 */
import type { AppContext } from "#lib/platform/context.ts";
import type { JsonText } from "#lib/platform/json_text.ts";
import { scriptWriteObservers } from "#lib/platform/scripts.ts";
import type { Seat } from "./areas.ts";
import { readSlots } from "./live_state.ts";
import type { SlotState } from "./slots.ts";

/** How long a read of the live state is served (issue 17: at most 250 ms). */
export const LIVE_CACHE_MS = 200;
/** Entries past which a miss first drops the stale ones. */
const SWEEP_AT = 512;

interface Entry {
  version: number;
  at: number;
  seats: readonly Seat[];
  states: Promise<SlotState[]>;
  /** A rendering for callers who hold none of these seats, and until when it stays true. */
  rendered?: { text: JsonText; until: number };
}

const versions = new Map<string, number>();
const entries = new Map<string, Entry>();

/** The session a key belongs to: its prefix and hash tag (`bo:{s:42}`), or null. */
export function sessionTag(key: string): string | null {
  const m = /^(.*\{s:\d+\})/.exec(key);
  return m ? m[1] : null;
}

scriptWriteObservers.add((_name, firstKey) => {
  const tag = sessionTag(firstKey);
  if (tag !== null && versions.has(tag)) versions.set(tag, versions.get(tag)! + 1);
});

/** A cached entry of the area's live state, fresh (read again when stale). */
export function liveEntry(
  ctx: AppContext,
  sessionId: number,
  areaId: number,
  seats: readonly Seat[],
): Entry {
  const tag = sessionTag(ctx.keys.sessionReady(sessionId))!;
  const key = `${tag}#${areaId}`;
  const now = Date.now();
  const version = versions.get(tag) ?? 0;
  const hit = entries.get(key);
  if (
    hit && hit.version === version && hit.seats === seats && now - hit.at <= LIVE_CACHE_MS
  ) return hit;
  if (!hit && entries.size >= SWEEP_AT) sweep(now);
  versions.set(tag, version);
  const entry: Entry = {
    version,
    at: now,
    seats,
    states: readSlots(ctx, sessionId, seats.map((s) => String(s.id))),
  };
  entries.set(key, entry);
  entry.states.catch(() => {
    if (entries.get(key) === entry) entries.delete(key);
  });
  return entry;
}

function sweep(now: number): void {
  for (const [key, entry] of entries) {
    if (now - entry.at > LIVE_CACHE_MS) entries.delete(key);
  }
  const live = new Set([...entries.keys()].map((k) => k.slice(0, k.lastIndexOf("#"))));
  for (const tag of versions.keys()) if (!live.has(tag)) versions.delete(tag);
}
