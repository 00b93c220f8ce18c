/**
 * Db.atomic calls whose outcome is unknown: the statements were sent, or may have been, and the
 * connection failed (lost, timed out, killed) before the reply said how they ended — the COMMIT
 * may have happened. Such an error carries the server session (thread id) that ran the call;
 * `endSession` makes sure that session is over, after which a look at the rows tells the outcome.
 */
import type { Queryable } from "./db.ts";

/** How long endSession waits for a killed session to be gone. */
const END_SESSION_WAIT_MS = 5_000;

const unknownOutcomes = new WeakMap<object, number>();

/** Db.atomic: `error` (what it throws) left its outcome unknown; `thread` ran it. */
export function markUnknownOutcome(error: unknown, thread: number): void {
  if (typeof error === "object" && error !== null) unknownOutcomes.set(error, thread);
}

/**
 * The server session (thread id) of a failed Db.atomic call whose outcome is unknown; undefined
 * for a failure that surely committed nothing (the server reported a statement's error, or no
 * connection was had). Resolve with `Db.endSession` and then a look at the rows.
 */
export function unknownOutcome(e: unknown): number | undefined {
  return typeof e === "object" && e !== null ? unknownOutcomes.get(e) : undefined;
}

/**
 * InnoDB chose this transaction as a deadlock's victim and rolled it back whole: nothing of it
 * committed, and the same statements sent again usually commit (the other transaction now holds
 * its locks, so this one waits for them instead). ER_AUTOINC_READ_FAILED is what InnoDB answers
 * instead of a deadlock when the victim was waiting for a table's AUTO-INC lock. `e` as Db throws
 * it (an UNAVAILABLE AppError whose cause is the driver's error) or the driver's error itself.
 */
export function isDeadlockVictim(e: unknown): boolean {
  if (unknownOutcome(e) !== undefined) return false;
  const cause = (e as { cause?: unknown })?.cause ?? e;
  const code = (cause as { code?: unknown })?.code;
  return code === "ER_LOCK_DEADLOCK" || code === "ER_AUTOINC_READ_FAILED";
}

/** The connection broke or timed out, or the server ended the session: no reply to trust. */
export function isOutcomeUnknown(e: unknown): boolean {
  const err = e as { fatal?: boolean; code?: string };
  return err?.fatal === true ||
    [
      "PROTOCOL_SEQUENCE_TIMEOUT",
      "ER_SERVER_SHUTDOWN",
      "ER_CONNECTION_KILLED",
      "ER_QUERY_INTERRUPTED",
    ].includes(String(err?.code)) ||
    /Query inactivity timeout|Connection lost|closed state/i.test(
      e instanceof Error ? e.message : "",
    );
}

/**
 * Makes sure the server session `threadId` has ended: KILLs it if the server still lists it
 * (only a session of our own user), then waits until it is gone. True: a transaction it ran has
 * committed or never will. False when that cannot be established now.
 */
export async function endSession(db: Queryable, threadId: number): Promise<boolean> {
  const listed = async () => {
    const [row] = await db.rows<{ n: number }>(
      `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
        WHERE ID = ? AND USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1)`,
      [threadId],
    );
    return Number(row.n) > 0;
  };
  try {
    if (!(await listed())) return true;
    await db.exec(`KILL CONNECTION ${Number(threadId)}`).catch((e) => {
      // 1094: no such thread (it ended between the two statements).
      const errno = (e as { errno?: number; cause?: { errno?: number } })?.cause?.errno ??
        (e as { errno?: number })?.errno;
      if (errno !== 1094) throw e;
    });
    // KILL only flags the session; it ends (rolled back, or done committing) shortly after.
    const deadline = Date.now() + END_SESSION_WAIT_MS;
    while (await listed()) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  } catch {
    return false;
  }
}
