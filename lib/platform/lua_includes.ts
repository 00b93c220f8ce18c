/**
 * Shared Lua snippets, written once in `lua/includes/` and spliced into the scripts that use
 * them before the scripts are loaded (BullMQ's `@include`, without reading the disk: the sources
 * arrive as static text imports, so a `deno compile` binary carries them).
 *
 * A script asks for a snippet with a line of its own, after its header:
 *
 * ```lua
 * --- @include "includes/slots"
 * ```
 *
 * The line is replaced by the snippet's text, between marker comments. A snippet may include
 * others; each is spliced once per script (a second request for it is dropped), and a cycle or
 * an unknown name is an error at load time, never a script that fails in Redis.
 *
 * ```ts
 * spliceIncludes("reserve", reserveSource, { "includes/slots": slotsSource });
 * ```
 */

const INCLUDE_LINE = /^-{2,3}[ \t]*@include[ \t]+(["'])(.+?)\1[ \t;]*$/gm;

/** The include paths a source asks for, in order (`includes/slots`). */
export function includesOf(source: string): string[] {
  return [...source.matchAll(new RegExp(INCLUDE_LINE))].map((m) => m[2]);
}

/**
 * `source` with every `@include` line replaced by the snippet it names (recursively, each
 * snippet once). `includes` maps a path relative to `lua/`, without `.lua`, to its text.
 */
export function spliceIncludes(
  name: string,
  source: string,
  includes: Readonly<Record<string, string>>,
): string {
  const spliced = new Set<string>();
  const splice = (text: string, stack: string[]): string =>
    // A fresh RegExp per text: a global one carries lastIndex between the nested calls.
    text.replace(new RegExp(INCLUDE_LINE), (_line, _quote, path: string) => {
      if (stack.includes(path)) {
        throw new Error(`lua/${name}.lua: include cycle ${[...stack, path].join(" -> ")}`);
      }
      if (!Object.hasOwn(includes, path)) {
        throw new Error(`lua/${name}.lua: @include "${path}" names no file lua/${path}.lua`);
      }
      if (spliced.has(path)) return `-- (${path}.lua: spliced above)`;
      spliced.add(path);
      const body = splice(includes[path], [...stack, path]).replace(/\n+$/, "");
      return `-- >>> ${path}.lua\n${body}\n-- <<< ${path}.lua`;
    });
  return splice(source, [name]);
}
