/**
 * The demo data of `deno task start`: a few shows with sessions and general-admission tiers, and
 * the internet café of the reference system (three areas booked by the hour). Seeded once per
 * database: a marker row is claimed first, so a second start (or a second process starting at
 * the same moment) adds nothing.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { isDuplicateKey } from "#lib/platform/db.ts";
import { createSession, createShow } from "#lib/catalog/show_admin.ts";
import { INTERNET_CAFE } from "#lib/catalog/shows.ts";
import { createArea } from "#lib/seating/area_admin.ts";
import { createTicket } from "#lib/catalog/tickets.ts";

const DAY = 86_400_000;

/** Seeds when this database has never been seeded; true when it did. */
export async function seedDemo(ctx: AppContext): Promise<boolean> {
  try {
    await ctx.db.exec("INSERT INTO app_meta (name, value) VALUES ('demo_seed', ?)", [
      new Date(ctx.now()).toISOString(),
    ]);
  } catch (e) {
    if (isDuplicateKey(e)) return false;
    throw e;
  }
  const now = ctx.now();
  // Whole hours, so the demo's times read well.
  const at = (days: number, hour: number) =>
    new Date(Math.floor((now + days * DAY) / DAY) * DAY + hour * 3_600_000);

  const concert = await createShow(ctx, {
    name: "周杰伦嘉年华世界巡回演唱会",
    type: 1,
    venue: "梅赛德斯-奔驰文化中心",
    city: "上海",
    description: "Carnival world tour: two nights in Shanghai.",
    startTime: at(14, 11),
    endTime: at(15, 14),
    isHot: true,
    isRecommend: true,
  });
  for (const [name, day] of [["第一场", 14], ["第二场", 15]] as const) {
    const session = await createSession(ctx, concert.id, {
      name,
      startTime: at(day, 11),
      endTime: at(day, 14),
    });
    for (
      const [tier, price, stock, limit] of [
        ["看台", 380, 2000, 4],
        ["内场", 880, 800, 4],
        ["VIP", 1680, 100, 2],
      ] as const
    ) {
      await createTicket(ctx, {
        showId: concert.id,
        sessionId: session.id,
        name: tier,
        price,
        totalStock: stock,
        limitCount: limit,
      });
    }
  }

  const drama = await createShow(ctx, {
    name: "话剧《雷雨》",
    type: 2,
    venue: "首都剧场",
    city: "北京",
    description: "Cao Yu's classic, by the Beijing People's Art Theatre.",
    startTime: at(10, 11),
    endTime: at(10, 14),
    isHot: true,
  });
  const dramaSession = await createSession(ctx, drama.id, {
    name: "晚场",
    startTime: at(10, 11),
    endTime: at(10, 14),
  });
  for (const [tier, price, stock] of [["普通票", 180, 300], ["贵宾票", 380, 100]] as const) {
    await createTicket(ctx, {
      showId: drama.id,
      sessionId: dramaSession.id,
      name: tier,
      price,
      totalStock: stock,
    });
  }

  const classical = await createShow(ctx, {
    name: "维也纳爱乐乐团新年音乐会",
    type: 3,
    venue: "广州大剧院",
    city: "广州",
    description: "New year's concert.",
    startTime: at(30, 12),
    endTime: at(30, 14),
    isRecommend: true,
  });
  const classicalSession = await createSession(ctx, classical.id, {
    name: "新年场",
    startTime: at(30, 12),
    endTime: at(30, 14),
  });
  await createTicket(ctx, {
    showId: classical.id,
    sessionId: classicalSession.id,
    name: "标准票",
    price: 580,
    totalStock: 500,
  });

  await seedTheatre(ctx, at(21, 11), at(21, 14));
  await seedCafe(ctx, at(0, 0), at(365, 0));
  return true;
}

/** The reference system's internet café: one session spanning the bookable year, three areas. */
async function seedCafe(ctx: AppContext, from: Date, to: Date): Promise<void> {
  const cafe = await createShow(ctx, {
    name: "星空网咖",
    type: INTERNET_CAFE,
    venue: "星空网咖(旗舰店)",
    city: "杭州",
    description: "Seats booked by the hour; night hours (22:00-08:00) cost more.",
    startTime: from,
    endTime: to,
    isRecommend: true,
  });
  const session = await createSession(ctx, cafe.id, {
    name: "全天开放",
    startTime: from,
    endTime: to,
    saleStartTime: from,
    saleEndTime: to,
  });
  for (const area of CAFE_AREAS) {
    // The tier's stock follows its seats (createArea sets it).
    const tier = await createTicket(ctx, {
      showId: cafe.id,
      sessionId: session.id,
      name: area.name,
      price: area.price,
      totalStock: 0,
      limitCount: 10,
    });
    await createArea(ctx, {
      showId: cafe.id,
      sessionId: session.id,
      ticketId: tier.id,
      name: area.name,
      areaCode: area.code,
      floorLevel: area.floor,
      areaType: area.type,
      rows: area.rows,
      cols: area.cols,
      price: area.price,
      nightPrice: area.nightPrice,
    });
  }
}

/** A seated theatre night: stalls 12 × 20 and balcony 8 × 15, 360 seats in two tiers. */
async function seedTheatre(ctx: AppContext, start: Date, end: Date): Promise<void> {
  const show = await createShow(ctx, {
    name: "歌剧魅影",
    type: 2,
    venue: "上海大剧院",
    city: "上海",
    description: "A seated night: pick your seats on the map.",
    startTime: start,
    endTime: end,
    isHot: true,
  });
  const session = await createSession(ctx, show.id, {
    name: "首演",
    startTime: start,
    endTime: end,
  });
  for (
    const [name, code, rows, cols, price, floor] of [
      ["池座", "A", 12, 20, 680, 1],
      ["楼座", "B", 8, 15, 380, 2],
    ] as const
  ) {
    const tier = await createTicket(ctx, {
      showId: show.id,
      sessionId: session.id,
      name,
      price,
      totalStock: 0,
      limitCount: 6,
    });
    await createArea(ctx, {
      showId: show.id,
      sessionId: session.id,
      ticketId: tier.id,
      name,
      areaCode: code,
      floorLevel: floor,
      rows,
      cols,
      price,
    });
  }
}

/** 一楼大厅 30 seats, 随机区 20, 特惠三区 15; 8-15 per hour by day, 11-18 by night. */
export const CAFE_AREAS = [
  { name: "一楼大厅", code: "A", floor: 1, type: 1, rows: 5, cols: 6, price: 8, nightPrice: 11 },
  { name: "随机区", code: "B", floor: 1, type: 2, rows: 4, cols: 5, price: 12, nightPrice: 15 },
  { name: "特惠三区", code: "C", floor: 3, type: 3, rows: 3, cols: 5, price: 15, nightPrice: 18 },
] as const;
