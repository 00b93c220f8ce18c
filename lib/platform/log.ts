/**
 * One JSON object per line on stdout (errors on stderr), so that a log shipper needs no parser.
 *
 * ```ts
 * const log = createLogger("info");
 * log.info("request", { method: "GET", path: "/api/health", status: 200 });
 * ```
 */
import type { LogLevel } from "./config.ts";

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export function createLogger(level: LogLevel, base: Fields = {}): Logger {
  const write = (lvl: Exclude<LogLevel, "silent">, msg: string, fields?: Fields) => {
    if (RANK[lvl] < RANK[level]) return;
    const line = JSON.stringify({
      t: new Date().toISOString(),
      level: lvl,
      msg,
      ...base,
      ...fields,
    });
    if (lvl === "error" || lvl === "warn") console.error(line);
    else console.log(line);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}

/** An error as log fields: message and code, never a stack trace in a reply (only in the log). */
export function errorFields(e: unknown): Fields {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return {
      error: e.message,
      errorName: e.name,
      ...(code !== undefined ? { errorCode: code } : {}),
    };
  }
  return { error: String(e) };
}
