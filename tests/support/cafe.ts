/**
 * An hourly venue (an internet café) for tests: a show of type 6 on sale from yesterday for a
 * month, one tier and one area of 2×5 seats with a day and a night price, made through the admin
 * API. Times are the venue's wall clock in ZONE.
 */
import assert from "node:assert/strict";
import { wallClock } from "#lib/platform/time.ts";
import type { TestEnv } from "./env.ts";

export const ZONE = "Asia/Shanghai";
export const HOUR = 3_600_000;

/** "YYYY-MM-DD" of the venue's wall clock, `days` from today. */
export function day(days: number): string {
  return wallClock(new Date(Date.now() + days * 86_400_000), ZONE).date;
}

export interface Cafe {
  showId: number;
  sessionId: number;
  areaId: number;
  seatIds: number[];
  adminToken: string;
}

/** Posts to the admin API and returns the id created: in process (env.call) or over HTTP. */
export type CreateVia = (path: string, body: unknown) => Promise<number>;

/**
 * A café's show (type 6, on sale from yesterday for a month, `date` giving the wall-clock day),
 * its session, and one tier and area of `rows` × `cols` seats per entry of `areas`, each named
 * by its entry, with a day and a night price.
 */
export async function createCafeAreas(
  create: CreateVia,
  areas: { name: string; rows: number; cols: number }[],
  prices: { price: number; nightPrice: number; date: (days: number) => string },
): Promise<{ showId: number; sessionId: number; areaIds: number[] }> {
  const { price, nightPrice, date } = prices;
  const start = `${date(-1)} 00:00:00`;
  const end = `${date(30)} 00:00:00`;
  const showId = await create("/api/show", {
    name: "Café",
    type: 6,
    venue: "Café",
    city: "杭州",
    startTime: start,
    endTime: end,
  });
  const sessionId = await create(`/api/show/${showId}/sessions`, {
    name: "All day",
    startTime: start,
    endTime: end,
    saleStartTime: start,
    saleEndTime: end,
  });
  const areaIds: number[] = [];
  for (const { name, rows, cols } of areas) {
    const ticketId = await create("/api/ticket", {
      showId,
      sessionId,
      name,
      price,
      totalStock: 0,
      limitCount: 10,
    });
    areaIds.push(
      await create("/api/seat/areas", {
        showId,
        sessionId,
        ticketId,
        name,
        rows,
        cols,
        price,
        nightPrice,
      }),
    );
  }
  return { showId, sessionId, areaIds };
}

/** The café of most hourly tests: one area "大厅" of 2×5 seats, days in ZONE. */
export async function createCafe(env: TestEnv, price = 10, nightPrice = 13): Promise<Cafe> {
  const admin = await env.admin();
  const create: CreateVia = async (path, body) => {
    const res = await env.call<{ id: number }>("POST", path, { token: admin.token, body });
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    return res.body.data.id;
  };
  const { showId, sessionId, areaIds: [areaId] } = await createCafeAreas(
    create,
    [{ name: "大厅", rows: 2, cols: 5 }],
    { price, nightPrice, date: day },
  );
  const seats = await env.ctx.db.rows<{ id: number }>(
    "SELECT id FROM seats WHERE area_id = ? ORDER BY id",
    [areaId],
  );
  return { showId, sessionId, areaId, seatIds: seats.map((s) => s.id), adminToken: admin.token };
}
