// Lists import cycles among the local modules of a graph: deno run -A tools/import_cycles.ts main.ts
const out = new Deno.Command("deno", { args: ["info", "--json", Deno.args[0] ?? "main.ts"] })
  .outputSync();
const info = JSON.parse(new TextDecoder().decode(out.stdout));
const graph = new Map<string, string[]>();
for (const m of info.modules) {
  if (!m.specifier?.startsWith("file:")) continue;
  const deps: string[] = [];
  for (const d of m.dependencies ?? []) {
    const s = d.code?.specifier;
    if (s?.startsWith("file:") && !d.isTypeOnly) deps.push(s);
  }
  graph.set(m.specifier, deps);
}
const root = new URL("file://" + Deno.cwd() + "/").href;
const cycles: string[][] = [];
const state = new Map<string, number>();
const stack: string[] = [];
function visit(n: string) {
  state.set(n, 1);
  stack.push(n);
  for (const d of graph.get(n) ?? []) {
    if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d]);
    else if (!state.has(d)) visit(d);
  }
  stack.pop();
  state.set(n, 2);
}
for (const n of graph.keys()) if (!state.has(n)) visit(n);
for (const c of cycles) console.log(c.map((s) => s.replace(root, "")).join(" -> "));
console.log(`${graph.size} local modules, ${cycles.length} cycles`);
