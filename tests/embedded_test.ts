// The Lua scripts and SQL migrations are embedded by static imports; these tests keep the lists
// in lib/ equal to the files on disk and hold every script to its header convention.
import assert from "node:assert/strict";
import { MIGRATIONS } from "#lib/platform/migrations.ts";
import { includesOf } from "#lib/platform/lua_includes.ts";
import { INCLUDE_SOURCES, SCRIPT_FILES, SCRIPT_SOURCES } from "#lib/platform/scripts.ts";

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
  assert.deepEqual(Object.keys(SCRIPT_FILES).map((n) => `${n}.lua`).sort(), files);
  for (const [name, source] of Object.entries(SCRIPT_FILES)) {
    assert.equal(source, await Deno.readTextFile(`${root}lua/${name}.lua`));
    const header = /^--\[\[([\s\S]*?)\]\]/.exec(source)?.[1];
    assert.ok(header, `${name}.lua has no header comment`);
    assert.match(header, new RegExp(`^\\s*${name}:`), `${name}.lua header starts with its name`);
    assert.match(header, /KEYS\[1\]/, `${name}.lua header lists KEYS`);
    assert.match(header, /ARGV\[1\]/, `${name}.lua header lists ARGV`);
    assert.match(header, /Returns/, `${name}.lua header says what it returns`);
    for (const path of includesOf(source)) {
      assert.match(header, new RegExp(`^Includes .*${path}`, "m"), `${name}.lua names ${path}`);
    }
  }
});

Deno.test("every file in lua/includes/ is listed, documented, used, and spliced", async () => {
  const files = await filesIn("lua/includes", ".lua");
  assert.deepEqual(
    Object.keys(INCLUDE_SOURCES).map((p) => `${p.slice("includes/".length)}.lua`).sort(),
    files,
  );
  const used = new Set(Object.values(SCRIPT_FILES).flatMap(includesOf));
  for (const [path, source] of Object.entries(INCLUDE_SOURCES)) {
    assert.equal(source, await Deno.readTextFile(`${root}lua/${path}.lua`));
    const name = path.slice("includes/".length);
    assert.match(source, new RegExp(`^--\\[\\[\\s*${name} \\(include\\):`), `${path}: header`);
    assert.ok(used.has(path), `${path}.lua is included by no script`);
  }
  for (const [name, source] of Object.entries(SCRIPT_SOURCES)) {
    assert.deepEqual(includesOf(source), [], `${name}: an @include left unspliced`);
    // Spliced after the header: the header is still the first thing Redis (and SCRIPT LOAD's
    // reader) sees, and the script's own lines follow unchanged.
    const file = SCRIPT_FILES[name as keyof typeof SCRIPT_FILES];
    const header = /^--\[\[[\s\S]*?\]\]\n/.exec(file)![0];
    assert.ok(source.startsWith(header), `${name}: header first`);
    for (const line of file.split("\n").filter((l) => !includesOf(l).length)) {
      assert.ok(source.includes(line), `${name}: lost ${line}`);
    }
  }
});

Deno.test("the slot-taken rule is written once in lua/: in includes/slots.lua", () => {
  // Its telltales: the disabled-set test and the parse of a hold's owner.
  const telltales = [/SISMEMBER/, /\^\(%d\+\)\|/];
  for (const [name, source] of Object.entries(SCRIPT_FILES)) {
    for (const t of telltales) assert.doesNotMatch(source, t, `lua/${name}.lua repeats ${t}`);
  }
  for (const t of telltales) assert.match(INCLUDE_SOURCES["includes/slots"], t);
  for (const name of ["reserve", "hold-seats", "read-slots", "release-holds"] as const) {
    assert.ok(includesOf(SCRIPT_FILES[name]).includes("includes/slots"), name);
  }
});
