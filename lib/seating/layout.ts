/**
 * The seat map of one area for one buyer (`GET /api/seat/layout/{areaId}`): the hot read of a
 * seated on-sale, in O(1) Redis work whatever the area's size. The live state comes from one
 * read-slots call (bounded: no key per seat), shared by every request of the next LAYOUT_CACHE_MS
 * in this process (live_cache.ts); the static JSON of every seat is written once per cached
 * area; and the whole reply, for every caller who holds none of its seats, is rendered once per
 * read of the live state. A caller who holds seats gets that rendering with the blocks of their
 * seats rendered again.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { invalid } from "#lib/platform/errors.ts";
import { concat, type JsonChunk, JsonJoin, JsonText } from "#lib/platform/json_text.ts";
import { formatTime, serviceTimeZone } from "#lib/platform/time.ts";
import { type Area, areaWithSeats, type Seat } from "./areas.ts";
import { type Entry, liveEntry } from "./live_cache.ts";
import type { SlotState } from "./slots.ts";

/**
 * An area's seats with each one's live status for the caller, as JSON text (see the route's
 * schema for the shape). status: 0 disabled, 1 available, 2 held or in an unpaid order, 3 sold;
 * lockStatus: 0 free, 1 held, 2 in an order.
 */
export async function getLayout(
  ctx: AppContext,
  areaId: number,
  sessionId: number | undefined,
  callerId: number | undefined,
): Promise<JsonText> {
  const { area, seats } = await areaWithSeats(ctx, areaId);
  if (sessionId !== undefined && sessionId !== area.sessionId) {
    throw invalid("sessionId", `area ${areaId} is not an area of session ${sessionId}`);
  }
  const entry = liveEntry(ctx, area, seats);
  const states = await entry.states;
  const now = Date.now();
  const shared = renderedForAnyone(ctx, entry, area, seats, states, now);
  if (callerId === undefined) return shared.text;
  // A caller who holds seats sees them as theirs: the shared rendering with those seats'
  // blocks rendered again (compressed piece by piece as well: the other blocks are the shared
  // rendering's, compressed once).
  const mine = positionsOf(
    states,
    (st) => st.state === "held" && st.holder === callerId && (st.expireAt ?? 0) > now,
  );
  if (mine.length === 0) return shared.text;
  const base = { rendering: shared.rendering, positions: mine };
  return new JsonText(render(area, seats, states, callerId, now, base).json, true);
}

/**
 * The rendering for callers who hold none of the area's seats, made once per state of the
 * live entry. The same JsonText again while it stays true: the reply's bytes are encoded and
 * compressed once (http/envelope.ts).
 */
function renderedForAnyone(
  ctx: AppContext,
  entry: Entry,
  area: Area,
  seats: Seat[],
  states: SlotState[],
  now: number,
): NonNullable<Entry["rendered"]> {
  if (entry.rendered && entry.rendered.until > now) return entry.rendered;
  // Only the blocks of seats that differ from a rendering made already: this entry's own (its
  // states are these; a hold shown there has lapsed since), or the one of the entry this one
  // patched (its seats at the positions given, or wherever the states differ). Seats of holds
  // that have lapsed since that rendering are free now: rendered again too. Rendering the whole
  // area instead whenever a hold lapsed stalled the event loop 40-100 ms on 10,000 seats.
  const own = entry.rendered?.rendering;
  const before = own ?? entry.patchOf?.entry.rendered?.rendering;
  const base = before
    ? {
      rendering: before,
      positions: [
        ...(own ? [] : entry.patchOf!.positions ?? changes(before.states, states)),
        ...(before.lapsesAt > now ? [] : positionsOf(before.states, (st) => lapsed(st, now))),
      ],
    }
    : undefined;
  entry.patchOf = undefined;
  const { json, rendering } = render(area, seats, states, undefined, now, base);
  entry.rendered = {
    text: new JsonText(json, true),
    // True until the entry is stale or the first hold shown in it lapses.
    until: Math.min(entry.at + ctx.config.layoutCacheMs, rendering.lapsesAt),
    rendering,
  };
  return entry.rendered;
}

/** Seats per block of the reply encoded together: a change re-encodes its block only. */
const BLOCK = 64;
const encoder = new TextEncoder();
const COMMA = encoder.encode(",");
const TAIL = encoder.encode("]}");
/** The end of a free seat's JSON, after its static start. */
const FREE_TAIL = encoder.encode(
  `"status":1,"lockStatus":0,"lockExpireTime":null,"lockedByCurrentUser":false}`,
);

/**
 * A layout rendered: each seat's JSON as UTF-8, in blocks of BLOCK seats to be joined (JsonJoin:
 * the reply and the compressor copy the seats, no joined copy is kept). A rendering based on this
 * one copies only the blocks it changes (no array as long as the area is made per rendering),
 * and a seat changed is encoded alone, not its block again as text (which was most of the
 * layout's cost under a hold storm).
 */
export interface Rendering {
  states: SlotState[];
  /** The seats' JSON, BLOCK seats a block. */
  blocks: JsonJoin[];
  /**
   * When the first hold shown lapses (the seat is free then, and its part changes: a rendering
   * based on this one renders it again).
   */
  lapsesAt: number;
  /** Seats shown available (free, or held past its expiry at `at`). */
  available: number;
  /** The time the rendering was made for. */
  at: number;
}

/** The positions whose state differs. */
function changes(before: SlotState[], now: SlotState[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < now.length; i++) {
    const a = before[i];
    const b = now[i];
    if (a.state !== b.state || a.holder !== b.holder || a.expireAt !== b.expireAt) out.push(i);
  }
  return out;
}

/** The positions of the states that `keep` keeps. */
function positionsOf(states: SlotState[], keep: (st: SlotState) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < states.length; i++) if (keep(states[i])) out.push(i);
  return out;
}

/** A hold whose expiry has passed: the seat is free. */
const lapsed = (st: SlotState, now: number) => st.state === "held" && (st.expireAt ?? 0) <= now;

/**
 * The layout's JSON as UTF-8. With `base` (a rendering of the same seats whose holds have not
 * lapsed since) only the seats at `positions`, and their blocks, are rendered again; the rest
 * is copied as bytes.
 */
function render(
  area: Area,
  seats: Seat[],
  states: SlotState[],
  callerId: number | undefined,
  now: number,
  base?: { rendering: Rendering; positions: number[] },
): { json: JsonChunk[]; rendering: Rendering } {
  const { free, prefixLengths, sellable } = staticParts(area, seats);
  const zone = serviceTimeZone();
  const part = (i: number): Uint8Array => {
    let st = states[i];
    // A hold that lapsed since the state was read is free now.
    if (lapsed(st, now)) st = FREE_STATE;
    if (st.state === "free") return free[i];
    const held = st.state === "held";
    const expire = held && st.expireAt ? `"${timeText(st.expireAt, zone)}"` : "null";
    const mine = held && callerId !== undefined && st.holder === callerId;
    const prefix = free[i].subarray(0, prefixLengths[i]);
    return concat([
      prefix,
      encoder.encode(
        `"status":${STATUS_CODE[st.state]},"lockStatus":${
          LOCK_CODE[st.state]
        },"lockExpireTime":${expire},"lockedByCurrentUser":${mine}}`,
      ),
    ]);
  };
  let blocks: JsonJoin[];
  if (base) {
    blocks = base.rendering.blocks.slice();
    // The seats of each block changed, copied from the base's block before the first change.
    const changed = new Map<number, Uint8Array[]>();
    for (const i of base.positions) {
      const b = Math.floor(i / BLOCK);
      let items = changed.get(b);
      if (!items) changed.set(b, items = blocks[b].items.slice());
      items[i - b * BLOCK] = part(i);
    }
    for (const [b, items] of changed) blocks[b] = new JsonJoin(items);
  } else {
    const count = Math.ceil(seats.length / BLOCK);
    blocks = new Array<JsonJoin>(count);
    for (let b = 0; b < count; b++) {
      const block: Uint8Array[] = [];
      for (let i = b * BLOCK; i < Math.min((b + 1) * BLOCK, seats.length); i++) block.push(part(i));
      blocks[b] = new JsonJoin(block);
    }
  }
  const { available, lapsesAt } = base
    ? countsPatched(base.rendering, states, base.positions, now)
    : countsOf(states, now);
  const head = encoder.encode(
    `{"areaId":${area.id},"areaName":${JSON.stringify(area.name)},"sessionId":${area.sessionId},` +
      `"totalRows":${area.rows},"totalCols":${area.cols},` +
      `"totalSeats":${sellable},"availableSeats":${available},"seats":[`,
  );
  const json: JsonChunk[] = [head];
  for (let b = 0; b < blocks.length; b++) {
    if (b > 0) json.push(COMMA);
    json.push(blocks[b]);
  }
  json.push(TAIL);
  return { json, rendering: { states, blocks, lapsesAt, available, at: now } };
}

/** Is the seat shown available at `now`: free, or held past its expiry. */
const shownAvailable = (st: SlotState, now: number) => st.state === "free" || lapsed(st, now);

/** When the hold the seat shows lapses; Infinity when it shows none. */
const lapseOf = (st: SlotState, now: number) =>
  st.state === "held" && (st.expireAt ?? 0) > now ? st.expireAt! : Infinity;

/** The seats shown available, and when the first hold shown lapses: one pass over the area. */
function countsOf(states: SlotState[], now: number): { available: number; lapsesAt: number } {
  let available = 0;
  let lapsesAt = Infinity;
  for (const st of states) {
    if (shownAvailable(st, now)) available++;
    else lapsesAt = Math.min(lapsesAt, lapseOf(st, now));
  }
  return { available, lapsesAt };
}

/**
 * countsOf for states that differ from `before`'s at `positions` only (seats whose hold lapsed
 * since `before` among them), from `before`'s counts: a hold storm re-renders a few seats at a
 * time, and a pass over a 10,000-seat area for each rendering was the largest cost of the layout
 * in bench mixed. The lapse time carried over may be earlier than the true one (its seat was
 * released since); once it has passed, the area is counted again, which finds the next one.
 */
function countsPatched(
  before: Rendering,
  states: SlotState[],
  positions: readonly number[],
  now: number,
): { available: number; lapsesAt: number } {
  if (before.lapsesAt <= now) return countsOf(states, now);
  let available = before.available;
  let lapsesAt = before.lapsesAt;
  const seen = new Set<number>();
  for (const i of positions) {
    if (seen.has(i)) continue;
    seen.add(i);
    const st = states[i];
    available += Number(shownAvailable(st, now)) -
      Number(shownAvailable(before.states[i], before.at));
    lapsesAt = Math.min(lapsesAt, lapseOf(st, now));
  }
  return { available, lapsesAt };
}

// A hold's expiry is shown in every rendering until it lapses: formatted once.
const times = new Map<number, string>();
let timesZone = "";
function timeText(ms: number, zone: string): string {
  // Bounded, and large enough for every hold of a large area (each has its own expiry).
  if (zone !== timesZone || times.size >= 50_000) {
    times.clear();
    timesZone = zone;
  }
  let text = times.get(ms);
  if (text === undefined) {
    text = formatTime(new Date(ms), zone)!;
    times.set(ms, text);
  }
  return text;
}

const FREE_STATE: SlotState = { state: "free", holder: null, expireAt: null };
const STATUS_CODE = { disabled: 0, free: 1, held: 2, pending: 2, sold: 3 } as const;
const LOCK_CODE = { disabled: 0, free: 0, held: 1, pending: 2, sold: 2 } as const;

// Each seat's JSON when free (as UTF-8, one buffer for the area, each seat a view of it), the
// length of its static start (id to price: the JSON of a seat in any other state starts with the
// same bytes), and how many seats are not disabled, computed once per cached seat list. The static
// starts are not kept as strings as well: built by template literals they stay rope strings, 400
// bytes a seat, 4 MB of heap for a 10,000-seat area (a heap snapshot under bench mixed).
const staticCache = new WeakMap<
  Seat[],
  { free: Uint8Array[]; prefixLengths: Uint32Array; sellable: number }
>();

function staticParts(area: Area, seats: Seat[]) {
  let parts = staticCache.get(seats);
  if (!parts) {
    const prefixLengths = new Uint32Array(seats.length);
    const encoded = seats.map((s, i) => {
      const prefix = encoder.encode(
        `{"id":${s.id},"seatCode":${JSON.stringify(s.seatCode)},"rowNum":${s.rowNum},` +
          `"seatNum":${s.seatNum},"xCoordinate":${s.x},"yCoordinate":${s.y},"price":${area.price},`,
      );
      prefixLengths[i] = prefix.length;
      return [prefix, FREE_TAIL];
    });
    const all = concat(encoded.flat());
    let at = 0;
    const free = encoded.map(([prefix]) => {
      const view = all.subarray(at, at + prefix.length + FREE_TAIL.length);
      at += view.length;
      return view;
    });
    parts = { free, prefixLengths, sellable: seats.filter((s) => !s.disabled).length };
    staticCache.set(seats, parts);
  }
  return parts;
}
