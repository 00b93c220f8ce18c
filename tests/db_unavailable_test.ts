// Which driver errors mean "the database cannot answer now" (503, retry) and which are a refusal
// or a bug. No store is opened (outside tests/unit/ only because lib/platform/db.ts could).
import assert from "node:assert/strict";
import { isDbUnavailable } from "#lib/platform/db.ts";

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
