/**
 * A waiting room at work: buyers join and poll; each poll may run one admission step
 * (lua/queue-step.lua), which admits buyers at the room's rate across all instances and stops
 * when the session has nothing left to sell; an admitted buyer's poll returns their pass.
 *
 * While a room is off, joining and polling answer `admitted` without a pass: nothing is needed.
 * A pass that expired is forgotten: polling then answers 404 and joining again queues the buyer
 * at the back. If Redis loses the room (restart), the buyers' polls answer 404 and they join
 * again; passes already given stay good (they are checked without Redis).
 */
import type { AppContext } from "#lib/platform/context.ts";
import { contextCache } from "#lib/platform/context_cache.ts";
import { notFound } from "#lib/platform/errors.ts";
import { recordQueueStep } from "#lib/platform/metrics.ts";
import { NOT_BUILT } from "#lib/sale/replies.ts";
import { withBuiltSession } from "#lib/sale/session_rebuild.ts";
import { derivePassKey, signPass } from "./pass.ts";
import { assertSession, enabledRoom, readRoom, type RoomSettings } from "./rooms.ts";

export type QueueState = "waiting" | "admitted" | "sold_out";

/** What a buyer is told by join and status. */
export interface QueueView {
  state: QueueState;
  /** 1 = next to be admitted. Absent before the opening, when the order is not drawn yet. */
  position?: number;
  ahead?: number;
  estimatedWaitSeconds?: number;
  pass?: string;
  passExpiresAt?: Date;
}

/** What an admin is told about a room. */
export interface RoomReport {
  sessionId: number;
  enabled: boolean;
  opensAt: Date | null;
  admitPerSecond: number | null;
  passSeconds: number | null;
  waiting: number;
  /** Buyers admitted since the room was first turned on. */
  admitted: number;
  admittedLastMinute: number;
  passesActive: number;
  soldOut: boolean;
  /** Seconds until everyone waiting now is admitted at the room's rate. */
  estimatedDrainSeconds: number | null;
}

/** The room's Redis keys outlive the last activity by this much. */
const KEY_LIFETIME_MS = 7 * 86_400_000;
/** One process runs at most one admission step per room this often; other polls only read. */
const STEP_EVERY_MS = 50;
/**
 * An admitted buyer counts as about to buy for this long: the room admits no more buyers than
 * tickets left minus those admitted in this window (see lua/queue-step.lua).
 */
const BUYING_SECONDS = 10;

// ------------------------------------------------------------------ buyers

export async function joinQueue(
  ctx: AppContext,
  userId: number,
  sessionId: number,
): Promise<QueueView> {
  const room = await enabledRoom(ctx, sessionId);
  if (!room) return await roomOff(ctx, sessionId);
  const k = ctx.keys;
  const draw = crypto.getRandomValues(new Uint32Array(1))[0] / 2 ** 32;
  const [code, detail, soldOut, now] = await ctx.scripts.run<[BuyerState, number, number, number]>(
    "queue-join",
    [k.queueWaiting(sessionId), k.queueAdmitted(sessionId), k.queueState(sessionId)],
    [userId, opensAtMs(room), draw, KEY_LIFETIME_MS],
  );
  // A waiting buyer may be admitted at once when the bucket has tokens: step when it is due.
  if (
    code === BUYER.WAITING && soldOut === 0 && now >= opensAtMs(room) && stepDue(ctx, sessionId)
  ) {
    return await viewOf(ctx, room, userId, await step(ctx, room, String(userId), true));
  }
  return await viewOf(ctx, room, userId, {
    userState: code,
    userDetail: detail,
    soldOut: soldOut === 1,
    now,
  });
}

/** The buyer's state in the room; 404 when they are not in it (never joined, or pass expired). */
export async function queueStatus(
  ctx: AppContext,
  userId: number,
  sessionId: number,
): Promise<QueueView> {
  const room = await enabledRoom(ctx, sessionId);
  if (!room) return await roomOff(ctx, sessionId);
  const result = await step(ctx, room, String(userId), stepDue(ctx, sessionId));
  return await viewOf(ctx, room, userId, result);
}

async function roomOff(ctx: AppContext, sessionId: number): Promise<QueueView> {
  await sessionExists.get(ctx, sessionId, () => assertSession(ctx, sessionId).then(() => true));
  return { state: "admitted" };
}

const sessionExists = contextCache<number, true>(5000);

async function viewOf(
  ctx: AppContext,
  room: RoomSettings,
  userId: number,
  r: Pick<StepResult, "userState" | "userDetail" | "soldOut" | "now">,
): Promise<QueueView> {
  if (r.userState === BUYER.ADMITTED) {
    const pass = await signPass(await passKey(ctx), {
      sessionId: room.sessionId,
      userId,
      expiresAt: r.userDetail,
    });
    return { state: "admitted", pass, passExpiresAt: new Date(r.userDetail) };
  }
  if (r.userState === BUYER.NOT_IN_ROOM) {
    throw notFound(`your place in the waiting room of session ${room.sessionId} (join first)`);
  }
  if (r.soldOut) return { state: "sold_out" };
  const opensAt = opensAtMs(room);
  if (r.now < opensAt) {
    return { state: "waiting", estimatedWaitSeconds: Math.ceil((opensAt - r.now) / 1000) };
  }
  const ahead = r.userDetail;
  return {
    state: "waiting",
    position: ahead + 1,
    ahead,
    estimatedWaitSeconds: Math.ceil((ahead + 1) / room.admitPerSecond),
  };
}

// ------------------------------------------------------------------ admins

export async function roomReport(ctx: AppContext, sessionId: number): Promise<RoomReport> {
  const settings = await readRoom(ctx, sessionId);
  const active = settings?.enabled ? settings : undefined;
  const r = await step(ctx, active ?? idleRoom(sessionId), "", active !== undefined);
  return {
    sessionId,
    enabled: settings?.enabled ?? false,
    opensAt: settings?.opensAt ?? null,
    admitPerSecond: settings?.admitPerSecond ?? null,
    passSeconds: settings?.passSeconds ?? null,
    waiting: r.waiting,
    admitted: r.admittedTotal,
    admittedLastMinute: r.lastMinute,
    passesActive: r.passesActive,
    soldOut: r.soldOut,
    estimatedDrainSeconds: settings ? Math.ceil(r.waiting / settings.admitPerSecond) : null,
  };
}

/** Stand-in settings to read the keys of a room that is off or was never configured. */
const idleRoom = (sessionId: number): RoomSettings => ({
  sessionId,
  enabled: false,
  opensAt: null,
  admitPerSecond: 1,
  passSeconds: 60,
});

// ------------------------------------------------------------------ the admission step

interface StepResult {
  admittedNow: number;
  waiting: number;
  passesActive: number;
  soldOut: boolean;
  admittedTotal: number;
  lastMinute: number;
  /** Redis time, ms */
  now: number;
  /** 0 not in the room, 1 admitted, 2 waiting */
  userState: BuyerState;
  /** pass expiry (ms) when admitted, rank when waiting */
  userDetail: number;
}

/** lua/queue-step.lua's first element. */
const QUEUE_STEP = { DONE: 1, NOT_READY: 0 } as const;

/** Where a buyer stands, as queue-step.lua and queue-join.lua answer it. */
const BUYER = { NOT_IN_ROOM: 0, ADMITTED: 1, WAITING: 2 } as const;
type BuyerState = typeof BUYER[keyof typeof BUYER];

type StepReply = [number, number, number, number, number, number, number, number, number, number];

async function step(
  ctx: AppContext,
  room: RoomSettings,
  user: string,
  admit: boolean,
): Promise<StepResult> {
  const s = room.sessionId;
  const k = ctx.keys;
  const result = await withBuiltSession(ctx, s, async () => {
    const tiers = await tiersOf(ctx, s);
    const reply = await ctx.scripts.run<StepReply>(
      "queue-step",
      [
        k.queueWaiting(s),
        k.queueAdmitted(s),
        k.queueState(s),
        k.queueAdmits(s),
        k.sessionReady(s),
        ...tiers.map((t) => k.tier(s, t)),
      ],
      [
        room.admitPerSecond,
        opensAtMs(room),
        room.passSeconds * 1000,
        user,
        admit ? 1 : 0,
        KEY_LIFETIME_MS,
        BUYING_SECONDS,
      ],
    );
    if (reply[0] === QUEUE_STEP.NOT_READY) {
      // Nothing was admitted on a stock the script could not see; the tiers may have changed too.
      tierCache.forget(ctx, s);
      return NOT_BUILT;
    }
    return {
      admittedNow: reply[1],
      waiting: reply[2],
      passesActive: reply[3],
      soldOut: reply[4] === 1,
      admittedTotal: reply[5],
      lastMinute: reply[6],
      now: reply[7],
      userState: reply[8] as BuyerState,
      userDetail: reply[9],
    } satisfies StepResult;
  });
  if (admit) recordQueueStep(s, { ...result, admitted: result.admittedNow });
  return result;
}

const lastStep = new WeakMap<AppContext, Map<number, number>>();

/** True when this process has not stepped this room for STEP_EVERY_MS (and claims the step). */
function stepDue(ctx: AppContext, sessionId: number): boolean {
  let steps = lastStep.get(ctx);
  if (!steps) lastStep.set(ctx, steps = new Map());
  const now = Date.now();
  if (now - (steps.get(sessionId) ?? 0) < STEP_EVERY_MS) return false;
  steps.set(sessionId, now);
  return true;
}

const tierCache = contextCache<number, number[]>(2000);

/** The tiers of a session, whose stock decides whether anything is left to sell. */
function tiersOf(ctx: AppContext, sessionId: number): Promise<number[]> {
  return tierCache.get(ctx, sessionId, async () => {
    const rows = await ctx.db.read.rows<{ id: number }>(
      "SELECT id FROM tickets WHERE session_id = ? AND deleted_at IS NULL ORDER BY id",
      [sessionId],
    );
    return rows.map((r) => Number(r.id));
  });
}

const opensAtMs = (room: RoomSettings) => room.opensAt?.getTime() ?? 0;

// ------------------------------------------------------------------ the pass key

const passKeys = new WeakMap<AppContext, Promise<CryptoKey>>();

/** This service's pass key (derived once per context from the JWT secret). */
export function passKey(ctx: AppContext): Promise<CryptoKey> {
  let key = passKeys.get(ctx);
  if (!key) passKeys.set(ctx, key = derivePassKey(ctx.jwtKey));
  return key;
}
