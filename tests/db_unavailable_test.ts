// Which driver errors mean "the database cannot answer now" (503, retry) and which are a refusal
// or a bug. No store is opened (outside tests/unit/ only because lib/platform/db.ts could).
import assert from "node:assert/strict";
import { isDbUnavailable } from "#lib/platform/db.ts";
import { isDeadlockVictim, markUnknownOutcome } from "#lib/platform/db_outcome.ts";
import { unavailable } from "#lib/platform/errors.ts";

const error = (code: string, message = code) => Object.assign(new Error(message), { code });

Deno.test("isDbUnavailable: lock conflicts and lost connections are outages", () => {
  for (
    const code of [
      "ER_LOCK_DEADLOCK",
      "ER_LOCK_WAIT_TIMEOUT",
      // A deadlock met while waiting for a table's AUTO-INC lock (seen under group commit).
      "ER_AUTOINC_READ_FAILED",
      "PROTOCOL_CONNECTION_LOST",
      "ECONNREFUSED",
    ]
  ) {
    assert.equal(isDbUnavailable(error(code)), true, code);
  }
});

Deno.test("isDbUnavailable: refusals and bugs are not", () => {
  for (
    const code of [
      "ER_DUP_ENTRY",
      "ER_CHECK_CONSTRAINT_VIOLATED",
      "ER_DATA_TOO_LONG",
      "ER_PARSE_ERROR",
    ]
  ) {
    assert.equal(isDbUnavailable(error(code)), false, code);
  }
});

Deno.test("isDeadlockVictim: rolled back whole, worth sending again; nothing else is", () => {
  for (const code of ["ER_LOCK_DEADLOCK", "ER_AUTOINC_READ_FAILED"]) {
    // As Db throws it (an UNAVAILABLE AppError around the driver's error), and bare.
    assert.equal(isDeadlockVictim(unavailable("database", error(code))), true, code);
    assert.equal(isDeadlockVictim(error(code)), true, code);
  }
  // A lock wait timeout rolls back the statement, not the transaction; a lost connection may
  // have committed: neither is sent again.
  for (const code of ["ER_LOCK_WAIT_TIMEOUT", "PROTOCOL_CONNECTION_LOST", "ER_DUP_ENTRY"]) {
    assert.equal(isDeadlockVictim(unavailable("database", error(code))), false, code);
  }
  const unknown = unavailable("database", error("ER_LOCK_DEADLOCK"));
  markUnknownOutcome(unknown, 42);
  assert.equal(isDeadlockVictim(unknown), false, "an unknown outcome is never sent again");
});
