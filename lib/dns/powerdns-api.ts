import { fetchNoRedirect } from "../no-redirect-fetch";
import { AppError, isAppError } from "../errors";
import { logger } from "../logger";
import { isWharfMarker, markerAllowsWrite, markerOwner, normalizeFqdn } from "../naming";
import { installationId } from "../secrets";
import { normalizeContent } from "./content";
import { type RetryDecision, type RetryPolicy, isTransientStatus, parseRetryAfter, retryPolicy, withRetry } from "./retry";
import { countedFetch } from "../metrics/registry";
import type { ProviderRecord } from "./types";

export interface PdnsComment {
  content: string;
  account: string;
  modified_at?: number;
}
export interface PdnsRRset {
  name: string;
  type: string;
  ttl: number;
  records: { content: string; disabled: boolean }[];
  comments: PdnsComment[];
}
export interface PdnsRRsetChange {
  name: string;
  type: string;
  changetype: "REPLACE" | "DELETE";
  ttl?: number;
  records?: { content: string; disabled: boolean }[];
  comments?: PdnsComment[];
}

export interface PowerDnsOptions {
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
}

const log = logger.child({ provider: "powerdns" });

/** PowerDNS speaks canonical names: lower-case with the trailing dot. */
export const canonical = (name: string) => `${normalizeFqdn(name)}.`;

/** Content as PowerDNS wants it on the wire: a CNAME target is a canonical name too. */
export const wireContent = (type: string, content: string) => (type === "CNAME" ? canonical(content) : content.trim());

export const rrsetId = (fqdn: string, type: string) => `${normalizeFqdn(fqdn)}|${type.toUpperCase()}`;

export function parseRrsetId(id: string): { fqdn: string; type: string } | null {
  const [fqdn, type] = id.split("|");
  return fqdn && type ? { fqdn: normalizeFqdn(fqdn), type: type.toUpperCase() } : null;
}

export function rrsetMarker(rrset: PdnsRRset): string | null {
  const comments = rrset.comments ?? [];
  return comments.find((c) => isWharfMarker(c.content))?.content ?? comments[0]?.content ?? null;
}

/**
 * This installation's marker, or a legacy one (written before installation
 * ids): to delete, when the ledger names it; to overwrite with `want`, only
 * when it names the same consumer. Another installation's rrset is foreign.
 */
export function isOwnRrset(rrset: PdnsRRset, want?: string, installation = installationId()): boolean {
  const marker = rrsetMarker(rrset);
  if (want !== undefined) return markerAllowsWrite(marker, installation, want);
  return ["mine", "legacy"].includes(markerOwner(marker, installation));
}

export function rrsetToRecords(rrset: PdnsRRset): ProviderRecord[] {
  const fqdn = normalizeFqdn(rrset.name);
  const marker = rrsetMarker(rrset);
  return rrset.records
    .filter((r) => !r.disabled)
    .map((r) => ({
      id: rrsetId(fqdn, rrset.type),
      fqdn,
      type: rrset.type,
      content: rrset.type === "CNAME" ? normalizeFqdn(r.content) : r.content,
      ttl: rrset.ttl,
      marker,
    }));
}

/** The PowerDNS HTTP API with a per-request timeout, Wharf's retries and a request count. */
export class PowerDnsApi {
  calls = 0;
  private readonly base: string;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;

  constructor(apiUrl: string, serverId: string, private readonly apiKey: string, opts: PowerDnsOptions = {}) {
    const root = apiUrl.trim().replace(/\/+$/, "").replace(/\/api(\/v1)?$/, "");
    this.base = `${root}/api/v1/servers/${encodeURIComponent(serverId || "localhost")}`;
    this.policy = retryPolicy(opts.retry);
    this.timeoutMs = opts.timeoutMs ?? 15_000;
  }

  /** Every call Wharf makes is idempotent here (GET, PATCH with REPLACE/DELETE), so all are retried alike. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const classify = (err: unknown): RetryDecision => {
      if (isAppError(err)) {
        const status = err.details?.status as number | undefined;
        return isTransientStatus(status) ? { retry: true, afterMs: err.details?.retryAfterMs as number | undefined } : { retry: false };
      }
      return { retry: true }; // network failure or timeout
    };
    try {
      return await withRetry(() => this.once<T>(method, path, body), classify, this.policy, ({ attempt, delayMs, err }) =>
        log.warn({ method, path, attempt, delayMs, err: (err as Error).message }, "powerdns request failed, retrying"),
      );
    } catch (err) {
      if (isAppError(err)) throw err;
      const timedOut = err instanceof Error && err.name === "TimeoutError";
      throw new AppError(timedOut ? "TIMEOUT" : "UNAVAILABLE", timedOut ? `PowerDNS API did not answer within ${this.timeoutMs} ms` : `Cannot reach the PowerDNS API: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private async once<T>(method: string, path: string, body?: unknown): Promise<T> {
    this.calls++;
    const res = await fetchNoRedirect(`${this.base}${path}`, {
      method,
      headers: { "X-API-Key": this.apiKey, Accept: "application/json", ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    }, "PowerDNS API", (input, init) => countedFetch("powerdns", input, init));
    const text = await res.text();
    if (!res.ok) {
      // PowerDNS answers {"error": "..."} for API errors and plain text ("Unauthorized", "Not Found") for others.
      let message = text.trim();
      try {
        const parsed = JSON.parse(text) as { error?: string };
        if (parsed.error) message = parsed.error;
      } catch {
        /* plain text */
      }
      throw new AppError("PROVIDER_ERROR", message || `${res.status} ${res.statusText}`, {
        details: { status: res.status, retryAfterMs: parseRetryAfter(res.headers.get("retry-after")) },
      });
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** Whether an rrset already holds exactly the desired single record, TTL and marker. */
export function rrsetMatches(rrset: PdnsRRset, want: { type: string; content: string; ttl: number; marker: string }): boolean {
  const live = rrset.records.filter((r) => !r.disabled);
  return (
    rrset.type === want.type &&
    live.length === 1 &&
    rrset.records.length === 1 &&
    normalizeContent(want.type, live[0].content) === normalizeContent(want.type, want.content) &&
    rrset.ttl === want.ttl &&
    rrsetMarker(rrset) === want.marker
  );
}
