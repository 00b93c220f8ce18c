/**
 * Reading a reference deployment (schema of `../shared/reference/sql/`): its tables are found
 * in whichever of the server's databases hold them (the reference splits them into
 * ticket_user_db, ticket_show_db, ticket_ticket_db, ticket_order_db; older installs keep one
 * ticket_system), and read in one read-only transaction, so the source sees SELECTs only.
 *
 * ```ts
 * const source = await openSource("mysql://reader:pw@old-db:3306");
 * const data = await source.read();
 * await source.close();
 * ```
 */
import { mysql, type MysqlConnection } from "#deps";
import type {
  SourceArea,
  SourceData,
  SourceItem,
  SourceOrder,
  SourceSeat,
  SourceSession,
  SourceShow,
  SourceStock,
  SourceTicket,
  SourceUser,
  SourceVenue,
} from "./source_rows.ts";

/** The reference tables the importer reads; every one is optional. */
export const SOURCE_TABLES = [
  "t_user",
  "t_role",
  "t_user_role",
  "t_show",
  "t_show_session",
  "t_venue",
  "t_seat_area",
  "t_seat",
  "t_ticket",
  "t_ticket_stock",
  "t_order",
  "t_order_item",
] as const;
export type SourceTable = typeof SOURCE_TABLES[number];

const SYSTEM_DATABASES = ["mysql", "information_schema", "performance_schema", "sys"];

/** Raised when the source cannot be reached or read as a reference deployment. */
export class SourceError extends Error {
  override name = "SourceError";
}

export interface Source {
  /** Which database each table was found in. */
  tables: Partial<Record<SourceTable, string>>;
  read(): Promise<SourceData>;
  close(): Promise<void>;
}

/**
 * `mysql://user:pass@host:port` (every database of the server) or `.../db1,db2` (only those).
 */
export function parseSourceUrl(url: string): {
  host: string;
  port: number;
  user: string;
  password: string;
  databases: string[] | undefined;
} {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SourceError(`--from: not a URL: ${url}`);
  }
  if (!["mysql:", "mariadb:"].includes(u.protocol) || !u.hostname) {
    throw new SourceError("--from: must look like mysql://user:pass@host:port[/db1,db2]");
  }
  const path = decodeURIComponent(u.pathname.replace(/^\//, ""));
  const databases = path === "" ? undefined : path.split(",").map((s) => s.trim()).filter(Boolean);
  if (databases?.some((d) => !/^[A-Za-z0-9_$]{1,64}$/.test(d))) {
    throw new SourceError("--from: database names are letters, digits, _ and $");
  }
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || "root"),
    password: decodeURIComponent(u.password),
    databases,
  };
}

export async function openSource(url: string): Promise<Source> {
  const where = parseSourceUrl(url);
  let conn: MysqlConnection;
  try {
    conn = await mysql.createConnection({
      host: where.host,
      port: where.port,
      user: where.user,
      password: where.password,
      // DATETIMEs as the text the reference stored: they are wall-clock times of its zone.
      dateStrings: true,
      decimalNumbers: true,
      supportBigNumbers: true,
      bigNumberStrings: false,
      charset: "utf8mb4_unicode_ci",
      connectTimeout: 5000,
    }) as unknown as MysqlConnection;
  } catch (e) {
    throw new SourceError(
      `cannot connect to ${where.host}:${where.port}: ${e instanceof Error ? e.message : e}`,
    );
  }
  try {
    const [found] = await conn.query(
      `SELECT table_schema AS db, table_name AS name FROM information_schema.tables
        WHERE table_name IN (${SOURCE_TABLES.map(() => "?").join(", ")})
          AND table_schema NOT IN (${SYSTEM_DATABASES.map(() => "?").join(", ")})
        ORDER BY table_schema`,
      [...SOURCE_TABLES, ...SYSTEM_DATABASES],
    );
    const tables: Partial<Record<SourceTable, string>> = {};
    const seen = new Map<string, string[]>();
    for (const row of found as { db: string; name: string }[]) {
      if (where.databases && !where.databases.includes(row.db)) continue;
      seen.set(row.name, [...seen.get(row.name) ?? [], row.db]);
    }
    for (const [name, dbs] of seen) {
      if (dbs.length > 1) {
        throw new SourceError(
          `${name} is in several databases (${dbs.join(", ")}): name the ones to import ` +
            `in the URL, e.g. mysql://host:3306/${dbs[0]}`,
        );
      }
      tables[name as SourceTable] = dbs[0];
    }
    if (!tables.t_user && !tables.t_show && !tables.t_order) {
      throw new SourceError(
        `no reference tables (t_user, t_show, t_order) on ${where.host}:${where.port}` +
          (where.databases ? ` in ${where.databases.join(", ")}` : ""),
      );
    }
    return {
      tables,
      read: () => readAll(conn, tables),
      close: () => conn.end(),
    };
  } catch (e) {
    await conn.end().catch(() => {});
    if (e instanceof SourceError) throw e;
    throw new SourceError(`cannot read the source: ${e instanceof Error ? e.message : e}`);
  }
}

type Raw = Record<string, unknown>;

/** Every row the importer needs, in one consistent read-only snapshot. */
async function readAll(
  conn: MysqlConnection,
  tables: Partial<Record<SourceTable, string>>,
): Promise<SourceData> {
  await conn.query("SET SESSION TRANSACTION READ ONLY");
  await conn.query("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
  try {
    const all = async (table: SourceTable): Promise<Raw[]> => {
      const db = tables[table];
      if (!db) return [];
      const [rows] = await conn.query(`SELECT * FROM \`${db}\`.\`${table}\` ORDER BY 1`);
      return rows as Raw[];
    };
    const admins = await adminIds(all);
    const data: SourceData = {
      databases: tables,
      users: (await all("t_user")).map((r) => toUser(r, admins)),
      shows: (await all("t_show")).map(toShow),
      sessions: (await all("t_show_session")).map(toSession),
      venues: (await all("t_venue")).map(toVenue),
      areas: (await all("t_seat_area")).map(toArea),
      seats: (await all("t_seat")).map(toSeat),
      tickets: (await all("t_ticket")).map(toTicket),
      stocks: (await all("t_ticket_stock")).map(toStock),
      orders: (await all("t_order")).map(toOrder),
      items: (await all("t_order_item")).map(toItem),
    };
    return data;
  } finally {
    await conn.query("ROLLBACK");
  }
}

async function adminIds(all: (t: SourceTable) => Promise<Raw[]>): Promise<Set<number>> {
  const roles = await all("t_role");
  const adminRoles = new Set(
    roles.filter((r) => String(r.role_code ?? "").toUpperCase() === "ADMIN").map((r) => num(r.id)),
  );
  const links = await all("t_user_role");
  return new Set(links.filter((l) => adminRoles.has(num(l.role_id))).map((l) => num(l.user_id)));
}

// ---------------------------------------------------------------- row readers
// Later versions of the reference renamed some columns (title for name, cover_img for
// poster_url); each reader takes the first that is present.

function pick(r: Raw, ...names: string[]): unknown {
  for (const n of names) if (r[n] !== undefined) return r[n];
  return undefined;
}

function num(v: unknown): number {
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : Number(v ?? NaN);
}

function optNum(v: unknown): number | null {
  if (v === null || v === undefined || v === "") return null;
  const n = num(v);
  return Number.isFinite(n) ? n : null;
}

function str(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return String(v);
}

const deleted = (r: Raw) => num(r.is_deleted ?? 0) === 1;

function toUser(r: Raw, admins: Set<number>): SourceUser {
  const id = num(r.id);
  return {
    id,
    username: String(r.username ?? ""),
    password: String(r.password ?? ""),
    nickname: str(r.nickname),
    phone: str(r.phone),
    email: str(r.email),
    enabled: num(r.status ?? 1) === 1 && !deleted(r),
    admin: admins.has(id),
    createTime: str(r.create_time),
  };
}

function toShow(r: Raw): SourceShow {
  return {
    id: num(r.id),
    name: String(pick(r, "name", "title") ?? ""),
    type: num(r.type),
    posterUrl: str(pick(r, "poster_url", "cover_img")),
    description: str(r.description),
    venue: str(r.venue),
    city: str(r.city),
    startTime: str(r.start_time),
    endTime: str(r.end_time),
    status: num(r.status ?? 0),
    isHot: num(r.is_hot ?? 0) === 1,
    isRecommend: num(r.is_recommend ?? 0) === 1,
    deleted: deleted(r),
    updateTime: str(r.update_time),
  };
}

function toSession(r: Raw): SourceSession {
  return {
    id: num(r.id),
    showId: num(r.show_id),
    name: str(r.name),
    startTime: str(pick(r, "start_time", "session_time")),
    endTime: str(r.end_time),
    status: num(r.status ?? 0),
    deleted: deleted(r),
    createTime: str(r.create_time),
    updateTime: str(r.update_time),
  };
}

function toVenue(r: Raw): SourceVenue {
  return { id: num(r.id), name: String(r.name ?? "") };
}

function toArea(r: Raw): SourceArea {
  return {
    id: num(r.id),
    venueId: optNum(r.venue_id),
    name: String(pick(r, "name", "area_name") ?? ""),
    deleted: deleted(r),
  };
}

function toSeat(r: Raw): SourceSeat {
  return {
    id: num(r.id),
    areaId: num(r.area_id),
    rowNum: String(r.row_num ?? ""),
    seatNum: String(r.seat_num ?? ""),
    seatCode: str(r.seat_code),
    x: optNum(r.x_coordinate),
    y: optNum(r.y_coordinate),
    enabled: num(r.status ?? 1) !== 0,
    deleted: deleted(r),
  };
}

function toTicket(r: Raw): SourceTicket {
  return {
    id: num(r.id),
    showId: num(r.show_id),
    sessionId: num(r.session_id),
    name: String(r.name ?? ""),
    price: num(r.price),
    totalCount: optNum(r.total_count),
    remainCount: optNum(r.remain_count),
    limitCount: optNum(r.limit_count),
    status: num(r.status ?? 1),
    deleted: deleted(r),
    updateTime: str(r.update_time),
  };
}

function toStock(r: Raw): SourceStock {
  return {
    ticketId: num(r.ticket_id),
    total: num(r.total_stock),
    locked: num(r.locked_stock ?? 0),
    sold: num(r.sold_stock ?? 0),
  };
}

function toOrder(r: Raw): SourceOrder {
  return {
    id: num(r.id),
    orderNo: String(r.order_no ?? ""),
    userId: num(r.user_id),
    totalAmount: num(r.total_amount),
    payAmount: optNum(r.pay_amount),
    status: num(r.status),
    payType: optNum(r.pay_type),
    payTime: str(r.pay_time),
    expireTime: str(r.expire_time),
    remark: str(r.remark),
    contactPhone: str(r.contact_phone),
    createTime: str(r.create_time),
    updateTime: str(r.update_time),
    bookingDate: str(r.booking_date),
    deleted: deleted(r),
  };
}

function toItem(r: Raw): SourceItem {
  return {
    id: num(r.id),
    orderId: num(r.order_id),
    showId: optNum(r.show_id),
    sessionId: optNum(r.session_id),
    ticketId: optNum(pick(r, "ticket_type_id", "ticket_id")),
    ticketName: str(pick(r, "ticket_type_name", "ticket_name")),
    seatId: optNum(r.seat_id),
    seatInfo: str(r.seat_info),
    price: num(r.price),
    quantity: num(r.quantity ?? 1),
    subtotal: optNum(r.subtotal),
  };
}
