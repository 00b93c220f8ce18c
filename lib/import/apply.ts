/**
 * Writes an import plan into boxoffice's MySQL. Each source row goes in its own transaction
 * together with its `import_map` row, so an interrupted import resumes where it stopped and a
 * second run finds everything mapped and adds nothing. An order's transaction also writes its
 * items, status log, seat claims and its share of the tier's locked or sold stock, so stock
 * agrees with the orders at every commit. With `dryRun` nothing is written: the same decisions
 * are made against what is already there and counted.
 */
import type { Db, Queryable } from "#lib/platform/db.ts";
import { isDuplicateKey } from "#lib/platform/db.ts";
import type { EntityKind, ImportPlan, Issue, PlannedOrder } from "./plan.ts";

export interface ApplyOptions {
  dryRun: boolean;
  /**
   * A source user whose username boxoffice already has (not from an import) is linked to that
   * account instead of being reported unmapped.
   */
  linkExistingUsers: boolean;
}

export interface KindCounts {
  /** Rows of the source planned for import. */
  planned: number;
  /** Added by this run (or, dry, that would be). */
  added: number;
  /** Already imported by an earlier run. */
  existing: number;
  /** Linked to an existing boxoffice row (users with --link-existing-users). */
  linked: number;
  /** Planned but refused by boxoffice (listed in `unmapped`). */
  refused: number;
}

export interface ApplyResult {
  counts: Record<EntityKind, KindCounts>;
  /** Rows refused while writing (e.g. a username already taken). */
  unmapped: Issue[];
  /** boxoffice sessions that got new tiers, seats or orders (their Redis state is stale). */
  touchedSessions: number[];
}

type IdMap = Map<string, number>;

class Refused extends Error {}

const KINDS: EntityKind[] = ["user", "show", "session", "tier", "area", "order"];

export async function applyPlan(
  db: Db,
  plan: ImportPlan,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const maps = await loadMaps(db);
  const counts = Object.fromEntries(
    KINDS.map((k) => [k, { planned: 0, added: 0, existing: 0, linked: 0, refused: 0 }]),
  ) as Record<EntityKind, KindCounts>;
  const unmapped: Issue[] = [];
  const touched = new Set<number>();
  let fakeId = 0;

  /** Runs `insert` once per source key: skipped when mapped, recorded in import_map. */
  async function once(
    kind: EntityKind,
    key: string,
    insert: (tx: Queryable) => Promise<number>,
  ): Promise<number | null> {
    counts[kind].planned++;
    const known = maps[kind].get(key);
    if (known !== undefined) {
      counts[kind].existing++;
      return known;
    }
    if (options.dryRun) {
      counts[kind].added++;
      const id = --fakeId;
      maps[kind].set(key, id);
      return id;
    }
    try {
      const id = await db.tx(async (tx) => {
        const id = await insert(tx);
        await tx.exec("INSERT INTO import_map (kind, source_key, target_id) VALUES (?, ?, ?)", [
          kind,
          key,
          id,
        ]);
        return id;
      });
      maps[kind].set(key, id);
      counts[kind].added++;
      return id;
    } catch (e) {
      if (e instanceof Refused) {
        counts[kind].refused++;
        unmapped.push({ kind, source: key, reason: e.message });
        return null;
      }
      if (isDuplicateKey(e) && String((e as Error).message).includes(`'${kind}-${key}'`)) {
        // Another import run mapped it at the same moment.
        const [row] = await db.rows<{ target_id: number }>(
          "SELECT target_id FROM import_map WHERE kind = ? AND source_key = ?",
          [kind, key],
        );
        counts[kind].existing++;
        maps[kind].set(key, row.target_id);
        return row.target_id;
      }
      throw e;
    }
  }

  const missing = (kind: EntityKind, key: string, what: string) => {
    counts[kind].planned++;
    counts[kind].refused++;
    unmapped.push({ kind, source: key, reason: `${what} was not imported` });
  };

  for (const u of plan.users) {
    if (!maps.user.has(u.key)) {
      const [existing] = await db.rows<{ id: number }>(
        "SELECT id FROM users WHERE username = ?",
        [u.username],
      ).catch(() => []);
      if (existing) {
        counts.user.planned++;
        if (options.linkExistingUsers) {
          counts.user.linked++;
          if (!options.dryRun) {
            await db.exec(
              "INSERT IGNORE INTO import_map (kind, source_key, target_id) VALUES ('user', ?, ?)",
              [u.key, existing.id],
            );
          }
          maps.user.set(u.key, existing.id);
        } else {
          counts.user.refused++;
          unmapped.push({
            kind: "user",
            source: u.key,
            reason: `username "${u.username}" is taken in boxoffice by an account not imported ` +
              `(run with --link-existing-users to link them)`,
          });
        }
        continue;
      }
    }
    await once("user", u.key, async (tx) => {
      try {
        const { insertId } = await tx.exec(
          `INSERT INTO users (username, password_hash, phone, nickname, email, role, created_at)
           VALUES (?, ?, ?, ?, ?, ?, COALESCE(?, CURRENT_TIMESTAMP(3)))`,
          [u.username, u.passwordHash, u.phone, u.nickname, u.email, u.role, u.createdAt],
        );
        return insertId;
      } catch (e) {
        if (isDuplicateKey(e)) throw new Refused(`username "${u.username}" is taken`);
        throw e;
      }
    });
  }

  for (const s of plan.shows) {
    await once("show", s.key, async (tx) =>
      (await tx.exec(
        `INSERT INTO shows (name, type, venue, city, description, poster_url, start_time,
                            end_time, status, is_hot, is_recommend, deleted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          s.name,
          s.type,
          s.venue,
          s.city,
          s.description,
          s.posterUrl,
          s.start,
          s.end,
          s.status,
          s.isHot,
          s.isRecommend,
          s.deletedAt,
        ],
      )).insertId);
  }

  for (const s of plan.sessions) {
    const showId = maps.show.get(s.showKey);
    if (showId === undefined) {
      missing("session", s.key, "its show");
      continue;
    }
    await once("session", s.key, async (tx) =>
      (await tx.exec(
        `INSERT INTO sessions (show_id, name, start_time, end_time, sale_start_time,
                               sale_end_time, status, deleted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [showId, s.name, s.start, s.end, s.saleStart, s.saleEnd, s.status, s.deletedAt],
      )).insertId);
  }

  for (const t of plan.tiers) {
    const showId = maps.show.get(t.showKey);
    const sessionId = maps.session.get(t.sessionKey);
    if (showId === undefined || sessionId === undefined) {
      missing("tier", t.key, "its session");
      continue;
    }
    const before = counts.tier.added;
    await once("tier", t.key, async (tx) => {
      const { insertId } = await tx.exec(
        `INSERT INTO tickets (show_id, session_id, name, price, limit_count, status, deleted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [showId, sessionId, t.name, t.price, t.limitCount, t.status, t.deletedAt],
      );
      // Locked and sold come with the orders, one transaction each.
      await tx.exec(
        "INSERT INTO ticket_stock (ticket_id, total_stock, locked_stock, sold_stock) VALUES (?, ?, 0, 0)",
        [insertId, t.totalStock],
      );
      return insertId;
    });
    if (counts.tier.added > before) touched.add(sessionId);
  }

  const seatIds = new Map<string, { id: number; info: string }>();
  for (const a of plan.areas) {
    const showId = maps.show.get(a.showKey);
    const sessionId = maps.session.get(a.sessionKey);
    const ticketId = maps.tier.get(a.tierKey);
    if (showId === undefined || sessionId === undefined || ticketId === undefined) {
      missing("area", a.key, "its tier");
      continue;
    }
    const before = counts.area.added;
    await once("area", a.key, async (tx) => {
      const { insertId: areaId } = await tx.exec(
        `INSERT INTO seat_areas (show_id, session_id, ticket_id, name, area_code, floor_level,
                                 area_type, row_count, col_count, price, night_price)
         VALUES (?, ?, ?, ?, ?, 1, 1, ?, ?, ?, NULL)`,
        [showId, sessionId, ticketId, a.name, a.areaCode, a.rows, a.cols, a.price],
      ).catch((e) => {
        if (isDuplicateKey(e)) {
          throw new Refused(`area code ${a.areaCode} is taken in session ${sessionId}`);
        }
        throw e;
      });
      for (let i = 0; i < a.seats.length; i += 500) {
        const chunk = a.seats.slice(i, i + 500);
        await tx.exec(
          `INSERT INTO seats (area_id, session_id, ticket_id, row_num, seat_num, seat_code,
                              x_coordinate, y_coordinate, status)
           VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
          chunk.flatMap((s) => [
            areaId,
            sessionId,
            ticketId,
            s.rowNum,
            s.seatNum,
            s.seatCode,
            s.x,
            s.y,
            s.enabled ? 1 : 0,
          ]),
        );
      }
      const rows = await tx.rows<{ id: number; row_num: number; seat_num: number }>(
        "SELECT id, row_num, seat_num FROM seats WHERE area_id = ?",
        [areaId],
      );
      const byPos = new Map(rows.map((r) => [`${r.row_num}|${r.seat_num}`, r.id]));
      for (let i = 0; i < a.seats.length; i += 500) {
        const chunk = a.seats.slice(i, i + 500);
        await tx.exec(
          `INSERT INTO import_map (kind, source_key, target_id) VALUES ${
            chunk.map(() => "('seat', ?, ?)").join(", ")
          }`,
          chunk.flatMap((s) => [s.key, byPos.get(`${s.rowNum}|${s.seatNum}`)!]),
        );
      }
      return areaId;
    });
    if (counts.area.added > before) touched.add(sessionId);
    // Seat ids (after this run or an earlier one) for the orders below.
    const fresh = await loadSeatMap(db, a.seats.map((s) => s.key), options.dryRun);
    a.seats.forEach((s, i) => {
      const id = fresh.get(s.key) ?? -(i + 1);
      seatIds.set(s.key, { id, info: `${a.name} ${s.seatCode}` });
    });
  }

  for (const o of plan.orders) {
    const ids = {
      user: maps.user.get(o.userKey),
      show: maps.show.get(o.showKey),
      session: maps.session.get(o.sessionKey),
      tier: maps.tier.get(o.tierKey),
    };
    if (Object.values(ids).some((v) => v === undefined)) {
      const what = ids.user === undefined ? `its buyer (${o.userKey})` : "its tier";
      missing("order", o.key, what);
      continue;
    }
    const seats = o.items.map((i) => i.seatKey === null ? null : seatIds.get(i.seatKey));
    if (seats.some((s) => s === undefined)) {
      missing("order", o.key, "a seat of it");
      continue;
    }
    const before = counts.order.added;
    await once("order", o.key, (tx) =>
      insertOrder(tx, o, {
        userId: ids.user!,
        showId: ids.show!,
        sessionId: ids.session!,
        ticketId: ids.tier!,
        seats: seats as ({ id: number; info: string } | null)[],
      }));
    if (counts.order.added > before) touched.add(ids.session!);
  }

  return { counts, unmapped, touchedSessions: [...touched].filter((id) => id > 0).sort() };
}

async function insertOrder(
  tx: Queryable,
  o: PlannedOrder,
  ids: {
    userId: number;
    showId: number;
    sessionId: number;
    ticketId: number;
    seats: ({ id: number; info: string } | null)[];
  },
): Promise<number> {
  let orderId: number;
  try {
    ({ insertId: orderId } = await tx.exec(
      `INSERT INTO orders (order_no, user_id, show_id, session_id, ticket_id, quantity, price,
                           total_amount, status, pay_type, pay_time, expire_at, contact_phone,
                           remark, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        o.orderNo,
        ids.userId,
        ids.showId,
        ids.sessionId,
        ids.ticketId,
        o.quantity,
        o.price,
        o.totalAmount,
        o.status,
        o.payType,
        o.payTime,
        o.expireAt,
        o.contactPhone,
        o.remark,
        o.createdAt,
      ],
    ));
  } catch (e) {
    if (isDuplicateKey(e)) throw new Refused(`order number ${o.orderNo} exists in boxoffice`);
    throw e;
  }
  await tx.exec(
    `INSERT INTO order_items (order_id, ticket_id, seat_id, seat_info, price, quantity, subtotal)
     VALUES ${o.items.map(() => "(?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
    o.items.flatMap((item, i) => [
      orderId,
      ids.ticketId,
      ids.seats[i]?.id ?? null,
      ids.seats[i]?.info ?? item.seatInfo,
      item.price,
      item.quantity,
      Math.round(item.price * item.quantity * 100) / 100,
    ]),
  );
  await tx.exec(
    `INSERT INTO order_status_log (order_id, from_status, to_status, reason, created_at)
     VALUES ${o.log.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
    o.log.flatMap((l) => [orderId, l.from, l.to, l.reason, l.at]),
  );
  if (o.status !== 0 && o.status !== 1) return orderId;
  const seats = ids.seats.filter((s): s is { id: number; info: string } => s !== null);
  if (seats.length) {
    try {
      await tx.exec(
        `INSERT INTO seat_claims (session_id, slot, seat_id, order_id) VALUES ${
          seats.map(() => "(?, ?, ?, ?)").join(", ")
        }`,
        seats.flatMap((s) => [ids.sessionId, String(s.id), s.id, orderId]),
      );
    } catch (e) {
      if (isDuplicateKey(e)) throw new Refused("a seat of it is already in a boxoffice order");
      throw e;
    }
  }
  const column = o.status === 0 ? "locked_stock" : "sold_stock";
  const { affectedRows } = await tx.exec(
    `UPDATE ticket_stock SET ${column} = ${column} + ?, version = version + 1
      WHERE ticket_id = ? AND locked_stock + sold_stock + ? <= total_stock`,
    [o.quantity, ids.ticketId, o.quantity],
  );
  if (affectedRows === 0) {
    throw new Refused(`tier has no stock left for its ${o.quantity} tickets`);
  }
  return orderId;
}

async function loadMaps(db: Db): Promise<Record<EntityKind, IdMap>> {
  const maps = Object.fromEntries(KINDS.map((k) => [k, new Map()])) as Record<EntityKind, IdMap>;
  const rows = await db.rows<{ kind: string; source_key: string; target_id: number }>(
    "SELECT kind, source_key, target_id FROM import_map WHERE kind <> 'seat'",
  ).catch((e) => {
    // A dry run against a database never migrated: nothing is mapped yet.
    if (notMigrated(e)) return [];
    throw e;
  });
  for (const r of rows) maps[r.kind as EntityKind]?.set(r.source_key, Number(r.target_id));
  return maps;
}

async function loadSeatMap(db: Db, keys: string[], dryRun: boolean): Promise<IdMap> {
  const out: IdMap = new Map();
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500);
    const rows = await db.rows<{ source_key: string; target_id: number }>(
      `SELECT source_key, target_id FROM import_map
        WHERE kind = 'seat' AND source_key IN (${chunk.map(() => "?").join(", ")})`,
      chunk,
    ).catch((e) => {
      if (dryRun && notMigrated(e)) return [];
      throw e;
    });
    for (const r of rows) out.set(r.source_key, Number(r.target_id));
  }
  return out;
}

/** The target database (or its import_map) does not exist yet: possible only in a dry run. */
function notMigrated(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === "ER_NO_SUCH_TABLE" || code === "ER_BAD_DB_ERROR";
}
