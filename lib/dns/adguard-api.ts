import { fetchNoRedirect } from "../no-redirect-fetch";
import { AppError, isAppError } from "../errors";
import { logger } from "../logger";
import { countedFetch } from "../metrics/registry";
import { type RetryDecision, type RetryPolicy, isTransientStatus, parseRetryAfter, retryPolicy, withRetry } from "./retry";

/** One DNS rewrite as AdGuard Home stores it; strings are kept exactly as stored. */
export interface Rewrite {
  domain: string;
  answer: string;
  enabled?: boolean;
}

export interface AdguardOptions {
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
}

const log = logger.child({ provider: "adguard" });

/** AdGuard Home's /control API: basic auth, JSON bodies, plain-text errors. */
export class AdguardApi {
  calls = 0;
  readonly policy: RetryPolicy;
  private readonly base: string;
  private readonly auth: string;
  private readonly timeoutMs: number;

  constructor(url: string, username: string, password: string, opts: AdguardOptions = {}) {
    this.base = `${url.trim().replace(/\/+$/, "").replace(/\/control$/, "")}/control`;
    this.auth = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    this.policy = retryPolicy(opts.retry);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  list(): Promise<Rewrite[]> {
    return this.request<Rewrite[] | null>("GET", "/rewrite/list", undefined, true).then((r) => r ?? []);
  }

  /** Not retried here: a lost answer may hide a successful add, and adds accept duplicates. Callers read back instead. */
  add(entry: Rewrite): Promise<void> {
    return this.request("POST", "/rewrite/add", { domain: entry.domain, answer: entry.answer }, false);
  }

  /** Deleting is safe to repeat; `entry` must be the exact stored strings (matching is by value). */
  remove(entry: Rewrite): Promise<void> {
    return this.request("POST", "/rewrite/delete", { domain: entry.domain, answer: entry.answer }, true);
  }

  update(target: Rewrite, update: Rewrite): Promise<void> {
    const t = { domain: target.domain, answer: target.answer, ...(target.enabled === undefined ? {} : { enabled: target.enabled }) };
    return this.request("PUT", "/rewrite/update", { target: t, update: { ...update, enabled: true } }, false);
  }

  status(): Promise<{ version?: string; running?: boolean }> {
    return this.request("GET", "/status", undefined, true);
  }

  private async request<T>(method: string, path: string, body: unknown, idempotent: boolean): Promise<T> {
    const classify = (err: unknown): RetryDecision => {
      if (!idempotent) return { retry: false };
      if (isAppError(err)) {
        return isTransientStatus(err.details?.status as number | undefined) ? { retry: true, afterMs: err.details?.retryAfterMs as number | undefined } : { retry: false };
      }
      return { retry: true };
    };
    try {
      return await withRetry(() => this.once<T>(method, path, body), classify, this.policy, ({ attempt, delayMs, err }) =>
        log.warn({ method, path, attempt, delayMs, err: (err as Error).message }, "adguard request failed, retrying"),
      );
    } catch (err) {
      if (isAppError(err)) throw err;
      const timedOut = err instanceof Error && err.name === "TimeoutError";
      throw new AppError(timedOut ? "TIMEOUT" : "UNAVAILABLE", timedOut ? `AdGuard Home did not answer within ${this.timeoutMs} ms` : `Cannot reach AdGuard Home: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private async once<T>(method: string, path: string, body: unknown): Promise<T> {
    this.calls++;
    const res = await fetchNoRedirect(`${this.base}${path}`, {
      method,
      // AdGuard Home refuses a body without Content-Type application/json (415).
      headers: { Authorization: this.auth, Accept: "application/json", ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    }, "AdGuard Home", (input, init) => countedFetch("adguard", input, init));
    const text = await res.text();
    if (!res.ok) {
      throw new AppError("PROVIDER_ERROR", text.trim() || `${res.status} ${res.statusText}`, {
        details: { status: res.status, retryAfterMs: parseRetryAfter(res.headers.get("retry-after")) },
      });
    }
    if (!text.trim()) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      return text as T;
    }
  }
}
