// `deno task compile` embeds main.ts's static module graph and nothing else. These tests hold the
// code to that: no dynamic imports, no remote modules, no reads of the source tree at run time,
// and the entry point runs from a copy that holds only its module graph.
import assert from "node:assert/strict";
import { VARIABLES } from "#lib/platform/config.ts";
import { COMPILE_FLAGS } from "../tools/compile.ts";
import { routeFiles } from "../tools/routes_manifest.ts";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

interface Graph {
  modules: {
    specifier: string;
    kind: string;
    dependencies?: { specifier: string; isDynamic?: boolean }[];
  }[];
}

let graph: Promise<Graph> | undefined;
function moduleGraph(): Promise<Graph> {
  graph ??= (async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "main.ts"],
      cwd: root,
      stderr: "inherit",
    }).output();
    assert.ok(out.success, "deno info failed");
    return JSON.parse(new TextDecoder().decode(out.stdout));
  })();
  return graph;
}

/** Repository-relative paths of the local modules of main.ts's graph. */
async function localModules(): Promise<string[]> {
  return (await moduleGraph()).modules
    .filter((m) => m.specifier.startsWith("file://"))
    .map((m) => new URL(m.specifier).pathname.slice(root.length + 1))
    .sort();
}

Deno.test("main.ts's graph: local files of the service, npm packages, node builtins; static", async () => {
  const { modules } = await moduleGraph();
  for (const m of modules) {
    const s = m.specifier;
    if (s.startsWith("file://")) {
      const path = new URL(s).pathname;
      assert.ok(path.startsWith(`${root}/`), `${s} is outside the repository`);
      assert.match(
        path.slice(root.length + 1),
        /^(main\.ts|deps\.ts|routes\.gen\.ts|(lib|http|routes|dev)\/.+\.ts|lua\/(includes\/)?[\w-]+\.lua|web\/[\w-]+\.(html|css|js)|migrations\/\d{3}_\w+\.sql)$/,
        `${s} is not a file the binary should embed`,
      );
    } else {
      assert.match(s, /^(npm:|node:)/, `${s}: only npm packages and node builtins besides local`);
    }
    for (const d of m.dependencies ?? []) {
      assert.ok(!d.isDynamic, `${s} imports ${d.specifier} dynamically`);
    }
  }
});

Deno.test("every route file, Lua script, Lua include and migration is in the embedded graph", async () => {
  const local = new Set(await localModules());
  const expected = [...await routeFiles(root)];
  for (const dir of ["lua", "lua/includes", "migrations", "web"]) {
    for await (const e of Deno.readDir(`${root}/${dir}`)) {
      if (e.isFile) expected.push(`${dir}/${e.name}`);
    }
  }
  assert.ok(expected.includes("lua/includes/slots.lua"));
  assert.ok(expected.length > 3);
  for (const f of expected) assert.ok(local.has(f), `${f} is not statically imported`);
});

/** Code that reads files at run time, and the only places allowed to (all under DATA_DIR). */
const FILE_ACCESS =
  /Deno\.(readTextFile|readFile|open|readDir|readLink|realPath)(Sync)?\(|import\.meta\.(url|resolve|dirname|filename)|\bimport\s*\(|require\(/g;
const ALLOWED: Record<string, number> = {
  "lib/boot.ts": 2, // demo mode's JWT secret, DATA_DIR/jwt-secret
  "dev/local_stores.ts": 2, // pid file and absolute path of the private demo stores in DATA_DIR
};

Deno.test("no module of the service reads the source tree at run time", async () => {
  for (const file of await localModules()) {
    if (!file.endsWith(".ts")) continue;
    const code = await Deno.readTextFile(`${root}/${file}`);
    const hits = [...code.matchAll(FILE_ACCESS)].map((m) => m[0]);
    assert.equal(hits.length, ALLOWED[file] ?? 0, `${file}: ${hits.join(", ")}`);
  }
});

Deno.test("the compiled binary gets exactly the flags of `deno task start`", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const start: string[] = config.tasks.start.split(/\s+/);
  const flags = start.slice(start.indexOf("run") + 1, start.indexOf("main.ts"));
  assert.deepEqual([...COMPILE_FLAGS].sort(), flags.sort());
  assert.match(config.tasks.compile, /tools\/compile\.ts/);
});

Deno.test({
  name: "main.ts --help runs from a copy holding only its module graph, listing every variable",
  sanitizeResources: false,
  async fn() {
    const copy = await Deno.makeTempDir();
    try {
      for (const f of [...await localModules(), "deno.json", "deno.lock"]) {
        await Deno.mkdir(`${copy}/${f}`.replace(/\/[^/]+$/, ""), { recursive: true });
        await Deno.copyFile(`${root}/${f}`, `${copy}/${f}`);
      }
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--cached-only", ...COMPILE_FLAGS, "main.ts", "--help"],
        cwd: copy,
        stdin: "null",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      assert.match(text, /^boxoffice/);
      assert.match(text, /--healthcheck/);
      for (const [name] of VARIABLES) assert.match(text, new RegExp(`^  ${name} `, "m"));
    } finally {
      await Deno.remove(copy, { recursive: true });
    }
  },
});
