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
 * part of normal traffic, thousands a second in a sold-out stampede: it is built without a stack
 * trace, whose capture was most of its cost. A 5xx keeps its stack for the log.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds a client should wait before retrying (sent as `Retry-After`). */
  readonly retryAfter?: number;
  /** Machine-readable detail for the client, e.g. the seats in the way. */
  readonly detail?: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryAfter?: number; detail?: unknown; cause?: unknown } = {},
  ) {
    const limit = Error.stackTraceLimit;
    if (STATUS_BY_CODE[code] < 500) Error.stackTraceLimit = 0;
    try {
      super(message, { cause: options.cause });
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.name = "AppError";
    this.code = code;
    this.status = STATUS_BY_CODE[code];
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
