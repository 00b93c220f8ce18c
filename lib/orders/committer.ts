/**
 * The MySQL step of a create: its transaction (order, items, status log, seat claims, buyer
 * total, conditional stock update), written alone (ORDER_BATCH=off) or by the process's group
 * committer together with the other creates queued at the same moment — one transaction, one
 * round trip, one stock UPDATE per tier for the whole batch. A hot tier's row is then locked once
 * per batch instead of once per order.
 *
 * Every create learns the outcome of its own order:
 * - committed: its row is in MySQL (written now, or found after an unknown outcome), with the
 *   generation of its session's Redis state that the transaction read (create.ts uses it to
 *   skip the post-commit check);
 * - a thrown error: it is surely not in MySQL (its reservation may be released). A batch that a
 *   guard refuses (stock CHECK, buyer limit CHECK, a seat claimed twice, a duplicate key, a value
 *   that does not fit) is split in two, each half retried, until the offending orders are alone:
 *   only they get the error, the others commit;
 * - unknown: the connection failed after the statements were sent and the outcome could not be
 *   established now (the database does not answer). The create answers 503 and its reservation
 *   stays; `later` keeps trying in the background (about a minute) and says how it ended, so a
 *   create whose order never committed gives its reservation back as soon as MySQL answers again.
 *   A process that dies meanwhile leaves it to the reconcile job (after its grace period).
 * An unknown outcome is resolved before anyone is answered: the server session that ran the
 * transaction is ended (Db.endSession), then the order numbers are looked up. A transaction that
 * InnoDB rolled back as a deadlock's victim is sent again (DEADLOCK_RETRIES times at most) before
 * anyone is answered: no create of it did anything wrong, and a 503 would send them all back.
 */
import { clearImmediate, setImmediate } from "node:timers";
import type { AppContext } from "#lib/platform/context.ts";
import { isDeadlockVictim, unknownOutcome } from "#lib/platform/db_outcome.ts";
import { isAppError } from "#lib/platform/errors.ts";
import { errorFields } from "#lib/platform/log.ts";
import { recordDeadlockRetry, recordOrderBatch } from "#lib/platform/metrics.ts";
import type { AtomicResult } from "#lib/platform/db.ts";
import {
  batchStatements,
  generationsRead,
  type NewOrderRow,
  orderStatements,
  type Statement,
} from "./statements.ts";

/** Committed, or unknown now: `later` is true (committed), false (not), undefined (gave up). */
export type WriteOutcome = Committed | { later: Promise<boolean | undefined> };

/**
 * Committed. `generation`: the generation of the order's session that its transaction read
 * under a shared lock (statements.ts generationsStatement); undefined when not known (none
 * recorded yet, or the commit was established by looking the order up).
 */
export interface Committed {
  committed: true;
  generation?: number;
}

const COMMITTED_UNREAD: Committed = { committed: true };

/** The outcome of each order of a committed transaction, from its generations read. */
function committedOutcomes(
  rows: readonly NewOrderRow[],
  results: readonly AtomicResult[],
): Committed[] {
  const generations = generationsRead(
    results[0]?.rows as { session_id: number; generation: number }[] | undefined,
  );
  return rows.map((row) => {
    const generation = generations.get(row.sessionId);
    return generation === undefined ? COMMITTED_UNREAD : { committed: true, generation };
  });
}

/** Writes one create's transaction; see the module comment for the outcomes. */
export function writeOrder(ctx: AppContext, row: NewOrderRow): Promise<WriteOutcome> {
  if (!ctx.config.orderBatch) return writeAlone(ctx, row);
  return committerOf(ctx).submit(row);
}

/** Times a transaction that was a deadlock's victim is sent again. */
const DEADLOCK_RETRIES = 2;

/**
 * Db.atomic, sending again a transaction InnoDB rolled back as a deadlock's victim (nothing of
 * it committed), DEADLOCK_RETRIES times at most; any other failure, or the last deadlock, is
 * thrown.
 */
async function atomicRetryingDeadlocks(
  ctx: AppContext,
  statements: Statement[],
): Promise<AtomicResult[]> {
  for (let attempt = 0;; attempt++) {
    try {
      return await ctx.db.atomic(statements);
    } catch (e) {
      if (attempt === DEADLOCK_RETRIES || !isDeadlockVictim(e)) throw e;
      recordDeadlockRetry();
      ctx.log.warn("order transaction was a deadlock's victim: sent again", {
        attempt: attempt + 1,
        ...errorFields(e),
      });
    }
  }
}

async function writeAlone(ctx: AppContext, row: NewOrderRow): Promise<WriteOutcome> {
  try {
    return committedOutcomes([row], await atomicRetryingDeadlocks(ctx, orderStatements(row)))[0];
  } catch (e) {
    return await settleFailure(ctx, [row.orderNo], e);
  }
}

/**
 * After a failed transaction: rethrows `e` when nothing was committed for sure; when the outcome
 * is unknown, ends the session that ran it and looks the orders up. All or nothing: the orders
 * of one transaction are all there or none is.
 */
async function settleFailure(
  ctx: AppContext,
  orderNos: string[],
  e: unknown,
): Promise<WriteOutcome> {
  const thread = unknownOutcome(e);
  if (thread === undefined) throw e;
  const committed = await lookUpAfterUnknown(ctx, thread, orderNos);
  ctx.log.warn("order commit outcome was unknown", {
    orders: orderNos.length,
    first: orderNos[0],
    resolved: committed === undefined ? "not now: retried in the background" : committed,
    ...errorFields(e),
  });
  if (committed === undefined) return { later: settleLater(ctx, thread, orderNos) };
  if (committed) return COMMITTED_UNREAD;
  throw e;
}

/**
 * Waits between the background attempts to settle an unknown outcome: about a minute in all,
 * never more than 2 s apart. The reservation is held until then, and its buyer's retries wait
 * for it (dedup.ts, at most 10 s before "still being processed"): with waits doubling up to 30 s,
 * an outage of 10 s left a batch's tickets held 15 s after MariaDB was back, while the rest of
 * the sale was told SOLD_OUT (fault drill 2 met it once). Each attempt while the database is down
 * is one failed connection.
 */
const SETTLE_DELAYS_MS = [500, 1000, ...Array<number>(29).fill(2000)];

/** Looks again until the database answers; undefined after the last attempt. */
async function settleLater(
  ctx: AppContext,
  thread: number,
  orderNos: string[],
): Promise<boolean | undefined> {
  for (const delay of SETTLE_DELAYS_MS) {
    // Unref'd: a process shutting down does not wait for these; reconcile is the backstop.
    await new Promise((r) => Deno.unrefTimer(setTimeout(r, delay)));
    const committed = await lookUpAfterUnknown(ctx, thread, orderNos);
    if (committed !== undefined) {
      ctx.log.warn("order commit outcome settled", { first: orderNos[0], committed });
      return committed;
    }
  }
  return undefined;
}

/** Whether the orders are in MySQL once the session that wrote them ended; undefined: unknown. */
async function lookUpAfterUnknown(
  ctx: AppContext,
  thread: number,
  orderNos: string[],
): Promise<boolean | undefined> {
  if (!(await ctx.db.endSession(thread))) return undefined;
  try {
    const found = await ctx.db.rows<{ order_no: string }>(
      `SELECT order_no FROM orders WHERE order_no IN (${orderNos.map(() => "?").join(", ")})`,
      orderNos,
    );
    return found.length > 0;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ group commit

interface Queued {
  row: NewOrderRow;
  resolve(outcome: WriteOutcome): void;
  reject(e: unknown): void;
}

/**
 * Batches in flight at once. More than one lets the next batch's inserts run while the previous
 * one holds the hot row for its COMMIT; the row lock serialises them where they meet.
 */
const MAX_IN_FLIGHT = 4;

/**
 * The queue of one process's creates waiting for a transaction. A batch leaves when it is full
 * (ORDER_BATCH_MAX), or ORDER_BATCH_WAIT_MS after its first order queued, and only while fewer
 * than MAX_IN_FLIGHT are in flight: under load, creates gather while earlier batches commit, so
 * batches grow with the load without any wait at all.
 */
export class Committer {
  #queue: Queued[] = [];
  #inFlight = 0;
  #timer: Deferred | undefined;
  #due = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly max: number,
    private readonly waitMs: number,
  ) {}

  submit(row: NewOrderRow): Promise<WriteOutcome> {
    return new Promise<WriteOutcome>((resolve, reject) => {
      this.#queue.push({ row, resolve, reject });
      this.#schedule();
    });
  }

  /** Creates queued or in flight (for tests and shutdown). */
  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }

  #schedule(): void {
    if (this.#queue.length === 0) return;
    if (this.#queue.length >= this.max || this.#due) {
      this.#flush();
      return;
    }
    // The first order of a batch: it leaves after the wait (at least one turn of the event
    // loop, so the creates of the same moment join it).
    this.#timer ??= after(this.waitMs, () => {
      this.#timer = undefined;
      this.#due = true;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#inFlight < MAX_IN_FLIGHT) {
      const batch = this.#queue.splice(0, this.max);
      this.#inFlight++;
      this.#run(batch).finally(() => {
        this.#inFlight--;
        this.#schedule();
      });
    }
    if (this.#queue.length === 0) {
      this.#due = false;
      this.#timer?.cancel();
      this.#timer = undefined;
    }
  }

  /** Commits `batch`, splitting it around the orders a guard refuses. Never throws. */
  async #run(batch: Queued[]): Promise<void> {
    recordOrderBatch(batch.length);
    try {
      const rows = batch.map((q) => q.row);
      const results = await atomicRetryingDeadlocks(this.ctx, batchStatements(rows));
      const outcomes = committedOutcomes(rows, results);
      batch.forEach((q, i) => q.resolve(outcomes[i]));
      return;
    } catch (e) {
      if (batch.length > 1 && isOrderSpecific(e)) {
        const half = Math.ceil(batch.length / 2);
        // One half after the other: the first half's stock is counted before the second's.
        await this.#run(batch.slice(0, half));
        await this.#run(batch.slice(half));
        return;
      }
      try {
        const outcome = await settleFailure(this.ctx, batch.map((q) => q.row.orderNo), e);
        for (const q of batch) q.resolve(outcome);
      } catch (failure) {
        for (const q of batch) q.reject(failure);
      }
    }
  }
}

interface Deferred {
  cancel(): void;
}

/**
 * `run` after `ms`; with no wait, at the end of this turn of the event loop (after the I/O it
 * is handling). Not a 0 ms timer: Deno runs that 1-2 ms later, which every create of a quiet
 * sale paid (about a third of its median in bench mixed).
 */
function after(ms: number, run: () => void): Deferred {
  if (ms > 0) {
    const timer = setTimeout(run, ms);
    return { cancel: () => clearTimeout(timer) };
  }
  const immediate = setImmediate(run);
  return { cancel: () => clearImmediate(immediate) };
}

/**
 * An error some order of the batch caused (a guard or a value the server refused): another
 * batch without that order may commit. Not an unavailable database, a lock timeout or a
 * deadlock, which would fail every part alike; nor an unknown outcome.
 */
function isOrderSpecific(e: unknown): boolean {
  // Db classifies the database's unavailability (lock timeouts and deadlocks included) as an
  // AppError; what is left with an SQLSTATE is the server refusing a statement.
  if (isAppError(e) || unknownOutcome(e) !== undefined) return false;
  return typeof (e as { sqlState?: unknown })?.sqlState === "string";
}

const committers = new WeakMap<AppContext, Committer>();

/** The process's committer for this context (one queue per context, made on first use). */
export function committerOf(ctx: AppContext): Committer {
  let c = committers.get(ctx);
  if (!c) {
    c = new Committer(ctx, ctx.config.orderBatchMax, ctx.config.orderBatchWaitMs);
    committers.set(ctx, c);
  }
  return c;
}
