/** An internet café (a venue booked by the hour) made through the admin API, for tests. */
import assert from "node:assert/strict";
import { wallClock } from "#lib/platform/time.ts";
import type { TestEnv } from "./env.ts";

export interface Cafe {
  showId: number;
  sessionId: number;
  ticketId: number;
  areaId: number;
  seatIds: number[];
  adminToken: string;
}

/** "YYYY-MM-DD" of `zone`'s wall clock, `days` from today. */
export function dayIn(zone: string, days: number): string {
  return wallClock(new Date(Date.now() + days * 86_400_000), zone).date;
}

/** A café open around the clock, bookable from yesterday for 30 days, 2 × 5 seats. */
export async function createCafe(env: TestEnv, zone: string, price = 10): Promise<Cafe> {
  const admin = await env.admin();
  const ok = async (path: string, body: unknown) => {
    const res = await env.call<{ id: number }>("POST", path, { token: admin.token, body });
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    return res.body.data.id;
  };
  const start = `${dayIn(zone, -1)} 00:00:00`;
  const end = `${dayIn(zone, 30)} 00:00:00`;
  const showId = await ok("/api/show", {
    name: "自由点网咖",
    type: 6,
    venue: "自由点网咖A区",
    city: "哈尔滨市",
    startTime: start,
    endTime: end,
  });
  const sessionId = await ok(`/api/show/${showId}/sessions`, {
    name: "营业时段",
    startTime: start,
    endTime: end,
    saleStartTime: start,
    saleEndTime: end,
  });
  const ticketId = await ok("/api/ticket", {
    showId,
    sessionId,
    name: "大厅",
    price,
    totalStock: 0,
    limitCount: 10,
  });
  const areaId = await ok("/api/seat/areas", {
    showId,
    sessionId,
    ticketId,
    name: "一楼大厅",
    rows: 2,
    cols: 5,
    price,
    nightPrice: price + 3,
  });
  const seats = await env.ctx.db.rows<{ id: number }>(
    "SELECT id FROM seats WHERE area_id = ? ORDER BY id",
    [areaId],
  );
  return {
    showId,
    sessionId,
    ticketId,
    areaId,
    seatIds: seats.map((s) => s.id),
    adminToken: admin.token,
  };
}
