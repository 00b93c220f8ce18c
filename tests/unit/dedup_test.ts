import assert from "node:assert/strict";
import { dedupKeyFor, fingerprintHash, fingerprintOf } from "#lib/orders/dedup.ts";
import { AppError } from "#lib/platform/errors.ts";

const request = { ticketId: 7, quantity: 2, slots: ["12", "11"] };

Deno.test("fingerprintOf: the same request in any slot order, the same fingerprint", () => {
  assert.equal(fingerprintOf(request), fingerprintOf({ ...request, slots: ["11", "12"] }));
  assert.equal(fingerprintOf(request), fingerprintOf({ ...request }));
});

Deno.test("fingerprintOf: another tier, quantity or slot is another fingerprint", () => {
  const others = [
    { ...request, ticketId: 8 },
    { ...request, quantity: 3 },
    { ...request, slots: ["11", "13"] },
    { ...request, slots: ["11"] },
    { ...request, slots: ["11@2026113010", "12@2026113010"] },
  ];
  const all = new Set([request, ...others].map(fingerprintOf));
  assert.equal(all.size, others.length + 1);
});

Deno.test("fingerprintHash: stable, short, base-36", () => {
  assert.equal(fingerprintHash("7|2|11,12"), fingerprintHash("7|2|11,12"));
  assert.notEqual(fingerprintHash("7|2|11,12"), fingerprintHash("7|2|11,21"));
  assert.notEqual(fingerprintHash(""), fingerprintHash("\0"));
  assert.match(fingerprintHash("7|2|11,12"), /^[0-9a-z]{2,14}$/);
  // 10,000 nearby fingerprints: no two alike.
  const seen = new Set<string>();
  for (let t = 0; t < 100; t++) {
    for (let q = 1; q <= 100; q++) seen.add(fingerprintHash(`${t}|${q}|`));
  }
  assert.equal(seen.size, 10_000);
});

Deno.test("dedupKeyFor: an Idempotency-Key wins, kept a day", () => {
  assert.deepEqual(dedupKeyFor("abc-1", 5, request), {
    key: "k:abc-1",
    ttlMs: 24 * 3600_000,
    explicit: true,
  });
  assert.deepEqual(dedupKeyFor("abc-1", 0, request)?.key, "k:abc-1");
});

Deno.test("dedupKeyFor: without one, the fingerprint for the window; none when it is 0", () => {
  assert.deepEqual(dedupKeyFor(undefined, 5, request), {
    key: `f:${fingerprintOf(request)}`,
    ttlMs: 5000,
    explicit: false,
  });
  assert.equal(dedupKeyFor(undefined, 0, request), undefined);
});

Deno.test("dedupKeyFor: an Idempotency-Key must be 1-128 printable ASCII characters", () => {
  for (const bad of ["", "a b", "é", "x".repeat(129), "tab\t"]) {
    assert.throws(
      () => dedupKeyFor(bad, 5, request),
      (e) => e instanceof AppError && e.code === "VALIDATION_FAILED",
      JSON.stringify(bad),
    );
  }
  assert.equal(dedupKeyFor("x".repeat(128), 5, request)?.key, `k:${"x".repeat(128)}`);
});
