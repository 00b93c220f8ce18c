/**
 * The run-time import graph of the project's own files, from `deno info --json`, and the cycles
 * in it. Type-only imports (erased at run time) and dynamic imports (loaded after every static
 * module has run) do not make edges. tests/layout_test.ts runs it on main.ts.
 *
 * ```sh
 * deno run --allow-read --allow-run tools/import_graph.ts main.ts   # prints the cycles, if any
 * ```
 */

/** The parts of `deno info --json` read here. */
export interface DenoInfo {
  modules: {
    specifier: string;
    dependencies?: {
      specifier: string;
      code?: { specifier: string };
      isDynamic?: boolean;
    }[];
  }[];
}

/** file → files it imports at run time, both as paths relative to `root` (a file:// URL). */
export type ImportGraph = Map<string, string[]>;

export function localGraph(info: DenoInfo, root: string): ImportGraph {
  const base = root.endsWith("/") ? root : `${root}/`;
  const local = (s: string) => s.startsWith(base) ? s.slice(base.length) : undefined;
  const graph: ImportGraph = new Map();
  for (const m of info.modules) {
    const from = local(m.specifier);
    if (from === undefined) continue;
    const to = new Set<string>();
    for (const d of m.dependencies ?? []) {
      const target = d.code && !d.isDynamic ? local(d.code.specifier) : undefined;
      if (target !== undefined) to.add(target);
    }
    graph.set(from, [...to].sort());
  }
  return graph;
}

/**
 * The part of `graph` that `entry` loads at run time: `deno info` also lists the files reached
 * only through type imports, which never run.
 */
export function loadedFrom(graph: ImportGraph, entry: string): ImportGraph {
  const out: ImportGraph = new Map();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (out.has(file)) continue;
    const to = graph.get(file) ?? [];
    out.set(file, to);
    todo.push(...to);
  }
  return out;
}

/**
 * Every group of files that import each other, directly or through others (the strongly
 * connected components of more than one file, or a file importing itself), each sorted, the
 * groups in order.
 */
export function findCycles(graph: ImportGraph): string[][] {
  // Tarjan's algorithm, iterative so a deep graph cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  const nodes = new Set<string>([...graph.keys(), ...[...graph.values()].flat()]);
  for (const start of [...nodes].sort()) {
    if (index.has(start)) continue;
    const work: { node: string; edge: number }[] = [{ node: start, edge: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const edges = graph.get(frame.node) ?? [];
      if (frame.edge < edges.length) {
        const to = edges[frame.edge++];
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const group: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          group.push(member);
        } while (member !== frame.node);
        const selfLoop = (graph.get(frame.node) ?? []).includes(frame.node);
        if (group.length > 1 || selfLoop) cycles.push(group.sort());
      }
    }
  }
  return cycles.sort((a, b) => a[0].localeCompare(b[0]));
}

/**
 * Runs `deno info --json` on `entry` (a path relative to `root`, a file:// URL) and returns the
 * run-time graph of the files under `root` that it loads.
 */
export async function importGraphOf(entry: string, root: string): Promise<ImportGraph> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, root).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`deno info ${entry}: ${new TextDecoder().decode(out.stderr)}`);
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as DenoInfo;
  return loadedFrom(localGraph(info, root), entry);
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).href;
  const graph = await importGraphOf(Deno.args[0] ?? "main.ts", root);
  const cycles = findCycles(graph);
  for (const c of cycles) console.log(c.join(" ↔ "));
  console.log(`${graph.size} local modules, ${cycles.length} cycles`);
  Deno.exit(cycles.length === 0 ? 0 : 1);
}
