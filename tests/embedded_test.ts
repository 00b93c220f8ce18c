// The Lua scripts and SQL migrations are embedded by static imports; these tests keep the lists
// in lib/ equal to the files on disk and hold every script to its header convention.
import assert from "node:assert/strict";
import { MIGRATIONS } from "#lib/platform/migrations.ts";
import { SCRIPT_SOURCES } from "#lib/platform/scripts.ts";

const root = new URL("..", import.meta.url).pathname;

async function filesIn(dir: string, ext: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${root}${dir}`)) if (e.name.endsWith(ext)) out.push(e.name);
  return out.sort();
}

Deno.test("every file in migrations/ is listed, numbered in order", async () => {
  const files = await filesIn("migrations", ".sql");
  assert.deepEqual(MIGRATIONS.map((m) => m.name), files);
  // Strictly increasing, not necessarily contiguous: branches reserve numbers (a branch may land
  // 004 before another lands 003), and the migrator applies whatever is missing in order.
  MIGRATIONS.forEach((m, i) => {
    if (i > 0) assert.ok(m.version > MIGRATIONS[i - 1].version, m.name);
    assert.ok(m.name.startsWith(String(m.version).padStart(3, "0") + "_"));
  });
});

Deno.test("every file in lua/ is listed and readable on its own", async () => {
  const files = await filesIn("lua", ".lua");
  assert.deepEqual(Object.keys(SCRIPT_SOURCES).map((n) => `${n}.lua`).sort(), files);
  for (const [name, source] of Object.entries(SCRIPT_SOURCES)) {
    const header = /^--\[\[([\s\S]*?)\]\]/.exec(source)?.[1];
    assert.ok(header, `${name}.lua has no header comment`);
    assert.match(header, new RegExp(`^\\s*${name}:`), `${name}.lua header starts with its name`);
    assert.match(header, /KEYS\[1\]/, `${name}.lua header lists KEYS`);
    assert.match(header, /ARGV\[1\]/, `${name}.lua header lists ARGV`);
    assert.match(header, /Returns/, `${name}.lua header says what it returns`);
  }
});
