/**
 * MySQL/MariaDB access: one pool per process (sized by config, no per-request connection set-up),
 * transactions through `db.tx`, and the one place that decides which driver errors mean "the
 * database is unavailable" (503 to the client) rather than a bug.
 */
import { mysql, type MysqlConnection, type MysqlPool, type ResultSetHeader } from "#deps";
import { unavailable } from "./errors.ts";
import { endSession, isOutcomeUnknown, markUnknownOutcome } from "./db_outcome.ts";
import { inSpan } from "./tracing.ts";

/** A parameter of a prepared statement. */
export type SqlValue = string | number | bigint | boolean | Date | null | Buffer | SqlValue[];
type Buffer = Uint8Array;
export type Row = Record<string, unknown>;

/** What both the pool and a transaction can do. */
export interface Queryable {
  /** SELECT: the rows. */
  rows<T = Row>(sql: string, params?: SqlValue[]): Promise<T[]>;
  /** INSERT/UPDATE/DELETE: affected rows and insert id. */
  exec(sql: string, params?: SqlValue[]): Promise<{ affectedRows: number; insertId: number }>;
}

/** One statement's result in Db.atomic: a write's counts, or a SELECT's rows. */
export interface AtomicResult {
  affectedRows: number;
  insertId: number;
  /** A SELECT's rows (absent for other statements). */
  rows?: Row[];
}

/** A transaction's statements (Db.tx). */
export interface Transaction extends Queryable {
  /**
   * The transaction's last write and its COMMIT in one round trip: a row lock the write takes
   * (a hot tier's stock row) is released by the server without waiting for this process to
   * read the reply and send the COMMIT — a wait that grows with the event loop's backlog. If the
   * write fails, nothing commits (the error is thrown and the transaction rolled back). Nothing
   * may follow it in the transaction.
   */
  execThenCommit(
    sql: string,
    params?: SqlValue[],
  ): Promise<{ affectedRows: number; insertId: number }>;
}

export interface Db extends Queryable {
  readonly database: string;
  /** Runs `fn` in one transaction: committed when it returns, rolled back when it throws. */
  tx<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * Runs the statements as one transaction in ONE round trip (`START TRANSACTION; ...;
   * COMMIT`). If a statement fails, the ones after it (the COMMIT included) do not run and the
   * transaction is rolled back; the error is thrown. For the hot path, where a row lock taken by
   * an UPDATE must not wait for another round trip before its COMMIT. Statements may pass values
   * between them in session variables (`SET @id = LAST_INSERT_ID()`).
   */
  atomic(
    statements: { sql: string; params?: SqlValue[] }[],
  ): Promise<AtomicResult[]>;
  /**
   * Makes sure the server session `threadId` (see `unknownOutcome`) has ended: KILLs it if it is
   * still there, then waits until the server no longer lists it. After true, a transaction that
   * session ran has either committed or never will, so looking its rows up tells which. False
   * when that cannot be established now (the database does not answer, or the session lingers).
   */
  endSession(threadId: number): Promise<boolean>;
  /** Reads that may come from a replica (DATABASE_READ_URL). */
  readonly read: Queryable;
  /** Connections in use and requests waiting for one (for /metrics). */
  poolStats(): { inUse: number; idle: number; waiting: number };
  close(): Promise<void>;
}

export interface DbOptions {
  url: string;
  readUrl?: string;
  poolSize: number;
  /** Longest a single statement may take before the client gives up on it. */
  queryTimeoutMs?: number;
}

/** The database name in a `mysql://` URL. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/**
 * Connection options for mysql2 from a URL, with boxoffice's fixed choices. `multiStatements`
 * only for the pools that send several statements in one round trip (the writer's Db.atomic,
 * the migrator); a read pool never needs it.
 */
export function connectionOptions(url: string, withDatabase = true, multiStatements = true) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || "root"),
    password: decodeURIComponent(u.password),
    database: withDatabase ? databaseName(url) : undefined,
    // Times are stored in UTC and converted by the driver; DECIMAL money comes back as numbers.
    timezone: "Z",
    decimalNumbers: true,
    supportBigNumbers: true,
    charset: "utf8mb4_unicode_ci",
    connectTimeout: 3000,
    enableKeepAlive: true,
    // No stack captured at every query for the error it might raise (2 % of a busy server's
    // CPU): a failed statement is classified and reported by our own code, with its own stack.
    trace: false,
    // For Db.atomic (one round trip per hot-path transaction). Every statement of the service
    // passes values as placeholders, so this widens nothing an attacker could reach.
    multipleStatements: multiStatements,
    // The service prepares no statements (query, never execute), and mysql2 allocates its cache
    // of them at full size with every connection: 16,000 slots, 512 kB a connection, 10 MB of
    // heap for a pool of 20 (a heap snapshot under bench mixed).
    maxPreparedStatements: 16,
  };
}

export function createDb(options: DbOptions): Db {
  const timeout = options.queryTimeoutMs ?? 10_000;
  const pool = makePool(options.url, options.poolSize, true);
  const readPool = options.readUrl ? makePool(options.readUrl, options.poolSize, false) : pool;
  const main = traced(queryable(pooled(pool, timeout), timeout));
  return {
    database: databaseName(options.url),
    ...main,
    read: readPool === pool ? main : traced(queryable(pooled(readPool, timeout), timeout)),
    async tx<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      let conn: MysqlConnection;
      try {
        conn = await connectionWithin(pool, timeout);
      } catch (e) {
        throw classify(e);
      }
      let broken = false;
      try {
        await conn.beginTransaction();
        let committed = false;
        const statements = traced(queryable(conn, timeout));
        const result = await fn({
          ...statements,
          async execThenCommit(sql, params = []) {
            if (committed) throw new Error("execThenCommit: the transaction is committed");
            const [results] = await inSpan(
              "mysql WRITE+COMMIT",
              { "db.system": "mysql", "db.query.text": sql.slice(0, 500) },
              () => conn.query({ sql: `${sql};\nCOMMIT`, timeout }, params),
            );
            committed = true;
            const header = (results as unknown as ResultSetHeader[])[0];
            return { affectedRows: header.affectedRows, insertId: Number(header.insertId) };
          },
        });
        if (!committed) await conn.commit();
        return result;
      } catch (e) {
        if (isQueryTimeout(e)) {
          // The statement still runs on this connection: a ROLLBACK would wait behind it.
          // Closing the connection rolls the transaction back on the server.
          broken = true;
        } else {
          try {
            await conn.rollback();
          } catch {
            // The connection is gone; the server rolls back on its own. Never reuse it.
            broken = true;
          }
        }
        throw classify(e);
      } finally {
        if (broken) conn.destroy();
        else conn.release();
      }
    },
    async atomic(statements) {
      let conn: MysqlConnection;
      try {
        conn = await connectionWithin(pool, timeout);
      } catch (e) {
        throw classify(e);
      }
      let broken = false;
      const sql = ["START TRANSACTION", ...statements.map((s) => s.sql), "COMMIT"].join(";\n");
      const params = statements.flatMap((s) => s.params ?? []);
      try {
        const [results] = await inSpan(
          "mysql ATOMIC",
          { "db.system": "mysql" },
          () => conn.query({ sql, timeout }, params),
        );
        const each = (results as unknown as (ResultSetHeader | Row[])[]).slice(1, -1);
        return each.map((r) =>
          Array.isArray(r)
            ? { affectedRows: 0, insertId: 0, rows: r }
            : { affectedRows: r.affectedRows, insertId: Number(r.insertId) }
        );
      } catch (e) {
        const thread = isOutcomeUnknown(e) ? conn.threadId : undefined;
        // Never reuse a connection in an unknown state, nor one whose query timed out.
        if (thread !== undefined || isQueryTimeout(e)) broken = true;
        else {
          try {
            await conn.query("ROLLBACK");
          } catch {
            broken = true;
          }
        }
        const error = classify(e);
        if (thread !== undefined && typeof error === "object" && error !== null) {
          markUnknownOutcome(error, thread);
        }
        throw error;
      } finally {
        if (broken) conn.destroy();
        else conn.release();
      }
    },
    endSession: (threadId: number) => endSession(main, threadId),
    poolStats() {
      // mysql2 keeps these on the callback pool; they are not part of its typed surface.
      const p = (pool as unknown as { pool: PoolInternals }).pool;
      const all = p._allConnections?.length ?? 0;
      const idle = p._freeConnections?.length ?? 0;
      return { inUse: all - idle, idle, waiting: p._connectionQueue?.length ?? 0 };
    },
    async close() {
      await pool.end();
      if (readPool !== pool) await readPool.end();
    },
  };
}

interface PoolInternals {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
}

/**
 * Requests that may wait for a connection, per pooled connection, before 503 at once. A flash
 * crowd's first second is thousands of requests; the line is there to bound memory, the wait
 * deadline (the query timeout) to bound how long one request may wait.
 */
export const POOL_QUEUE_PER_CONNECTION = 200;

/**
 * A connection from the pool within `waitMs`, or 503: mysql2 would let a request wait for one
 * forever. A connection that arrives after its request gave up goes straight back.
 */
async function connectionWithin(pool: MysqlPool, waitMs: number): Promise<MysqlConnection> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let gaveUp = false;
  const acquiring = pool.getConnection();
  try {
    return await Promise.race([
      acquiring,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          gaveUp = true;
          reject(unavailable("the database (no free connection)"));
        }, waitMs);
      }),
    ]);
  } catch (e) {
    if (gaveUp) acquiring.then((conn) => conn.release(), () => {});
    throw classify(e);
  } finally {
    clearTimeout(timer);
  }
}

/** `query` on a pooled connection taken within the deadline. */
function pooled(pool: MysqlPool, waitMs: number): Target {
  return {
    query: (async (options: unknown, params: unknown) => {
      const conn = await connectionWithin(pool, waitMs);
      let late = false;
      try {
        return await conn.query(options as never, params as never);
      } catch (e) {
        late = isQueryTimeout(e);
        throw e;
      } finally {
        // A statement past its deadline still runs on that connection: the next one would
        // queue behind it. Drop the connection (the server ends the statement) and let the pool
        // open a fresh one.
        if (late) conn.destroy();
        else conn.release();
      }
    }) as Target["query"],
  };
}

function makePool(url: string, size: number, multiStatements: boolean): MysqlPool {
  const pool = mysql.createPool({
    ...connectionOptions(url, true, multiStatements),
    connectionLimit: size,
    maxIdle: size,
    waitForConnections: true,
    // A bounded line: past it the database is as good as unavailable for this request, and a
    // quick 503 serves the client better than a wait that eats memory and ends in a timeout.
    queueLimit: size * POOL_QUEUE_PER_CONNECTION,
  });
  // Row locks are held only for a few statements; a long wait means something is wrong, and the
  // client is better served by a quick 503 than by a request that hangs.
  pool.pool.on("connection", (conn: { query(sql: string): void }) => {
    conn.query("SET SESSION time_zone = '+00:00', innodb_lock_wait_timeout = 5");
  });
  return pool;
}

type Target = Pick<MysqlPool, "query">;

function queryable(target: Target, timeout: number): Queryable {
  return {
    async rows<T>(sql: string, params: SqlValue[] = []): Promise<T[]> {
      try {
        const [rows] = await target.query({ sql, timeout }, params);
        return rows as T[];
      } catch (e) {
        throw classify(e);
      }
    },
    async exec(sql: string, params: SqlValue[] = []) {
      try {
        const [res] = await target.query({ sql, timeout }, params);
        const header = res as ResultSetHeader;
        return { affectedRows: header.affectedRows, insertId: Number(header.insertId) };
      } catch (e) {
        throw classify(e);
      }
    },
  };
}

/** Each statement a child span of the request (OTEL_DENO=true), named by its first word. */
function traced(q: Queryable): Queryable {
  const attributes = (sql: string) => ({
    "db.system": "mysql",
    "db.query.text": sql.slice(0, 500),
  });
  const name = (sql: string) => `mysql ${/^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? "QUERY"}`;
  return {
    rows: (sql, params) => inSpan(name(sql), attributes(sql), () => q.rows(sql, params)),
    exec: (sql, params) => inSpan(name(sql), attributes(sql), () => q.exec(sql, params)),
  };
}

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR",
  "POOL_CLOSED",
  "ER_CON_COUNT_ERROR",
  "ER_LOCK_WAIT_TIMEOUT",
  "ER_LOCK_DEADLOCK",
  // What InnoDB answers instead of a deadlock or lock wait timeout when the statement was waiting
  // for a table's AUTO-INC lock (an INSERT ... SELECT holds it): rolled back, worth a retry.
  "ER_AUTOINC_READ_FAILED",
  "ER_SERVER_SHUTDOWN",
  "ER_QUERY_INTERRUPTED",
  "ER_CONNECTION_KILLED",
]);

/** True when a driver error means the database cannot answer now (retry later), not a bug. */
export function isDbUnavailable(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
  const msg = e instanceof Error ? e.message : "";
  return /Connection lost|connect ETIMEDOUT|Query inactivity timeout|closed state|Pool is closed|Queue limit reached/i
    .test(msg);
}

/** mysql2's query deadline passed (the statement may still be running on the connection). */
export function isQueryTimeout(e: unknown): boolean {
  const cause = (e as { cause?: unknown })?.cause ?? e;
  return (cause as { code?: unknown })?.code === "PROTOCOL_SEQUENCE_TIMEOUT" ||
    (e as { code?: unknown })?.code === "PROTOCOL_SEQUENCE_TIMEOUT";
}

/** MySQL's duplicate-key error, which several flows turn into a domain answer. */
export function isDuplicateKey(e: unknown): boolean {
  const cause = (e as { cause?: unknown })?.cause ?? e;
  return (cause as { code?: unknown })?.code === "ER_DUP_ENTRY" ||
    (e as { code?: unknown })?.code === "ER_DUP_ENTRY";
}

function classify(e: unknown): unknown {
  return isDbUnavailable(e) ? unavailable("database", e) : e;
}
