import Cloudflare, { APIConnectionError, APIConnectionTimeoutError, APIError } from "cloudflare";
import { AppError, isAppError } from "../errors";
import { logger } from "../logger";
import { normalizeFqdn } from "../naming";
import { type BudgetOptions, type RequestBudget, budgetForToken } from "./cloudflare-budget";
import { type RetryDecision, type RetryPolicy, parseRetryAfter, retryPolicy, withRetry } from "./retry";
import { sameContent } from "./content";
import type { DesiredRecord, ProviderRecord } from "./types";

/** Documented maximum of `per_page` for GET /zones/{id}/dns_records: one page is normally the whole zone. */
export const CF_RECORDS_PER_PAGE_MAX = 5_000_000;
/** Documented maximum of `per_page` for GET /zones. */
export const CF_ZONES_PER_PAGE_MAX = 50;
/** Changes per batch request on the Free plan (3,500 on paid plans); the smallest is safe everywhere. */
export const CF_BATCH_LIMIT = 200;
/** Record comments are capped at 100 characters on the Free plan (error 9313 beyond). */
export const CF_COMMENT_MAX = 100;

export const CF_CODES = {
  recordMissing: 81044,
  hostConflict: 81053,
  recordExists: 81057,
  identicalExists: 81058,
} as const;

export interface CloudflareOptions {
  budget?: Partial<BudgetOptions>;
  retry?: Partial<RetryPolicy>;
  /** Page size for record lists; defaults to the documented maximum. */
  pageSize?: number;
  batchSize?: number;
  timeoutMs?: number;
}

export interface PageInfo {
  page?: number;
  per_page?: number;
  count?: number;
  total_pages?: number;
}

const log = logger.child({ provider: "cloudflare" });

/**
 * The SDK plus what Wharf adds around it: every request passes one budget
 * (shared per token) and is counted, and retries are Wharf's own. The SDK is
 * built with maxRetries 0 because it would retry POSTs (creating duplicate
 * records after an ambiguous 5xx) and sleep any retry-after it is given.
 */
export class CloudflareApi {
  readonly sdk: Cloudflare;
  readonly budget: RequestBudget;
  readonly baseUrl: string;
  private readonly policy: RetryPolicy;
  calls = 0;

  constructor(token: string, baseUrl: string | null | undefined, opts: CloudflareOptions = {}) {
    this.budget = budgetForToken(token, opts.budget);
    this.policy = retryPolicy(opts.retry);
    this.sdk = new Cloudflare({
      apiToken: token || null,
      // Without a token the SDK refuses to send at all; explicitly sending no
      // Authorization header instead lets Cloudflare answer with its own error.
      defaultHeaders: token ? undefined : { Authorization: null },
      // Explicit nulls keep the SDK from picking up global-key credentials from the environment.
      apiKey: null,
      apiEmail: null,
      userServiceKey: null,
      baseURL: baseUrl || process.env.CLOUDFLARE_BASE_URL || undefined,
      maxRetries: 0,
      timeout: opts.timeoutMs ?? 30_000,
      logLevel: "off",
      fetch: (input, init) => this.send(input, init),
    });
    this.baseUrl = this.sdk.baseURL;
  }

  private async send(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    await this.budget.acquire();
    this.calls++;
    const res = await fetch(input, init);
    if (res.status === 429) this.budget.block(Date.now() + (parseRetryAfter(res.headers.get("retry-after")) ?? 1_000));
    return res;
  }

  /**
   * One API operation with Wharf's retry rules: a 429 is always retried (the
   * request was refused, not executed); a 5xx or a lost connection only when
   * the operation is idempotent, because a POST may have been applied.
   */
  async call<T>(op: string, fn: () => Promise<T>, idempotent: boolean): Promise<T> {
    const classify = (err: unknown): RetryDecision => {
      if (isAppError(unwrap(err))) return { retry: false };
      if (err instanceof APIError && err.status === 429) {
        return { retry: true, afterMs: parseRetryAfter(err.headers?.get("retry-after")) };
      }
      if (!idempotent) return { retry: false };
      if (err instanceof APIError && err.status !== undefined && err.status >= 500) return { retry: true };
      return { retry: err instanceof APIConnectionError };
    };
    try {
      return await withRetry(() => fn(), classify, this.policy, ({ attempt, delayMs, err }) =>
        log.warn({ op, attempt, delayMs, err: errorSummary(err) }, "cloudflare request failed, retrying"),
      );
    } catch (err) {
      throw toAppError(err);
    }
  }

  /**
   * Reads every page. The SDK's auto-pagination asks for one more page until
   * it gets an empty one; Wharf stops at `total_pages` (or a short page) and
   * so saves a request per listing from the rate budget.
   */
  async listPages<T>(op: string, perPage: number, fetchPage: (page: number) => Promise<{ result: T[]; result_info?: PageInfo }>): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; page < 100_000; page++) {
      const { result, result_info: info = {} } = await this.call(op, () => fetchPage(page), true);
      items.push(...result);
      if (result.length === 0) break;
      if (info.total_pages !== undefined ? page >= info.total_pages : result.length < (info.per_page ?? perPage)) break;
    }
    return items;
  }
}

/** The SDK reports anything thrown by its fetch (the budget's RATE_LIMITED) as a connection error; take it back out. */
function unwrap(err: unknown): unknown {
  return err instanceof APIConnectionError && isAppError(err.cause) ? err.cause : err;
}

/** Cloudflare's own error codes carried by an error, for deciding what a failure means. */
export function cfCodes(err: unknown): number[] {
  if (isAppError(err)) return (err.details?.codes as number[] | undefined) ?? [];
  if (err instanceof APIError) return err.errors.map((e) => e.code ?? 0);
  return [];
}

export function hasCode(err: unknown, ...codes: number[]): boolean {
  return cfCodes(err).some((c) => codes.includes(c));
}

/** The HTTP status of a mapped provider error, when there was one. */
export function cfStatus(err: unknown): number | undefined {
  return isAppError(err) ? (err.details?.status as number | undefined) : undefined;
}

/** Maps SDK errors to AppError, keeping Cloudflare's exact message and codes. */
export function toAppError(thrown: unknown): AppError {
  const err = unwrap(thrown);
  if (isAppError(err)) return err;
  if (err instanceof APIConnectionTimeoutError) return new AppError("TIMEOUT", "Cloudflare API did not answer in time", { cause: err });
  if (err instanceof APIConnectionError) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return new AppError("UNAVAILABLE", `Cannot reach the Cloudflare API${cause}`, { cause: err });
  }
  if (err instanceof APIError) {
    const messages = err.errors.map((e) => e.message).filter((m): m is string => Boolean(m));
    const message = messages.length ? messages.join("; ") : err.message;
    const details = { status: err.status, codes: err.errors.map((e) => e.code ?? 0) };
    return new AppError(err.status === 429 ? "RATE_LIMITED" : "PROVIDER_ERROR", message, { cause: err, details });
  }
  return new AppError("PROVIDER_ERROR", err instanceof Error ? err.message : String(err), { cause: err });
}

function errorSummary(err: unknown): string {
  if (err instanceof APIError) return `${err.status} ${err.errors.map((e) => `${e.code} ${e.message}`).join("; ")}`;
  return err instanceof Error ? err.message : String(err);
}

/** The subset of a Cloudflare record Wharf reads. */
export interface CfRecord {
  id: string;
  name: string;
  type: string;
  content?: string;
  ttl?: number;
  proxied?: boolean;
  comment?: string | null;
}

export function toProviderRecord(r: CfRecord): ProviderRecord {
  const content = r.content ?? "";
  return {
    id: r.id,
    fqdn: normalizeFqdn(r.name),
    type: r.type,
    content: r.type === "CNAME" ? normalizeFqdn(content) : content,
    ttl: r.ttl,
    proxied: r.proxied,
    marker: r.comment ?? null,
  };
}

/** The write body for a desired record. Proxied records always have TTL 1 (automatic) at Cloudflare. */
export function cfBody(rec: DesiredRecord) {
  const proxied = rec.proxied ?? false;
  return { name: rec.fqdn, type: rec.type, content: rec.content, ttl: proxied ? 1 : rec.ttl, proxied, comment: rec.marker };
}

/** Whether the record at Cloudflare already is what Wharf wants (TTL is moot for proxied records). */
export function cfMatches(existing: CfRecord, rec: DesiredRecord): boolean {
  const proxied = rec.proxied ?? false;
  return (
    existing.type === rec.type &&
    sameContent(rec.type, existing.content ?? "", rec.content) &&
    (existing.proxied ?? false) === proxied &&
    (proxied || existing.ttl === rec.ttl) &&
    (existing.comment ?? null) === rec.marker
  );
}
