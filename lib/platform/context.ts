/**
 * What domain code needs from the outside world, handed to every `lib/` function as its first
 * argument: the configuration, the stores and the logger. Built once by main.ts (or a test).
 */
import type { Config } from "./config.ts";
import type { Db } from "./db.ts";
import type { Keys } from "./keys.ts";
import type { Logger } from "./log.ts";
import type { Redis } from "./redis.ts";
import type { Scripts } from "./scripts.ts";
import type { WatchedFacts } from "./watched_facts.ts";

export interface AppContext {
  config: Config;
  db: Db;
  redis: Redis;
  scripts: Scripts;
  keys: Keys;
  log: Logger;
  /**
   * Tokens known not to be revoked, kept while the revocation channel is watched
   * (lib/accounts/tokens.ts): most requests then need no Redis read to authenticate.
   */
  revocations: WatchedFacts;
  /** HS256 key of the JWTs. */
  jwtKey: Uint8Array;
  /** Set when the migrations of this build have been applied. */
  migrated: boolean;
  /** Milliseconds since the epoch; replaced in tests that need to move time. */
  now(): number;
}
