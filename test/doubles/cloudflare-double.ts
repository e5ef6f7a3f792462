import type { ServerResponse } from "node:http";
import { type CfApiError, CfError, type CfDoubleRecord, CfStore, type CfZone, type StoreLimits, newId } from "./cloudflare-double-store";
import { type FaultOptions, Faults, type LoggedRequest, type ParsedRequest, send, startServer } from "./http-double";

// A Cloudflare API v4 double: zones, DNS records (list/get/create/put/patch/
// delete/batch) and token verification, in Cloudflare's envelope
// {success, errors, messages, result, result_info}. Besides the store's
// rules it enforces the rate limit (1200 requests per 5 minutes per user,
// shared by all of that user's tokens; past it every call is refused with
// 429 and retry-after for a whole window), pages that come back empty past
// the end, and the token errors: a malformed Authorization header is 6003
// "Invalid request headers" with 6111 in error_chain; an account-owned token
// fails /user/tokens/verify (1000) and verifies at
// /accounts/{account id}/tokens/verify.

export interface CloudflareDoubleOptions {
  /** Tokens with access to every zone. */
  tokens?: string[];
  /** Valid tokens that may not touch any zone (403, code 10000). */
  restrictedTokens?: string[];
  /** Account-owned tokens (every zone access, verified under /accounts/{id}). */
  accountTokens?: string[];
  /** Tokens with Zone:Read but not DNS:Edit: record writes are 403 (10000). */
  readOnlyTokens?: string[];
  /** Token → user: tokens of one user share one rate-limit window (default: each token its own user). */
  users?: Record<string, string>;
  zones?: CfZone[];
  rateLimit?: { limit: number; windowMs: number };
  /** The server caps per_page here (the documented maximum for DNS records is 5,000,000). */
  maxPerPage?: number;
  limits?: Partial<StoreLimits>;
}

export interface RequestHook {
  (r: { method: string; path: string; query: Record<string, string>; body: unknown }): void | Promise<void>;
}

export interface CloudflareDouble {
  url: string;
  zones: CfZone[];
  close(): Promise<void>;
  records(): CfDoubleRecord[];
  /** Seeds a record directly (as if made in the dashboard); runs the same validation. */
  addRecord(body: Partial<CfDoubleRecord> & { name: string; type: string; content: string }, zoneId?: string): CfDoubleRecord;
  requests: LoggedRequest[];
  setFaults(opts: FaultOptions): void;
  setRateLimit(opts: { limit: number; windowMs: number }): void;
  setLimits(opts: Partial<StoreLimits>): void;
  /** Runs after authentication, before the request is served: tests use it to act as a concurrent client. */
  onRequest(hook: RequestHook | null): void;
}

const envelope = (result: unknown, extra: Record<string, unknown> = {}) => ({ success: true, errors: [], messages: [], result, ...extra });
const failure = (errors: CfApiError[]) => ({ success: false, errors, messages: [], result: null });

export async function startCloudflareDouble(opts: CloudflareDoubleOptions = {}): Promise<CloudflareDouble> {
  const tokens = new Set(opts.tokens ?? ["test-token"]);
  const restricted = new Set(opts.restrictedTokens ?? []);
  const accountTokens = new Set(opts.accountTokens ?? []);
  const readOnly = new Set(opts.readOnlyTokens ?? []);
  const accountId = newId();
  const zones = opts.zones ?? [{ id: newId(), name: "example.test" }];
  const store = new CfStore(zones, { commentMax: 100, batchLimit: 200, duplicateCode: 81058, recordQuota: Number.POSITIVE_INFINITY, ...opts.limits });
  const PLAN_NAMES = { free: "Free Website", pro: "Pro Website", business: "Business Website", enterprise: "Enterprise Website" } as const;
  const zoneView = ({ plan = "free", ...z }: CfZone) => ({
    ...z, status: "active", paused: false, type: "full", account: { id: accountId, name: "Test account" },
    plan: { id: newId(), name: PLAN_NAMES[plan], price: 0, currency: "USD", frequency: "", is_subscribed: true, can_subscribe: false, legacy_id: plan, legacy_discount: false, externally_managed: false },
  });
  let rate = opts.rateLimit ?? { limit: 1200, windowMs: 5 * 60_000 };
  const maxPerPage = opts.maxPerPage ?? 5_000_000;
  const windows = new Map<string, { starts: number[]; blockedUntil: number }>();
  const faults = new Faults();
  const log: LoggedRequest[] = [];
  let hook: RequestHook | null = null;

  function rateLimited(token: string): number | null {
    const now = Date.now();
    const user = opts.users?.[token] ?? token;
    const w = windows.get(user) ?? { starts: [], blockedUntil: 0 };
    windows.set(user, w);
    if (now < w.blockedUntil) return w.blockedUntil - now;
    w.starts = w.starts.filter((t) => t > now - rate.windowMs);
    if (w.starts.length >= rate.limit) {
      w.blockedUntil = now + rate.windowMs;
      return rate.windowMs;
    }
    w.starts.push(now);
    return null;
  }

  const tooMany = (res: ServerResponse, ms: number) =>
    send(res, 429, failure([{ code: 971, message: "Please wait and consider throttling your request speed" }]), { "retry-after": String(Math.ceil(ms / 1000)) });

  function page<T>(items: T[], q: Record<string, string>, defaultPer: number, max: number) {
    const per = Math.min(Math.max(1, Number(q.per_page ?? defaultPer) || defaultPer), max);
    const pageNo = Math.max(1, Number(q.page ?? 1) || 1);
    const slice = items.slice((pageNo - 1) * per, pageNo * per);
    const info = { page: pageNo, per_page: per, count: slice.length, total_count: items.length, total_pages: Math.ceil(items.length / per) };
    return envelope(slice, { result_info: info });
  }

  function serve(r: ParsedRequest, token: string, body: Record<string, unknown>, res: ServerResponse | null): { status: number; payload: unknown } {
    const parts = r.path.replace(/^\/client\/v4/, "").split("/").filter(Boolean);
    const ok = (result: unknown) => ({ status: 200, payload: envelope(result) });
    const valid = { ...envelope({ id: token.slice(0, 8), status: "active" }), messages: [{ code: 10000, message: "This API Token is valid and active", type: null }] };
    if (parts[0] === "user" && parts[1] === "tokens" && parts[2] === "verify") {
      if (accountTokens.has(token)) return { status: 401, payload: failure([{ code: 1000, message: "Invalid API Token" }]) };
      return { status: 200, payload: valid };
    }
    if (parts[0] === "accounts" && parts[2] === "tokens" && parts[3] === "verify") {
      if (!accountTokens.has(token) || parts[1] !== accountId) return { status: 401, payload: failure([{ code: 1000, message: "Invalid API Token" }]) };
      return { status: 200, payload: valid };
    }
    if (parts[0] !== "zones") return { status: 404, payload: failure([{ code: 7000, message: "No route for that URI" }]) };
    if (restricted.has(token)) return { status: 403, payload: failure([{ code: 10000, message: "Authentication error" }]) };
    if (parts.length === 1 && r.method === "GET") {
      const list = zones.filter((z) => !r.query.name || z.name === r.query.name).map(zoneView);
      return { status: 200, payload: page(list, r.query, 20, 50) };
    }
    const zone = store.zone(parts[1]);
    if (parts.length === 2) return ok(zoneView(zone));
    if (parts[2] !== "dns_records") return { status: 404, payload: failure([{ code: 7000, message: "No route for that URI" }]) };
    const id = parts[3];
    if (r.method !== "GET" && readOnly.has(token)) return { status: 403, payload: failure([{ code: 10000, message: "Authentication error" }]) };
    if (!id && r.method === "GET") return { status: 200, payload: page(store.filter(zone, r.query), r.query, 100, maxPerPage) };
    if (!id && r.method === "POST") return ok(store.create(zone, body));
    if (id === "batch" && r.method === "POST") return ok(store.batch(zone, body));
    if (id && r.method === "GET") return ok(store.get(zone, id));
    if (id && r.method === "PUT") return ok(store.put(zone, id, body));
    if (id && r.method === "PATCH") return ok(store.patch(zone, id, body));
    if (id && r.method === "DELETE") {
      if (res && faults.lie()) {
        r.entry.fault = "lie";
        store.get(zone, id);
        return ok({ id });
      }
      return ok(store.delete(zone, id));
    }
    return { status: 405, payload: failure([{ code: 10405, message: "Method not allowed" }]) };
  }

  const server = await startServer(async (r, res) => {
    const auth = r.req.headers.authorization;
    if (!auth) return send(res, 400, failure([{ code: 9106, message: "Missing X-Auth-Key, X-Auth-Email or Authorization headers" }]));
    if (!/^Bearer \S+$/.test(auth)) {
      return send(res, 400, failure([{ code: 6003, message: "Invalid request headers", error_chain: [{ code: 6111, message: "Invalid format for Authorization header" }] }]));
    }
    const token = auth.slice("Bearer ".length);
    const known = tokens.has(token) || restricted.has(token) || accountTokens.has(token) || readOnly.has(token);
    if (!known) {
      if (r.path.endsWith("/user/tokens/verify")) return send(res, 401, failure([{ code: 1000, message: "Invalid API Token" }]));
      return send(res, 403, failure([{ code: 9109, message: "Invalid access token" }]));
    }
    const wait = rateLimited(token);
    if (wait !== null) return tooMany(res, wait);
    let body: Record<string, unknown> = {};
    if (r.body) {
      try {
        body = JSON.parse(r.body) as Record<string, unknown>;
      } catch {
        return send(res, 400, failure([{ code: 6007, message: "Malformed JSON in request body" }]));
      }
    }
    if (hook) await hook({ method: r.method, path: r.path, query: r.query, body });
    const fault = faults.roll();
    if (fault) {
      r.entry.fault = fault.applied && r.method !== "GET" ? "applied" : "error";
      if (r.entry.fault === "applied") {
        try {
          serve(r, token, body, null);
        } catch {
          /* the write failed anyway; the client sees only the fault */
        }
      }
      if (fault.status === 429) return tooMany(res, faults.opts.retryAfterSec * 1000);
      if (fault.status === 500) return send(res, 500, failure([{ code: 10001, message: "Internal server error" }]));
      return send(res, fault.status, `<html><body><h1>${fault.status}</h1>Cloudflare could not complete the request</body></html>`, {
        "content-type": "text/html",
      });
    }
    try {
      const { status, payload } = serve(r, token, body, res);
      return send(res, status, payload);
    } catch (err) {
      if (err instanceof CfError) return send(res, err.status, failure(err.errors));
      throw err;
    }
  }, log);

  return {
    url: `${server.url}/client/v4`,
    zones,
    close: server.close,
    records: () => [...store.records.values()].map((r) => ({ ...r })),
    addRecord: (body, zoneId) => store.create(store.zone(zoneId ?? zones[0].id), body),
    requests: log,
    setFaults: (f) => faults.set(f),
    setRateLimit: (r) => {
      rate = r;
      windows.clear();
    },
    setLimits: (l) => {
      store.limits = { ...store.limits, ...l };
    },
    onRequest: (h) => {
      hook = h;
    },
  };
}
