/**
 * The seat map of one area for one buyer (`GET /api/seat/layout/{areaId}`): the hot read of a
 * seated on-sale. The static JSON of every seat is written once per cached area; each request
 * adds only the live fields, from one Redis round trip.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { invalid } from "#lib/platform/errors.ts";
import { JsonText } from "#lib/platform/json_text.ts";
import { formatTime, serviceTimeZone } from "#lib/platform/time.ts";
import { type Area, areaWithSeats, type Seat } from "./areas.ts";
import { readSlots } from "./live_state.ts";

/**
 * An area's seats with each one's live status for the caller, as JSON text (see the route's
 * schema for the shape). A layout is the hot read of a seated on-sale: the static part of every
 * seat is written once per cached area, and each request adds only the live fields, from one
 * Redis round trip. status: 0 disabled, 1 available, 2 held or in an unpaid order, 3 sold;
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
  const states = await readSlots(ctx, area.sessionId, seats.map((s) => String(s.id)));
  const prefixes = seatPrefixes(area, seats);
  const zone = serviceTimeZone();
  let available = 0;
  const parts = new Array<string>(seats.length);
  for (let i = 0; i < seats.length; i++) {
    const st = states[i];
    if (st.state === "free") available++;
    const held = st.state === "held";
    const expire = held && st.expireAt ? `"${formatTime(new Date(st.expireAt), zone)}"` : "null";
    const mine = held && callerId !== undefined && st.holder === callerId;
    parts[i] = `${prefixes[i]}"status":${STATUS_CODE[st.state]},"lockStatus":${
      LOCK_CODE[st.state]
    },"lockExpireTime":${expire},"lockedByCurrentUser":${mine}}`;
  }
  return new JsonText(
    `{"areaId":${area.id},"areaName":${JSON.stringify(area.name)},"sessionId":${area.sessionId},` +
      `"totalRows":${area.rows},"totalCols":${area.cols},` +
      `"totalSeats":${seats.filter((s) => !s.disabled).length},"availableSeats":${available},` +
      `"seats":[${parts.join(",")}]}`,
  );
}

const STATUS_CODE = { disabled: 0, free: 1, held: 2, pending: 2, sold: 3 } as const;
const LOCK_CODE = { disabled: 0, free: 0, held: 1, pending: 2, sold: 2 } as const;

// The static JSON of each seat, computed once per cached seat list.
const prefixCache = new WeakMap<Seat[], string[]>();

function seatPrefixes(area: Area, seats: Seat[]): string[] {
  let prefixes = prefixCache.get(seats);
  if (!prefixes) {
    prefixes = seats.map((s) =>
      `{"id":${s.id},"seatCode":${JSON.stringify(s.seatCode)},"rowNum":${s.rowNum},` +
      `"seatNum":${s.seatNum},"xCoordinate":${s.x},"yCoordinate":${s.y},"price":${area.price},`
    );
    prefixCache.set(seats, prefixes);
  }
  return prefixes;
}
