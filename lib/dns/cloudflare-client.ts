import Cloudflare, { APIConnectionError, APIConnectionTimeoutError, APIError } from "cloudflare";
import { fetchNoRedirect } from "../no-redirect-fetch";
import { env } from "../env";
import { AppError, isAppError } from "../errors";
import { logger } from "../logger";
import { normalizeFqdn } from "../naming";
import { type BudgetOptions, type RequestBudget, budgetForToken } from "./cloudflare-budget";
import { type RetryDecision, type RetryPolicy, parseRetryAfter, retryPolicy, withRetry } from "./retry";
import { sameContent } from "./content";
import { countedFetch } from "../metrics/registry";
import type { DesiredRecord, ProviderRecord } from "./types";

/** Documented maximum of `per_page` for GET /zones/{id}/dns_records: one page is normally the whole zone. */
export const CF_RECORDS_PER_PAGE_MAX = 5_000_000;
/** Documented maximum of `per_page` for GET /zones. */
export const CF_ZONES_PER_PAGE_MAX = 50;
/** Changes per batch request on the Free plan; the smallest, safe on every plan. */
export const CF_BATCH_LIMIT = 200;
/** Changes per batch request on Pro, Business and Enterprise zones (developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes). */
export const CF_BATCH_LIMIT_PAID = 3500;
/** The batch size for a zone's plan (`plan.legacy_id` of GET /zones/{id}); an unknown plan gets Free's. */
export const cfBatchLimit = (plan: string | undefined | null) => (plan === "pro" || plan === "business" || plan === "enterprise" ? CF_BATCH_LIMIT_PAID : CF_BATCH_LIMIT);
/** Record comments are capped at 100 characters on the Free plan (error 9313 beyond). */
export const CF_COMMENT_MAX = 100;

export const CF_CODES = {
  recordMissing: 81044,
  /** Record quota of the zone reached (200 records on a Free zone created since September 2024). */
  quotaExceeded: 81045,
  /** "An A, AAAA, or CNAME record with that host already exists." (writing a CNAME) */
  hostConflict: 81053,
  /** "A CNAME record with that host already exists." (writing an A/AAAA) */
  cnameExists: 81054,
  recordExists: 81057,
  identicalExists: 81058,
  /** "Target … is not allowed for a proxied record." (a private or reserved address) */
  proxiedTarget: 9003,
} as const;

/**
 * Cloudflare takes TTL 1 ("automatic") or 60–86400 seconds (30 on
 * Enterprise zones, which Wharf does not assume). Anything else fails every
 * write, so settings refuse it up front.
 */
export function cloudflareTtlProblem(ttl: number): string | null {
  return ttl === 1 || (ttl >= 60 && ttl <= 86400) ? null : "Cloudflare accepts 1 (automatic) or 60 to 86400 seconds";
}

/** Every code that means "something already holds this name": resolved by looking again, never taken as success. */
export const CF_EXISTS_CODES = [CF_CODES.hostConflict, CF_CODES.cnameExists, CF_CODES.recordExists, CF_CODES.identicalExists];

/**
 * Refusals that apply to every change of a request, not to one record:
 * authentication and permission (9106, 9109, 10000, 6003/6111, 1000, HTTP
 * 401/403), the record quota, and TTL or comment rules Wharf's settings
 * break for every record alike (9021 TTL, 9313 comment length). A batch
 * refused for one of these is not replayed change by change.
 */
const BATCH_WIDE_CODES = [9106, 9109, 10000, 6003, 6111, 1000, CF_CODES.quotaExceeded, 9021, 9313];

export function isBatchWide(err: unknown): boolean {
  const status = cfStatus(err);
  return status === 401 || status === 403 || hasCode(err, ...BATCH_WIDE_CODES);
}

export interface CloudflareOptions {
  budget?: Partial<BudgetOptions>;
  retry?: Partial<RetryPolicy>;
  /** Page size for record lists; defaults to the documented maximum. */
  pageSize?: number;
  batchSize?: number;
  timeoutMs?: number;
  /** The installation whose records are "ours" (default: this process's installationId()). */
  installation?: string;
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
      baseURL: baseUrl || env().CLOUDFLARE_BASE_URL || undefined,
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
    const res = await fetchNoRedirect(input, init, "Cloudflare API", (i, n) => countedFetch("cloudflare", i, n));
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
   * so saves a request per listing from the rate budget. `keep` maps each
   * item as its page arrives, so that a 100,000-record zone is held once in
   * the few fields Wharf reads rather than as the SDK's full objects.
   */
  async listPages<T, U = T>(op: string, perPage: number, fetchPage: (page: number) => Promise<{ result: T[]; result_info?: PageInfo }>, keep?: (item: T) => U): Promise<U[]> {
    const items: U[] = [];
    for (let page = 1; page < 100_000; page++) {
      const { result, result_info: info = {} } = await this.call(op, () => fetchPage(page), true);
      // One at a time: push(...result) passes every item as an argument and overflows the stack on a large page.
      for (const item of result) items.push(keep ? keep(item) : (item as unknown as U));
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
    const errors = err.errors as CfErrorItem[];
    const messages = errors.map(describeError).filter((m) => m.length > 0);
    let message = messages.length ? messages.join("; ") : err.message;
    const codes = errors.flatMap((e) => [e.code ?? 0, ...(e.error_chain ?? []).map((c) => c.code ?? 0)]);
    if (codes.includes(CF_CODES.quotaExceeded)) message = `zone record quota reached (${message})`;
    if (codes.includes(CF_CODES.proxiedTarget)) message = `${message} Cloudflare proxies only public addresses: turn "proxied" off in Settings or target a public address`;
    const details = { status: err.status, codes };
    return new AppError(err.status === 429 ? "RATE_LIMITED" : "PROVIDER_ERROR", message, { cause: err, details });
  }
  return new AppError("PROVIDER_ERROR", err instanceof Error ? err.message : String(err), { cause: err });
}

interface CfErrorItem {
  code?: number;
  message?: string;
  error_chain?: { code?: number; message?: string }[];
}

/** One error with its `error_chain` appended: "Invalid request headers: Invalid format for Authorization header (6111)". */
function describeError(e: CfErrorItem): string {
  const chain = (e.error_chain ?? []).map((c) => `${c.message ?? ""}${c.code ? ` (${c.code})` : ""}`).filter(Boolean);
  return [e.message ?? "", ...chain].filter(Boolean).join(": ");
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

/** Just the fields of CfRecord, from the SDK's full record (tags, meta, settings, dates dropped). */
export const slimRecord = (r: CfRecord): CfRecord => ({ id: r.id, name: r.name, type: r.type, content: r.content, ttl: r.ttl, proxied: r.proxied, comment: r.comment });

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

/**
 * The edit (PATCH) body: only the fields Wharf owns. A PUT would reset every
 * field it does not send (tags an operator added, for one); name and type
 * never change in place (a type change is a delete and a create).
 */
export function cfPatch(rec: DesiredRecord) {
  const proxied = rec.proxied ?? false;
  return { content: rec.content, ttl: proxied ? 1 : rec.ttl, proxied, comment: rec.marker };
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
