/**
 * The layout rules of README's "Layout" section that a machine can check: no import cycle among
 * the files main.ts loads, no module under lib/ over 400 lines, and tests/unit/ reaching no code
 * that opens a store (so `deno task test:unit` runs with no MariaDB or Redis).
 */
import assert from "node:assert/strict";
import { findCycles, importGraphOf } from "../tools/import_graph.ts";

const root = new URL("..", import.meta.url);
const MAX_LINES = 400;

Deno.test("layout: no import cycle among main.ts's own files", async () => {
  const cycles = findCycles(await importGraphOf("main.ts", root.href));
  assert.deepEqual(cycles.map((c) => c.join(" ↔ ")), []);
});

Deno.test(`layout: no TypeScript file under lib/ is over ${MAX_LINES} lines`, async () => {
  const over: string[] = [];
  for await (const path of tsFiles(new URL("lib/", root))) {
    const lines = (await Deno.readTextFile(path)).split("\n").length - 1;
    if (lines > MAX_LINES) over.push(`${path.pathname.slice(root.pathname.length)}: ${lines}`);
  }
  assert.deepEqual(over, []);
});

Deno.test("layout: tests/unit/ imports nothing that opens a store", async () => {
  const storeModules = [
    "lib/boot.ts",
    "lib/platform/db.ts",
    "lib/platform/redis.ts",
    "dev/local_stores.ts",
    "tests/support/env.ts",
  ];
  let files = 0;
  for await (const path of tsFiles(new URL("tests/unit/", root))) {
    files++;
    const file = path.pathname.slice(root.pathname.length);
    const graph = await importGraphOf(file, root.href);
    assert.ok(graph.size > 1, file);
    const reached = storeModules.filter((m) => graph.has(m));
    assert.deepEqual(reached, [], `${file} loads ${reached.join(", ")}`);
  }
  assert.ok(files > 0);
});

async function* tsFiles(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* tsFiles(url);
    else if (entry.name.endsWith(".ts")) yield url;
  }
}
