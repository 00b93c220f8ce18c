/**
 * The price of a booking by the hour, computed by the server whatever the client sends (pure):
 * per seat, its area's day price for every hour, plus the night surcharge (night price − day
 * price) for every hour that starts inside the night window.
 */
import type { Area, Seat } from "./areas.ts";
import type { BookingWindow } from "./hour_windows.ts";

export interface HourlyPrice {
  basePrice: number;
  nightSurcharge: number;
  totalAmount: number;
  /** Per seat: its booking's price. */
  perSeat: { seat: Seat; area: Area; amount: number }[];
}

/** Day price × hours × seats, plus (night − day) × night hours × seats. */
export function priceWindow(
  seats: Seat[],
  areas: Map<number, Area>,
  window: BookingWindow,
): HourlyPrice {
  const nightHours = window.night.filter(Boolean).length;
  let base = 0;
  let surcharge = 0;
  const perSeat = seats.map((seat) => {
    const area = areas.get(seat.areaId)!;
    const day = area.price;
    const night = area.nightPrice ?? area.price;
    const b = day * window.hours;
    const s = (night - day) * nightHours;
    base += b;
    surcharge += s;
    return { seat, area, amount: round(b + s) };
  });
  base = round(base);
  surcharge = round(surcharge);
  return {
    basePrice: base,
    nightSurcharge: surcharge,
    totalAmount: round(base + surcharge),
    perSeat,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
