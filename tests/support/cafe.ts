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

export async function createCafe(env: TestEnv, price = 10, nightPrice = 13): Promise<Cafe> {
  const admin = await env.admin();
  const ok = async (path: string, body: unknown) => {
    const res = await env.call<{ id: number }>("POST", path, { token: admin.token, body });
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    return res.body.data.id;
  };
  const start = `${day(-1)} 00:00:00`;
  const end = `${day(30)} 00:00:00`;
  const showId = await ok("/api/show", {
    name: "Café",
    type: 6,
    venue: "Café",
    city: "杭州",
    startTime: start,
    endTime: end,
  });
  const sessionId = await ok(`/api/show/${showId}/sessions`, {
    name: "All day",
    startTime: start,
    endTime: end,
    saleStartTime: start,
    saleEndTime: end,
  });
  const ticketId = await ok("/api/ticket", {
    showId,
    sessionId,
    name: "Hall",
    price,
    totalStock: 0,
    limitCount: 10,
  });
  const areaId = await ok("/api/seat/areas", {
    showId,
    sessionId,
    ticketId,
    name: "大厅",
    rows: 2,
    cols: 5,
    price,
    nightPrice,
  });
  const seats = await env.ctx.db.rows<{ id: number }>(
    "SELECT id FROM seats WHERE area_id = ? ORDER BY id",
    [areaId],
  );
  return { showId, sessionId, areaId, seatIds: seats.map((s) => s.id), adminToken: admin.token };
}
