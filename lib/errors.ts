// Domain errors. Code → HTTP status lives here and only here (STYLE habit 3).
export const ERROR_STATUS = {
  VALIDATION: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_TRANSITION: 409,
  SYNC_IN_PROGRESS: 409,
  FOREIGN_RESOURCE: 409,
  RATE_LIMITED: 429,
  PROVIDER_ERROR: 502,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Dotted path of the offending input field, e.g. `dns.provider.apiToken`. */
  readonly field?: string;
  readonly details?: Record<string, unknown>;
  /** Details safe to show an API client (details may hold logs or internal hosts, so they stay server-side). */
  readonly publicDetails?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, opts: { field?: string; details?: Record<string, unknown>; publicDetails?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.field = opts.field;
    this.details = opts.details;
    this.publicDetails = opts.publicDetails;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** A short, loggable message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === "string" ? err : JSON.stringify(err);
}
