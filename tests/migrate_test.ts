import assert from "node:assert/strict";
import { mysql } from "#deps";
import { connectionOptions } from "#lib/platform/db.ts";
import { migrate } from "#lib/platform/migrate.ts";
import { MIGRATIONS } from "#lib/platform/migrations.ts";
import { dropDatabase, testStores, uniqueName } from "./support/env.ts";

Deno.test("migrations: created once, applied once, also by several processes at once", async () => {
  const { databaseUrl: server } = await testStores();
  const name = uniqueName();
  const url = new URL(server);
  url.pathname = `/${name}`;
  try {
    const results = await Promise.all(Array.from({ length: 4 }, () => migrate(url.toString())));
    assert.equal(results.filter((r) => r.applied.length > 0).length, 1);
    assert.deepEqual(
      results.flatMap((r) => r.applied),
      MIGRATIONS.map((m) => m.name),
    );
    const again = await migrate(url.toString());
    assert.deepEqual(again, { created: false, applied: [] });
    const conn = await mysql.createConnection(connectionOptions(url.toString()));
    try {
      const [rows] = await conn.query("SELECT version FROM schema_migrations ORDER BY version");
      assert.deepEqual(
        (rows as { version: number }[]).map((r) => r.version),
        MIGRATIONS.map((m) => m.version),
      );
    } finally {
      await conn.end();
    }
  } finally {
    await dropDatabase(server, name);
  }
});

Deno.test("migrations: a changed, already-applied migration stops the start", async () => {
  const { databaseUrl: server } = await testStores();
  const name = uniqueName();
  const url = new URL(server);
  url.pathname = `/${name}`;
  try {
    await migrate(url.toString());
    const changed = MIGRATIONS.map((m, i) => i === 0 ? { ...m, sql: m.sql + "\n-- edited\n" } : m);
    await assert.rejects(
      () => migrate(url.toString(), changed),
      /was changed after it was applied/,
    );
  } finally {
    await dropDatabase(server, name);
  }
});
