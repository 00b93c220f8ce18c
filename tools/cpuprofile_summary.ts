/**
 * Summarises a V8 .cpuprofile (from `deno run --cpu-prof`): the functions with the most self
 * time, and the same grouped by package or file, as a short text table.
 *
 *   deno run --allow-read tools/cpuprofile_summary.ts .data/profiles/soldout.cpuprofile [top]
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = Deno.args;
if (!file) {
  console.error("usage: cpuprofile_summary.ts FILE.cpuprofile [top]");
  Deno.exit(2);
}
const top = Number(topArg ?? 20);
const profile = JSON.parse(await Deno.readTextFile(file)) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(id, (self.get(id) ?? 0) + dt);
  total += dt;
});

/** "npm:hono@4.13.19", "ext:deno_http", "boxoffice lib/orders/orders.ts", or "(native)". */
const where = (url: string): string => {
  if (!url) return "(native/VM)";
  const npm = /\/npm\/registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\/([^/]+)\//.exec(url);
  if (npm) return `npm:${npm[1]}@${npm[2]}`;
  if (url.startsWith("ext:") || url.startsWith("node:")) return url.split("/")[0];
  const local = /\/(lib|http|routes|bench|lua)\/(.*)$/.exec(url);
  if (local) return `${local[1]}/${local[2]}`;
  return url.replace(/^file:\/\//, "");
};

const fns = new Map<string, number>();
const groups = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const place = where(n.callFrame.url);
  const name = `${n.callFrame.functionName || "(anonymous)"}  ${place}:${
    n.callFrame.lineNumber + 1
  }`;
  fns.set(name, (fns.get(name) ?? 0) + us);
  const group = n.callFrame.url ? place.split(":").slice(0, 2).join(":") : n.callFrame.functionName;
  groups.set(group, (groups.get(group) ?? 0) + us);
}
// Percentages of busy time: the idle samples (waiting on sockets) are left out.
let idle = 0;
for (const [id, us] of self) if (byId.get(id)!.callFrame.functionName === "(idle)") idle += us;
const busy = total - idle;
const pct = (us: number) => `${(us / busy * 100).toFixed(1).padStart(5)} %`;
console.log(
  `${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy ` +
    `(percentages are of busy time)\n\nTop self time by function:`,
);
for (
  const [name, us] of [...fns].filter(([n]) => !n.startsWith("(idle)")).sort((a, b) => b[1] - a[1])
    .slice(0, top)
) {
  console.log(`  ${pct(us)}  ${name}`);
}
console.log("\nSelf time by package / file:");
for (
  const [name, us] of [...groups].filter(([n]) => n !== "(idle)").sort((a, b) => b[1] - a[1])
    .slice(0, top)
) {
  console.log(`  ${pct(us)}  ${name}`);
}
