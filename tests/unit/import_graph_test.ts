import assert from "node:assert/strict";
import {
  type DenoInfo,
  findCycles,
  type ImportGraph,
  loadedFrom,
  localGraph,
} from "../../tools/import_graph.ts";

const graph = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

Deno.test("findCycles: none in a tree or a diamond", () => {
  assert.deepEqual(findCycles(graph({})), []);
  assert.deepEqual(findCycles(graph({ a: ["b", "c"], b: ["d"], c: ["d"], d: [] })), []);
});

Deno.test("findCycles: a pair, a longer loop, a file importing itself", () => {
  assert.deepEqual(findCycles(graph({ gate: ["rebuild"], rebuild: ["gate"] })), [[
    "gate",
    "rebuild",
  ]]);
  assert.deepEqual(
    findCycles(graph({ main: ["a"], a: ["b"], b: ["c"], c: ["a", "d"], d: [], e: ["e"] })),
    [["a", "b", "c"], ["e"]],
  );
});

Deno.test("findCycles: two separate cycles and one that joins through a shared file", () => {
  assert.deepEqual(
    findCycles(graph({ a: ["b"], b: ["a"], x: ["y"], y: ["x"], m: ["a", "x"] })),
    [["a", "b"], ["x", "y"]],
  );
  assert.deepEqual(
    findCycles(graph({ a: ["b"], b: ["c"], c: ["a"], d: ["b"], b2: [], e: ["d"] })),
    [["a", "b", "c"]],
  );
  assert.deepEqual(findCycles(graph({ a: ["b"], b: ["c"], c: ["b", "a"] })), [["a", "b", "c"]]);
});

Deno.test("findCycles: a long chain does not overflow the stack", () => {
  const edges: Record<string, string[]> = {};
  for (let i = 0; i < 50_000; i++) edges[`f${i}`] = [`f${i + 1}`];
  assert.deepEqual(findCycles(graph(edges)), []);
  edges.f50000 = ["f0"];
  assert.equal(findCycles(graph(edges))[0].length, 50_001);
});

Deno.test("localGraph: own files only, run-time static imports only", () => {
  const root = "file:///repo/";
  const info: DenoInfo = {
    modules: [
      {
        specifier: "file:///repo/main.ts",
        dependencies: [
          { specifier: "#lib/a.ts", code: { specifier: "file:///repo/lib/a.ts" } },
          { specifier: "npm:zod", code: { specifier: "npm:/zod@4" } },
          {
            specifier: "#dev/seed.ts",
            code: { specifier: "file:///repo/dev/seed.ts" },
            isDynamic: true,
          },
        ],
      },
      {
        specifier: "file:///repo/lib/a.ts",
        dependencies: [
          // `import type`: erased at run time, no edge.
          { specifier: "./b.ts" },
          { specifier: "./c.ts", code: { specifier: "file:///repo/lib/c.ts" } },
        ],
      },
      { specifier: "file:///elsewhere/x.ts", dependencies: [] },
    ],
  };
  assert.deepEqual(
    [...localGraph(info, root)],
    [["main.ts", ["lib/a.ts"]], ["lib/a.ts", ["lib/c.ts"]]],
  );
});

Deno.test("loadedFrom: only what the entry loads", () => {
  const g = graph({ main: ["a"], a: ["b"], b: [], typesOnly: ["x"], x: ["typesOnly"] });
  assert.deepEqual([...loadedFrom(g, "main").keys()].sort(), ["a", "b", "main"]);
  assert.deepEqual(findCycles(loadedFrom(g, "main")), []);
  assert.deepEqual(findCycles(g), [["typesOnly", "x"]]);
});
