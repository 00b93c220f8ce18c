/**
 * A micro-cache of the live state of an area's seats, for the layout (the hot read of a seated
 * on-sale): a flash crowd reloading one seat map costs one read-slots call per area per
 * LAYOUT_CACHE_MS (config, default 200 ms; issue 17 asks at most 250) per process, not one per
 * request. Never staler than that, and not stale at all
 * for this process's own writes, which are told here (lib/sale/slot_writes.ts) with what they
 * may have changed:
 * - a hold, a release of holds, an order of seats: those slots are marked dirty, and the next
 *   reader reads only them again and patches them in (a hold storm on a 10,000-seat area costs
 *   a few slots a read, not the area, and no long script blocking Redis for everyone else);
 * - a release or confirm of a tier's order (which slots is not known here): the areas of that
 *   tier are read again whole; orders and payments of tiers without seats change nothing here;
 * - a rebuild, a best-seats hold: every area of the session is read again.
 * Concurrent misses of one area share one read. A hold that lapses inside the window is shown
 * free (the renderer compares its expiry with the clock).
 */
import type { AppContext } from "#lib/platform/context.ts";
import type { JsonText } from "#lib/platform/json_text.ts";
import { type SlotWrite, slotWriteObservers } from "#lib/sale/slot_writes.ts";
import type { Seat } from "./areas.ts";
import type { Rendering } from "./layout.ts";
import { readSlots } from "./live_state.ts";
import type { SlotState } from "./slots.ts";

/** Entries past which a miss first drops the stale ones. */
const SWEEP_AT = 512;
/** Dirty slots past which an area is read again whole rather than patched. */
const PATCH_MAX = 1000;

export interface Entry {
  /** When the slots not patched since were read (the entry's age). */
  at: number;
  seats: readonly Seat[];
  /** The area's tier: a release or confirm of its orders may change any of its seats. */
  ticketId: number;
  states: Promise<SlotState[]>;
  /** Seat slots of the area written here since `states` was read: the next reader patches. */
  dirty?: Set<string>;
  /** Written here in a way that needs the whole area read again. */
  stale?: boolean;
  /**
   * A rendering for callers who hold none of these seats, until when it stays true, and its
   * parts (a patch of this entry renders only its patched seats again).
   */
  rendered?: { text: JsonText; until: number; rendering: Rendering };
  /**
   * A rendered entry this one differs from in a few seats, for its renderer to start from: at
   * the seat positions given, or (none given: a whole new read) wherever their states differ.
   * Dropped once this entry is rendered, so that no chain of old entries stays alive.
   */
  patchOf?: { entry: Entry; positions?: number[] };
}

/** Entry key (`<prefix>|<sessionId>#<areaId>`) → entry. */
const entries = new Map<string, Entry>();
/** `<prefix>|<sessionId>` → the entries of that session's areas. */
const bySession = new Map<string, Set<Entry>>();

const sessionKey = (prefix: string, sessionId: number) => `${prefix}|${sessionId}`;

slotWriteObservers.add((prefix: string, sessionId: number, write: SlotWrite) => {
  const areas = bySession.get(sessionKey(prefix, sessionId));
  if (!areas) return;
  for (const entry of areas) {
    if ("session" in write) entry.stale = true;
    else if ("ticketId" in write) {
      if (entry.ticketId === write.ticketId) entry.stale = true;
    } else {
      const index = seatIndex(entry.seats);
      for (const slot of write.slots) {
        if (index.has(slot)) (entry.dirty ??= new Set()).add(slot);
      }
    }
  }
});

/** A cached entry of the area's live state, fresh (read again, or patched, when not). */
export function liveEntry(
  ctx: AppContext,
  area: { id: number; sessionId: number; ticketId: number },
  seats: readonly Seat[],
): Entry {
  const session = sessionKey(ctx.keys.prefix, area.sessionId);
  const key = `${session}#${area.id}`;
  const now = Date.now();
  const hit = entries.get(key);
  const ttl = ctx.config.layoutCacheMs;
  if (hit && !hit.stale && hit.seats === seats && now - hit.at <= ttl) {
    if (!hit.dirty) return hit;
    if (hit.dirty.size <= PATCH_MAX) {
      const slots = [...hit.dirty];
      const index = seatIndex(seats);
      const positions = slots.map((slot) => index.get(slot)!);
      return store(key, session, hit, {
        at: hit.at,
        seats,
        ticketId: area.ticketId,
        states: patched(hit.states, readSlots(ctx, area.sessionId, slots), slots, index),
        patchOf: hit.rendered
          ? { entry: hit, positions }
          : hit.patchOf?.positions
          ? { entry: hit.patchOf.entry, positions: [...hit.patchOf.positions, ...positions] }
          : hit.patchOf,
      });
    }
  }
  if (!hit && entries.size >= SWEEP_AT) sweep(now, ttl);
  const rendered = hit?.seats === seats ? (hit.rendered ? hit : hit.patchOf?.entry) : undefined;
  return store(key, session, hit, {
    at: now,
    seats,
    ticketId: area.ticketId,
    states: readSlots(ctx, area.sessionId, seats.map((s) => String(s.id))),
    patchOf: rendered && { entry: rendered },
  });
}

function store(key: string, session: string, old: Entry | undefined, entry: Entry): Entry {
  let areas = bySession.get(session);
  if (!areas) bySession.set(session, areas = new Set());
  if (old) areas.delete(old);
  areas.add(entry);
  entries.set(key, entry);
  entry.states.catch(() => {
    if (entries.get(key) !== entry) return;
    entries.delete(key);
    areas.delete(entry);
  });
  return entry;
}

async function patched(
  base: Promise<SlotState[]>,
  fresh: Promise<SlotState[]>,
  slots: string[],
  index: Map<string, number>,
): Promise<SlotState[]> {
  const [before, now] = await Promise.all([base, fresh]);
  const out = before.slice();
  for (let i = 0; i < slots.length; i++) out[index.get(slots[i])!] = now[i];
  return out;
}

/** Seat id (as a slot) → position in the area's seat list, once per seat list. */
const indexes = new WeakMap<readonly Seat[], Map<string, number>>();
function seatIndex(seats: readonly Seat[]): Map<string, number> {
  let index = indexes.get(seats);
  if (!index) {
    index = new Map(seats.map((s, i) => [String(s.id), i]));
    indexes.set(seats, index);
  }
  return index;
}

function sweep(now: number, ttl: number): void {
  for (const [key, entry] of entries) {
    if (now - entry.at <= ttl) continue;
    entries.delete(key);
    const session = key.slice(0, key.lastIndexOf("#"));
    const areas = bySession.get(session);
    areas?.delete(entry);
    if (areas?.size === 0) bySession.delete(session);
  }
}
