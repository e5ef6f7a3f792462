import { type FaultOptions, Faults, type LoggedRequest, send, startServer } from "./http-double";

// An AdGuard Home double for the rewrite API (/control/rewrite/list, add,
// delete, update) and /control/status, with its documented quirks: basic
// auth (401 without it), 415 for a body that is not application/json, add
// stores duplicates, matching is by exact string, and delete answers 200
// whether or not anything matched (it removes every entry equal to the body).

export interface AdguardRewrite {
  domain: string;
  answer: string;
  enabled: boolean;
}

export interface AdguardDoubleOptions {
  username?: string;
  password?: string;
  rewrites?: { domain: string; answer: string; enabled?: boolean }[];
  version?: string;
}

export interface AdguardDouble {
  url: string;
  username: string;
  password: string;
  close(): Promise<void>;
  rewrites(): AdguardRewrite[];
  /** Adds an entry directly, as the operator would in the web UI (duplicates allowed). */
  addRewrite(domain: string, answer: string, enabled?: boolean): void;
  requests: LoggedRequest[];
  setFaults(opts: FaultOptions): void;
}

export async function startAdguardDouble(opts: AdguardDoubleOptions = {}): Promise<AdguardDouble> {
  const username = opts.username ?? "admin";
  const password = opts.password ?? "adguard-test-password";
  let rewrites: AdguardRewrite[] = (opts.rewrites ?? []).map((r) => ({ enabled: true, ...r }));
  const faults = new Faults();
  const log: LoggedRequest[] = [];
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const same = (a: { domain: string; answer: string }, b: { domain?: unknown; answer?: unknown }) => a.domain === b.domain && a.answer === b.answer;

  function apply(method: string, path: string, body: Record<string, unknown>): { status: number; payload: unknown } {
    if (method === "POST" && path === "/control/rewrite/add") {
      if (typeof body.domain !== "string" || typeof body.answer !== "string" || !body.domain || !body.answer) {
        return { status: 400, payload: "json.Decode: domain and answer are required" };
      }
      rewrites.push({ domain: body.domain, answer: body.answer, enabled: body.enabled !== false });
      return { status: 200, payload: "" };
    }
    if (method === "POST" && path === "/control/rewrite/delete") {
      rewrites = rewrites.filter((r) => !same(r, body));
      return { status: 200, payload: "" };
    }
    if (method === "PUT" && path === "/control/rewrite/update") {
      const target = (body.target ?? {}) as Record<string, unknown>;
      const update = (body.update ?? {}) as Record<string, unknown>;
      const idx = rewrites.findIndex((r) => same(r, target));
      if (idx < 0) return { status: 400, payload: "rewrite: target not found" };
      const old = rewrites[idx];
      rewrites[idx] = {
        domain: typeof update.domain === "string" ? update.domain : old.domain,
        answer: typeof update.answer === "string" ? update.answer : old.answer,
        enabled: typeof update.enabled === "boolean" ? update.enabled : old.enabled,
      };
      return { status: 200, payload: "" };
    }
    return { status: 404, payload: "404 page not found" };
  }

  const server = await startServer(async (r, res) => {
    if (r.req.headers.authorization !== expected) {
      return send(res, 401, "Unauthorized", { "www-authenticate": 'Basic realm="Restricted"' });
    }
    if (r.method === "GET" && r.path === "/control/rewrite/list") {
      const fault = faults.roll();
      if (fault) return injected(r.entry, fault.status);
      return send(res, 200, rewrites.map((x) => ({ ...x })));
    }
    if (r.method === "GET" && r.path === "/control/status") {
      return send(res, 200, { version: opts.version ?? "v0.107.99", running: true, protection_enabled: true, dns_port: 53, http_port: 3000 });
    }
    if (r.method !== "GET") {
      const type = (r.req.headers["content-type"] ?? "").split(";")[0].trim();
      if (type !== "application/json") return send(res, 415, `only application/json is allowed, got ${JSON.stringify(type)}`);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(r.body || "null") ?? {};
    } catch (err) {
      return send(res, 400, `json.Decode: ${(err as Error).message}`);
    }
    const fault = faults.roll();
    if (fault) {
      if (fault.applied) apply(r.method, r.path, body);
      const status = injected(r.entry, fault.status);
      if (fault.applied) r.entry.fault = "applied";
      return status;
    }
    if (r.path === "/control/rewrite/delete" && faults.lie()) {
      r.entry.fault = "lie";
      return send(res, 200, "");
    }
    const { status, payload } = apply(r.method, r.path, body);
    return send(res, status, payload as string);

    function injected(entry: LoggedRequest, status = 500): number {
      entry.fault = "error";
      if (status === 429) return send(res, 429, "Too Many Requests", { "retry-after": String(faults.opts.retryAfterSec) });
      return send(res, status, `${status} internal error`);
    }
  }, log);

  return {
    url: server.url,
    username,
    password,
    close: server.close,
    rewrites: () => rewrites.map((r) => ({ ...r })),
    addRewrite: (domain, answer, enabled = true) => {
      rewrites.push({ domain, answer, enabled });
    },
    requests: log,
    setFaults: (f) => faults.set(f),
  };
}
