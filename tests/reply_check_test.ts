/**
 * A route whose reply breaks its declared `data` schema is caught at run time (types cannot see
 * extra fields of a wider record, nor JSON text rendered ahead): with the check on, the client
 * gets a 500 and the log names the route and the field.
 */
import assert from "node:assert/strict";
import { z } from "#deps";
import { createApp } from "#http/app.ts";
import { defineRoute, type ManifestEntry } from "#http/route.ts";
import { TimeOut } from "#http/schemas.ts";
import type { Fields, Logger } from "#lib/platform/log.ts";
import { JsonText } from "#lib/platform/json_text.ts";
import { testEnv } from "./support/env.ts";
import { createSeatedSale } from "./support/seating.ts";

const Account = z.object({ id: z.number().int(), name: z.string(), createdAt: TimeOut });

/** A lib-style record with a field the route does not mean to publish. */
interface AccountRow {
  id: number;
  name: string;
  createdAt: Date;
  passwordHash: string;
}
const row: AccountRow = { id: 1, name: "ann", createdAt: new Date(), passwordHash: "$2b$..." };

const entries: ManifestEntry[] = [
  {
    path: "/t/good",
    file: "t/good.ts",
    module: {
      GET: defineRoute({
        summary: "as declared",
        auth: "public",
        data: Account,
        handler: () => ({ id: row.id, name: row.name, createdAt: row.createdAt }),
      }),
    },
  },
  {
    path: "/t/leaks",
    file: "t/leaks.ts",
    module: {
      GET: defineRoute({
        summary: "extra field",
        auth: "public",
        data: Account,
        handler: () => row,
      }),
    },
  },
  {
    path: "/t/text",
    file: "t/text.ts",
    module: {
      GET: defineRoute({
        summary: "rendered ahead, wrongly",
        auth: "public",
        data: Account,
        handler: () => new JsonText('{"id":"1","name":"ann","createdAt":"2026-12-01T00:00:00Z"}'),
      }),
    },
  },
];

function capture(lines: { msg: string; fields?: Fields }[]): Logger {
  const keep = (msg: string, fields?: Fields) => lines.push({ msg, fields });
  return { debug: keep, info: () => {}, infoRendered: () => {}, warn: keep, error: keep };
}

Deno.test("reply check: a reply that breaks its schema is a logged 500; off, it goes out", async () => {
  const t = await testEnv();
  try {
    const logged: { msg: string; fields?: Fields }[] = [];
    const checked = createApp({ ...t.ctx, log: capture(logged) }, entries, { checkReplies: true });
    const good = await checked.request("/t/good");
    assert.equal(good.status, 200);
    assert.equal((await good.json()).data.name, "ann");
    assert.equal(logged.length, 0);

    const leaks = await checked.request("/t/leaks");
    assert.equal(leaks.status, 500);
    const body = await leaks.json();
    assert.equal(body.error, "INTERNAL");
    assert.ok(!JSON.stringify(body).includes("passwordHash"));
    assert.equal(logged.length, 1);
    assert.equal(logged[0].msg, "unhandled error");
    assert.equal(
      logged[0].fields?.error,
      "reply of GET /t/leaks breaks its schema: data.passwordHash: not declared in the route's " +
        "data schema",
    );

    const text = await checked.request("/t/text");
    assert.equal(text.status, 500);
    await text.body?.cancel();
    assert.match(
      String(logged[1].fields?.error),
      /^reply of GET \/t\/text breaks its schema: data\.id: /,
    );

    // Off (production), the check is not made: the same replies go out as they are.
    const unchecked = createApp(t.ctx, entries, { checkReplies: false });
    const sent = await unchecked.request("/t/leaks");
    assert.equal(sent.status, 200);
    assert.equal((await sent.json()).data.passwordHash, row.passwordHash);
  } finally {
    await t.close();
  }
});

Deno.test("reply check: deno task test turns it on for every app of the suite", () => {
  // tools/run_tests.ts sets the variable; a bare `deno test` run may leave it off.
  if (Deno.env.get("BOXOFFICE_TEST_RUN") === undefined) return;
  assert.equal(Deno.env.get("BOXOFFICE_CHECK_REPLIES"), "1");
});

// The routes no other test of the suite gets a success from, called once so that their replies
// are checked against their schemas too (with the reply check on, a mismatch fails here).
Deno.test("reply check: the seat-consistency batch, cleanup and health routes", async () => {
  const t = await testEnv();
  try {
    const sale = await createSeatedSale(t, { rows: 1, cols: 3 });
    const token = sale.adminToken;
    const seatIds = sale.seatIds.slice(0, 2);
    const buyer = await t.user();
    const order = await t.call("POST", "/api/order/create", {
      token: buyer.token,
      body: { seatIds: [seatIds[0]] },
    });
    assert.equal(order.status, 200, JSON.stringify(order.body));
    const replies = [
      await t.call("POST", "/api/seat-consistency/status/batch", {
        token,
        body: { sessionId: sale.sessionId, seatIds },
      }),
      await t.call("POST", "/api/seat-consistency/verify/batch", {
        token,
        body: { sessionId: sale.sessionId, seatIds },
      }),
      await t.call("POST", `/api/seat-consistency/cleanup?sessionId=${sale.sessionId}`, { token }),
      await t.call("GET", "/api/seat-consistency/health", { token }),
    ];
    for (const r of replies) assert.equal(r.status, 200, JSON.stringify(r.body));
    const [status, verify] = replies.map((r) => r.body.data) as [
      { seatId: number; consistent: boolean }[],
      { checked: number },
    ];
    assert.deepEqual(status.map((s) => s.seatId), seatIds);
    assert.ok(status.every((s) => s.consistent));
    assert.equal(verify.checked, 2);
  } finally {
    await t.close();
  }
});
