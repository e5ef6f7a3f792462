import { AppError } from "../errors";

export interface RetryPolicy {
  /** Total tries, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * The longest `retry-after` Wharf will sleep. A provider asking for longer
   * (Cloudflare blocks a token for five minutes once its limit is hit) gets a
   * RATE_LIMITED error instead of a request that hangs for minutes.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000, maxRetryAfterMs: 60_000 };

export function retryPolicy(overrides?: Partial<RetryPolicy>): RetryPolicy {
  return { ...DEFAULT_RETRY, ...overrides };
}

/** How a failed attempt should be treated. */
export type RetryDecision = { retry: false } | { retry: true; afterMs?: number };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Exponential backoff with jitter (attempt is 1-based: the delay before try attempt+1). */
export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + (Math.random() * exp) / 2);
}

/** `retry-after` is either delta-seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Statuses worth another try: rate limiting and server-side failures. */
export function isTransientStatus(status: number | undefined): boolean {
  return status === 429 || (status !== undefined && status >= 500);
}

/**
 * Runs `fn` until it succeeds, `classify` says the error is final, or the
 * attempts run out; the last error is rethrown. A server-requested delay
 * (retry-after) is honoured up to `maxRetryAfterMs`; beyond that the call
 * fails with RATE_LIMITED rather than sleeping.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  classify: (err: unknown) => RetryDecision,
  policy: RetryPolicy,
  onRetry?: (info: { attempt: number; delayMs: number; err: unknown }) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const decision = classify(err);
      if (!decision.retry || attempt >= policy.attempts) throw err;
      if (decision.afterMs !== undefined && decision.afterMs > policy.maxRetryAfterMs) {
        throw new AppError("RATE_LIMITED", `provider asked to wait ${Math.ceil(decision.afterMs / 1000)}s before retrying: ${errText(err)}`, {
          cause: err,
          details: { retryAfterMs: decision.afterMs },
        });
      }
      const delayMs = decision.afterMs ?? backoffDelay(attempt, policy);
      onRetry?.({ attempt, delayMs, err });
      await sleep(delayMs);
    }
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
