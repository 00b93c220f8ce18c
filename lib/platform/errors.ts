/**
 * The one error type of boxoffice. Domain code throws it; the HTTP layer renders it into the
 * response envelope (`{code, message, data: null, success: false, error}`) in one place.
 *
 * ```ts
 * throw new AppError("SOLD_OUT", "tier 7 has 0 tickets left");
 * ```
 */
export type ErrorCode = keyof typeof STATUS_BY_CODE;

const STATUS_BY_CODE = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  QUEUE_PASS_REQUIRED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  USERNAME_TAKEN: 409,
  SOLD_OUT: 409,
  LIMIT_EXCEEDED: 409,
  SEAT_UNAVAILABLE: 409,
  ORDER_STATE: 409,
  ORDER_EXPIRED: 409,
  NOT_ON_SALE: 409,
  LEASE_TAKEN: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

/**
 * An expected refusal (any 4xx: SOLD_OUT, LIMIT_EXCEEDED, a validation failure, 401, 404...) is
 * part of normal traffic, thousands a second in a sold-out stampede, and is built without the
 * Error constructor: under Deno a `new Error` costs ~8 µs more than a plain object even with no
 * stack captured (`Error.stackTraceLimit = 0`), 5 % of the CPU of a sold-out flood. It is still
 * an AppError and an Error (`instanceof`, name, message, cause, `String(e)`); it has no `stack`.
 * A 5xx is a real Error with its stack, for the log.
 */
export class AppError extends Error {
  readonly code!: ErrorCode;
  readonly status!: number;
  /** Seconds a client should wait before retrying (sent as `Retry-After`). */
  readonly retryAfter?: number;
  /** Machine-readable detail for the client, e.g. the seats in the way. */
  readonly detail?: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryAfter?: number; detail?: unknown; cause?: unknown } = {},
  ) {
    const status = STATUS_BY_CODE[code];
    if (status < 500) {
      // A derived constructor may return its object instead of calling super(): the prototype
      // chain is the same, only the Error internals (and their cost) are left out.
      const e = Object.create(new.target.prototype) as {
        -readonly [K in keyof AppError]: AppError[K];
      };
      Object.defineProperty(e, "message", { value: message, writable: true, configurable: true });
      if (options.cause !== undefined) {
        Object.defineProperty(e, "cause", {
          value: options.cause,
          writable: true,
          configurable: true,
        });
      }
      e.name = "AppError";
      e.code = code;
      e.status = status;
      e.retryAfter = options.retryAfter;
      e.detail = options.detail;
      return e;
    }
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.status = status;
    this.retryAfter = options.retryAfter;
    this.detail = options.detail;
  }
}

/** Shorthands for the common cases, so call sites read as the rule they enforce. */
export const invalid = (field: string, why: string): AppError =>
  new AppError("VALIDATION_FAILED", `${field}: ${why}`, { detail: { field } });

export const notFound = (what: string): AppError => new AppError("NOT_FOUND", `${what} not found`);

/** A store (MySQL or Redis) cannot answer now: the client should retry shortly. */
export const unavailable = (what: string, cause?: unknown, retryAfter = 1): AppError =>
  new AppError("UNAVAILABLE", `${what} is unavailable, retry shortly`, { retryAfter, cause });

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
