/**
 * `deno task compile`: one self-contained executable, `dist/boxoffice`, with the permissions and
 * unstable flags that `deno task start` runs with. Everything it needs is embedded by static
 * imports (routes manifest, Lua scripts, SQL migrations, docs assets; tests/embedding_test.ts
 * holds that true), so it runs with nothing but the environment variables of `--help`.
 *
 * `deno compile` builds on `denort`, a slim runtime it downloads from dl.deno.land. Where that
 * host cannot be reached, point `DENORT_BIN` at a denort of the same Deno version (from the
 * release archive `denort-<target>.zip`); deno itself reads the variable. After building, the
 * binary is run with `--help` once to prove it starts.
 */

/**
 * The server's memory flags, measured under bench mixed (bench/README.md, "What changed in the
 * seventh session"):
 * - V8's young generation capped at 4 MB a semi-space: V8 grows it to about 53 MB during boot and
 *   keeps it;
 * - the old generation let grow to 1.1x what the last full collection kept, where V8 picks a
 *   factor between 1.1 and 4 from its GC speed: a server whose old generation is mostly caches and
 *   promoted request garbage does not need the room, and paid for it in RSS;
 * - no V8 code cache: it is a 4 MB SQLite file mapped for the process's life, to save a second of
 *   start-up that a server does not need.
 * With the heap savings of that session: RSS peak 136-157 MB against 208-259 MB before it, at
 * about 0.05 of a core more in mixed (the sold-out path's ratio within the runs' noise).
 */
export const MEMORY_FLAGS = [
  "--v8-flags=--max-semi-space-size=4,--heap-growing-percent=10",
  "--no-code-cache",
];

/** Flags of the compiled binary: the same as `deno task start` (deno.json), minus `--demo`. */
export const COMPILE_FLAGS = [
  ...MEMORY_FLAGS,
  "--unstable-cron",
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-sys",
];

export const OUTPUT = "dist/boxoffice";

/** The whole `deno compile` command line. */
export function compileArgs(output = OUTPUT): string[] {
  return [
    "compile",
    ...COMPILE_FLAGS,
    "--exclude-unused-npm",
    "--output",
    output,
    "main.ts",
  ];
}

async function main() {
  const deno = Deno.execPath();
  const output = Deno.args[0] ?? OUTPUT;
  const child = new Deno.Command(deno, {
    args: compileArgs(output),
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  const { code, stderr } = await child.output();
  const errors = new TextDecoder().decode(stderr);
  if (code !== 0) {
    if (/Setting up base binary|dl\.deno\.land|denort/i.test(errors)) {
      const where = Deno.env.get("DENORT_BIN");
      if (where) console.error(errors.trim());
      console.error(
        where
          ? `compile: cannot use DENORT_BIN=${where} as the runtime of the binary (see above)`
          : `compile: cannot download denort (the runtime deno compile builds on) from ` +
            `dl.deno.land; set DENORT_BIN to a denort ${Deno.version.deno} binary and run again`,
      );
    } else {
      console.error(errors.trim());
    }
    Deno.exit(1);
  }
  const help = await new Deno.Command(output, { args: ["--help"], stdin: "null" }).output();
  const text = new TextDecoder().decode(help.stdout);
  if (!help.success || !text.startsWith("boxoffice")) {
    console.error(
      `compile: ${output} was built but does not run main.ts (is DENORT_BIN a denort, ` +
        `not a deno CLI?)`,
    );
    Deno.exit(1);
  }
  console.log(`compile: ${output} is ready (${output} --help lists its settings)`);
}

if (import.meta.main) await main();
