/**
 * Planning a create: the request validated and turned into what the order reserves and costs,
 * before anything is written. Three kinds: general admission (a quantity of a tier), seated (the
 * seats named), hourly (seats for a window of hours, priced hour by hour).
 */
import type { AppContext } from "#lib/platform/context.ts";
import { invalid } from "#lib/platform/errors.ts";
import { planWindow } from "#lib/seating/hourly.ts";
import { priceWindow } from "#lib/seating/hourly_pricing.ts";
import { refuseDisabled, resolveSeats, type Seat } from "#lib/seating/areas.ts";
import { assertOnSale, getTierFacts, type TierFacts } from "#lib/catalog/tier_facts.ts";
import { totalOf } from "./pricing.ts";

export interface CreateOrderInput {
  showId?: number;
  sessionId?: number;
  ticketId?: number;
  quantity?: number;
  /** Seats of a seated tier (or the reference client's single `seatId`). */
  seatIds?: number[];
  seatId?: number;
  /** Hourly bookings: the window's start, and its length or end. */
  bookingDate?: Date;
  bookingDuration?: number;
  bookingEndTime?: Date;
  contactPhone?: string;
  remark?: string;
  /** The request's Idempotency-Key header. */
  idempotencyKey?: string;
}

/** What an order reserves and costs, decided before anything is written. */
export interface OrderPlan {
  facts: TierFacts;
  quantity: number;
  /** Tickets taken from the tier's stock (0 for an hourly booking: it books seat-hours). */
  stockQuantity: number;
  hourly?: {
    start: Date;
    end: Date;
    hours: number;
    basePrice: number;
    nightSurcharge: number;
    seats: Seat[];
  };
  /** Seat ids or seat-hours claimed in Redis. */
  slots: string[];
  items: { seatId: number | null; seatInfo: string | null; price: number; quantity: number }[];
  totalAmount: number;
}

/** Validates a create and plans it (400, 404 or 409 NOT_ON_SALE before anything is written). */
export async function planOrder(ctx: AppContext, input: CreateOrderInput): Promise<OrderPlan> {
  const seated = input.seatIds !== undefined || input.seatId !== undefined;
  return seated ? await planSeated(ctx, input) : await planGeneralAdmission(ctx, input);
}

/**
 * Seats named by the buyer: they may be held by the buyer or free (free ones are held and
 * reserved in the same atomic step); the session and tier are the seats' own.
 */
async function planSeated(ctx: AppContext, input: CreateOrderInput): Promise<OrderPlan> {
  if (input.seatIds !== undefined && input.seatId !== undefined) {
    throw invalid("seatIds", "send seatIds or seatId, not both");
  }
  const single = input.seatIds === undefined;
  const seatIds = input.seatIds ?? [input.seatId!];
  const { seats, areas } = await resolveSeats(ctx, seatIds, input.sessionId);
  if ([...areas.values()].some((a) => a.hourly)) {
    if (input.bookingDate === undefined) {
      throw invalid("bookingDate", "required: these seats are booked by the hour");
    }
    return await planHourly(ctx, input, seatIds);
  }
  // Not booked by the hour: bookingDate, bookingEndTime and bookingDuration are ignored, as the
  // reference web client sends them with every seat order (like the prices it sends).
  const tiers = new Set(seats.map((s) => s.ticketId));
  if (tiers.size > 1) throw invalid("seatIds", "the seats belong to different tiers");
  const ticketId = seats[0].ticketId;
  if (input.ticketId !== undefined && input.ticketId !== ticketId) {
    throw invalid("ticketId", `the seats are seats of ticket ${ticketId}`);
  }
  // The reference client sends one seatId with a larger quantity: the quantity is the seats'.
  if (!single && input.quantity !== undefined && input.quantity !== seats.length) {
    throw invalid("quantity", `${seats.length} seats are named`);
  }
  const facts = await getTierFacts(ctx, ticketId);
  checkBelongs(facts, input);
  if (seats.length > facts.limitCount) {
    throw invalid("seatIds", `at most ${facts.limitCount} seats per buyer for this tier`);
  }
  refuseDisabled(seats);
  assertOnSale(facts, ctx.now());
  const items = seats.map((seat) => {
    const area = areas.get(seat.areaId)!;
    return {
      seatId: seat.id,
      seatInfo: `${area.name} ${seat.seatCode}`,
      price: area.price,
      quantity: 1,
    };
  });
  return {
    facts,
    quantity: seats.length,
    stockQuantity: seats.length,
    slots: seats.map((s) => String(s.id)),
    items,
    totalAmount: totalOf(items),
  };
}

async function planGeneralAdmission(ctx: AppContext, input: CreateOrderInput): Promise<OrderPlan> {
  if (input.ticketId === undefined) throw invalid("ticketId", "required");
  if (input.quantity === undefined) throw invalid("quantity", "required");
  const facts = await getTierFacts(ctx, input.ticketId);
  checkBelongs(facts, input);
  if (facts.seated) throw invalid("seatIds", `tier ${facts.ticketId} is seated: name the seats`);
  if (input.quantity > facts.limitCount) {
    throw invalid("quantity", `at most ${facts.limitCount} per buyer for this tier`);
  }
  assertOnSale(facts, ctx.now());
  const items = [{ seatId: null, seatInfo: null, price: facts.price, quantity: input.quantity }];
  return {
    facts,
    quantity: input.quantity,
    stockQuantity: input.quantity,
    slots: [],
    items,
    totalAmount: totalOf(items),
  };
}

/**
 * An hourly booking: the seats for [bookingDate, + bookingDuration hours) (or up to
 * bookingEndTime), priced hour by hour on the server; ticketId and quantity are ignored.
 */
async function planHourly(
  ctx: AppContext,
  input: CreateOrderInput,
  seatIds: number[],
): Promise<OrderPlan> {
  const plan = await planWindow(ctx, {
    sessionId: input.sessionId,
    seatIds,
    start: input.bookingDate!,
    hours: input.bookingDuration,
    end: input.bookingEndTime,
  }, { start: "bookingDate", hours: "bookingDuration", end: "bookingEndTime" });
  if (input.showId !== undefined && input.showId !== plan.showId) {
    throw invalid("seatIds", `the seats are not seats of show ${input.showId}`);
  }
  const facts = await getTierFacts(ctx, plan.seats[0].ticketId);
  assertOnSale(facts, ctx.now());
  const price = priceWindow(plan.seats, plan.areas, plan.window);
  return {
    facts: { ...facts, price: plan.areas.get(plan.seats[0].areaId)!.price },
    quantity: plan.seats.length,
    stockQuantity: 0,
    slots: plan.slots,
    items: price.perSeat.map(({ seat, area, amount }) => ({
      seatId: seat.id,
      seatInfo: `${area.name} ${seat.seatCode}`,
      price: amount,
      quantity: 1,
    })),
    totalAmount: price.totalAmount,
    hourly: {
      start: plan.window.start,
      end: plan.window.end,
      hours: plan.window.hours,
      basePrice: price.basePrice,
      nightSurcharge: price.nightSurcharge,
      seats: plan.seats,
    },
  };
}

/** A showId or sessionId sent with the ticket must be the ticket's own. */
export function checkBelongs(facts: TierFacts, input: { showId?: number; sessionId?: number }) {
  if (input.sessionId !== undefined && input.sessionId !== facts.sessionId) {
    throw invalid(
      "ticketId",
      `ticket ${facts.ticketId} is not a tier of session ${input.sessionId}`,
    );
  }
  if (input.showId !== undefined && input.showId !== facts.showId) {
    throw invalid("ticketId", `ticket ${facts.ticketId} is not a tier of show ${input.showId}`);
  }
}
