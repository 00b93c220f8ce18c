/**
 * Slots, the unit the seat scripts work on, as values: a slot is a seat id ("12"), or a
 * seat-hour "seatId@epochMinute" of the hour's start for bookings by the hour. Pure: encoding,
 * and decoding read-slots.lua's reply. Which slot is taken is decided in Lua only
 * (lua/includes/slots.lua); the refusal naming slots in the way is lib/sale/replies.ts's
 * seatUnavailable.
 *
 * ```ts
 * slotOf(12, Date.UTC(2026, 0, 1, 20)); // "12@29454960"
 * parseSlot("12@29454960"); // { seatId: 12, hourStart: 1767297600000 }
 * ```
 */
/** The live state of one slot as read-slots.lua reports it. */
export interface SlotState {
  state: "disabled" | "sold" | "pending" | "held" | "free";
  holder: number | null;
  expireAt: number | null;
}

export const FREE: SlotState = Object.freeze({ state: "free", holder: null, expireAt: null });

/** The slot of a seat, or of one hour of a seat (`hourStart` in ms since the epoch). */
export function slotOf(seatId: number, hourStart?: number): string {
  return hourStart === undefined ? String(seatId) : `${seatId}@${hourStart / 60_000}`;
}

/** A slot's seat and (for a seat-hour) the hour's start in ms; null when it is not a slot. */
export function parseSlot(slot: string): { seatId: number; hourStart: number | null } | null {
  const m = /^(\d+)(?:@(\d+))?$/.exec(slot);
  if (!m) return null;
  return { seatId: Number(m[1]), hourStart: m[2] === undefined ? null : Number(m[2]) * 60_000 };
}

const STATE_NAMES: Record<string, SlotState["state"]> = {
  d: "disabled",
  s: "sold",
  p: "pending",
  h: "held",
  f: "free",
};

/**
 * Unpacks read-slots.lua's reply `{1, "index,state,holder,expire;..."}` for `count` slots: only
 * the slots that are not free are listed, by their position (from 1).
 */
export function decodeSlotStates(reply: (string | number)[], count: number): SlotState[] {
  const out = new Array<SlotState>(count).fill(FREE);
  const packed = String(reply[1] ?? "");
  if (packed === "") return out;
  for (const entry of packed.split(";")) {
    const [index, state, holder, expire] = entry.split(",");
    out[Number(index) - 1] = {
      state: STATE_NAMES[state] ?? "free",
      holder: holder ? Number(holder) : null,
      expireAt: expire ? Number(expire) : null,
    };
  }
  return out;
}

/**
 * Why a hold key is stray, or null when it is not: it lost its TTL (it would never lapse), or
 * its slot is in an order (`claim`, "orderNo|p" or "orderNo|s") or its seat is disabled, where a
 * hold blocks nothing useful and only misleads a reader. The one rule of the hold sweep and of
 * reconcile.
 */
export function strayHoldReason(
  ttlMs: number,
  slot: { claim: string | null; disabled: boolean },
): string | null {
  if (ttlMs === -1) return "no expiry";
  if (slot.claim) return `slot in order ${slot.claim}`;
  if (slot.disabled) return "seat disabled";
  return null;
}
