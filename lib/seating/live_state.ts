/**
 * The live state of slots in Redis, read by read-slots.lua: the session's claims hash (slot →
 * order), its disabled seats set, and its holds (one key per hold with a TTL, so an abandoned
 * hold lapses by itself, found through the session's hold index). What each state means is
 * lua/includes/slots.lua's to say. One round trip per READ_CHUNK slots: a layout or an
 * availability (capped at AVAILABILITY_MAX_SLOTS) is one.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { readSlotsScript } from "#lib/sale/calls.ts";
import { NOT_BUILT } from "#lib/sale/replies.ts";
import { withBuiltSession } from "#lib/sale/session_rebuild.ts";
import { decodeSlotStates, type SlotState } from "./slots.ts";

/**
 * The state of many slots of a session in one Redis round trip: calls of READ_CHUNK slots each,
 * sent together (each is atomic; together they are not a snapshot, which no reader needs). A
 * session Redis lost is rebuilt from MySQL first, unless `rebuild` is false: then null says it is
 * not built.
 */
export async function readSlots(
  ctx: AppContext,
  sessionId: number,
  slots: string[],
): Promise<SlotState[]>;
export async function readSlots(
  ctx: AppContext,
  sessionId: number,
  slots: string[],
  options: { rebuild: false },
): Promise<SlotState[] | null>;
export async function readSlots(
  ctx: AppContext,
  sessionId: number,
  slots: string[],
  options: { rebuild: boolean } = { rebuild: true },
): Promise<SlotState[] | null> {
  const chunks: string[][] = [];
  for (let at = 0; at < slots.length || at === 0; at += READ_CHUNK) {
    chunks.push(slots.length <= READ_CHUNK ? slots : slots.slice(at, at + READ_CHUNK));
  }
  const replies = await Promise.all(chunks.map((chunk) => {
    const read = () => readSlotsScript(ctx, sessionId, chunk);
    return options.rebuild ? withBuiltSession(ctx, sessionId, read) : read();
  }));
  if (replies.some((reply) => reply === NOT_BUILT)) return null;
  if (chunks.length === 1) return decodeSlotStates(replies[0] as (string | number)[], slots.length);
  const out: SlotState[] = [];
  replies.forEach((reply, i) => {
    for (const s of decodeSlotStates(reply as (string | number)[], chunks[i].length)) out.push(s);
  });
  return out;
}

/**
 * Slots read in one script call: a bounded command, and a bounded time inside Redis (a call of a
 * thousand mostly held seats takes about a millisecond there; one of ten thousand held Redis, and
 * every buyer behind it, for up to 37 ms in bench mixed).
 */
export const READ_CHUNK = 1_000;
