/**
 * The app's router: Hono's trie router, with the match of each static path (most of the API:
 * /api/order/create, /api/health, /api/seat/lock) made once and reused by every request.
 *
 * Hono's RegExpRouter does the same for static paths, but it refuses a static segment beside a
 * parameter (/api/order/list and /api/order/{orderNoOrId}), which the reference API is full of,
 * so Hono's default router fell back to the trie for every route, and the trie builds its match
 * anew for each request: 6 % of the bytes the sold-out path allocated (bench soldout, sampling
 * heap profile).
 */
import { type Result, type Router, TrieRouter } from "#deps";

/** Methods whose static matches are kept: a client's made-up method must not grow the cache. */
const CACHED_METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** A route path with no parameter, wildcard or optional part matches only itself. */
const isStatic = (path: string) => !/[:*?{]/.test(path);

export class StaticMatchRouter<T> implements Router<T> {
  readonly name = "StaticMatchRouter";
  readonly #trie = new TrieRouter<T>();
  readonly #staticPaths = new Set<string>();
  /** Method → static path → the trie's match for it. */
  readonly #matches = new Map<string, Map<string, Result<T>>>();

  add(method: string, path: string, handler: T): void {
    this.#trie.add(method, path, handler);
    if (isStatic(path)) this.#staticPaths.add(path);
    // A route added later may also match a path already cached (a parameter route, or "*").
    this.#matches.clear();
  }

  match(method: string, path: string): Result<T> {
    // The match of a path depends on the method and the path only, so one result serves all
    // (Hono only reads it; RegExpRouter shares its static matches the same way).
    if (!this.#staticPaths.has(path) || !CACHED_METHODS.has(method)) {
      return this.#trie.match(method, path);
    }
    let byPath = this.#matches.get(method);
    if (!byPath) this.#matches.set(method, byPath = new Map());
    let result = byPath.get(path);
    if (!result) byPath.set(path, result = this.#trie.match(method, path));
    return result;
  }
}
