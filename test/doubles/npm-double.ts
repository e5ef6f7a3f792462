import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { certificateStore, type StoredCertificate } from "./npm-double-certs";
import { validateProxyHostBody, type Body } from "./npm-double-schema";

// A stand-in for Nginx Proxy Manager's REST API (v2, backend/internal/*.js),
// which cannot run here. It follows NPM 2.15 where a client can tell (the
// answers were compared with the real backend):
// - POST /api/tokens {identity, secret} → {token, expires}; bad credentials
//   400 "Invalid email or password" (with message_i18n); any other property
//   (an `expiry`) 400 "data must NOT have additional properties";
//   GET /api/tokens[?expiry=30s] renews a valid token.
// - a missing token is 403 "Permission Denied"; an expired one 400
//   "Token has expired"; an unverifiable one (unknown, or NPM regenerated its
//   keys: `invalidateTokens`) 500 "Internal Error", for ever.
// - errors are {"error":{"code","message"}}; not found is "Not Found - <id>";
//   a missing or insufficient permission is 404 "Not Found - <path>", not 403.
// - users: GET /api/users/me?expand=permissions → {roles, permissions}; an
//   admin may do everything, otherwise permissions.proxy_hosts decides
//   ("manage", "view": reads only, "hidden": nothing).
// - proxy hosts: schema-validated bodies (NPM's domain pattern, unique
//   domains, every error joined by ", "), "<domain> is already in use"
//   across every host type, soft delete, a PUT that patches (meta replaced
//   whole), ssl_forced forced off without a certificate, domain_names stored
//   sorted, trust_forwarded_proto on every host, and nginx status in
//   meta.nginx_online / nginx_err merged into meta on every configure.
// - the create answer is the row as read *before* nginx was configured (so
//   without nginx_online); the update answer carries the configured meta;
//   `failCreateAfterStore` makes creates answer 500 after storing the host.
// - nginx: `upstream(id)` is what nginx would do with a request to the host:
//   a bare IPv6 forward_host passes the config test but fails every request
//   ("invalid port in upstream"), and a new or changed host serves only
//   20–70 ms after the answer (nginx reloads asynchronously).
// - certificates (/api/nginx/certificates): see npm-double-certs.ts; gated by
//   permissions.certificates like proxy hosts by theirs. While certbot runs,
//   every host serving one of its names is out of nginx (`upstream().outage`).
// - a POST to /api/nginx/proxy-hosts by a user without the manage
//   permission is 500 "Internal Error" (an NPM 2.15.1 bug; PUT and DELETE
//   answer 404), and without a token 404 "Not Found - /nginx/proxy-hosts".

export interface NpmUser {
  email: string;
  password: string;
  roles?: string[];
  permissions?: { visibility?: "all" | "user"; proxy_hosts?: "manage" | "view" | "hidden" };
}

export interface NpmDoubleOptions {
  email?: string;
  password?: string;
  tokenLifetimeMs?: number;
  /** Further users besides the admin (email/password). */
  users?: NpmUser[];
}

export interface StoredHost extends Body {
  id: number;
  domain_names: string[];
  meta: Record<string, unknown>;
  is_deleted: boolean;
}

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  authorized: boolean;
}

export interface NpmDouble {
  url: string;
  /** Every request served, in order (no bodies: they may carry the password). */
  requests: LoggedRequest[];
  /** Live (not deleted) hosts, as NPM would return them. */
  hosts(): StoredHost[];
  host(id: number): StoredHost | undefined;
  /** Insert a host directly, as an operator using NPM's UI would. */
  addHost(fields: Partial<StoredHost> & { domain_names: string[] }): StoredHost;
  /** Change a host directly, as an operator saving NPM's edit form would (no checks, no nginx). */
  editHost(id: number, fields: Partial<StoredHost>): void;
  /** A domain held by a redirection or 404 host, invisible in /proxy-hosts. */
  reserveDomain(domain: string): void;
  /** Makes every token issued so far expired. */
  expireTokens(): void;
  /** NPM regenerated its signing keys: every token issued so far is unverifiable (500). */
  invalidateTokens(): void;
  /** The next `times` creates store the host, then answer 500 with this message (nginx failed on another host's config). */
  failCreateAfterStore(message: string, times?: number): void;
  /** What nginx does with a request to this host now. */
  upstream(id: number): { serving: boolean; error: string | null; readyAt?: number; outage?: "certbot" };
  setTokenLifetime(ms: number): void;
  /** nginx rejects the next `times` configurations (default: all) with this error; null accepts again. */
  setNginxFailure(err: string | null, times?: number): void;
  /** Runs before each request is handled, to simulate a concurrent writer. */
  setHook(hook: ((method: string, path: string) => void | Promise<void>) | null): void;
  /** Live certificates. */
  certificates(): Omit<StoredCertificate, "is_deleted" | "pem">[];
  /** Insert a certificate directly, as an operator using NPM's UI would. */
  addCertificate(fields: Partial<StoredCertificate> & { domain_names: string[] }): StoredCertificate;
  /** certbot fails the next `times` Let's Encrypt requests (default: all) with this output; null succeeds again. */
  setCertbotFailure(text: string | null, times?: number): void;
  /** certbot takes this long inside each Let's Encrypt POST (default 0). */
  setIssuanceDelay(ms: number): void;
  close(): Promise<void>;
}

const DEFAULTS = {
  forward_scheme: "http",
  access_list_id: 0,
  certificate_id: 0,
  ssl_forced: false,
  caching_enabled: false,
  block_exploits: false,
  advanced_config: "",
  allow_websocket_upgrade: false,
  http2_support: false,
  enabled: true,
  locations: [],
  hsts_enabled: false,
  hsts_subdomains: false,
  trust_forwarded_proto: false,
};

export async function startNpmDouble(opts: NpmDoubleOptions = {}): Promise<NpmDouble> {
  const admin: NpmUser = { email: (opts.email ?? "admin@example.com").toLowerCase(), password: opts.password ?? "changeme", roles: ["admin"] };
  const users = [admin, ...(opts.users ?? []).map((u) => ({ ...u, email: u.email.toLowerCase() }))];
  const tokenUser = new Map<string, NpmUser>();
  const servesAt = new Map<number, number>();
  let createFailure: string | null = null;
  let createFailuresLeft = 0;
  let lifetime = opts.tokenLifetimeMs ?? 24 * 3600_000;
  let nginxFailure: string | null = null;
  let failuresLeft = 0;
  let hook: ((method: string, path: string) => void | Promise<void>) | null = null;
  const tokens = new Map<string, number>();
  const store = new Map<number, StoredHost>();
  const reserved = new Set<string>();
  const requests: LoggedRequest[] = [];
  // Names certbot is running for: NPM disables the hosts serving them until it ends.
  const issuing = new Map<string, number>();
  const certs = certificateStore({
    onIssuing: (domains, running) => {
      for (const d of domains) issuing.set(d, (issuing.get(d) ?? 0) + (running ? 1 : -1));
    },
  });
  let nextId = 1;

  const now = () => new Date().toISOString();
  const issue = (user: NpmUser, ms = lifetime) => {
    const token = `npm-double-${randomBytes(12).toString("hex")}`;
    const expires = Date.now() + ms;
    tokens.set(token, expires);
    tokenUser.set(token, user);
    return { token, expires: new Date(expires).toISOString() };
  };
  const view = (h: StoredHost): Body => {
    const { is_deleted: _d, ...rest } = structuredClone(h);
    return rest;
  };
  const live = () =>
    [...store.values()].filter((h) => !h.is_deleted).sort((a, b) => JSON.stringify(a.domain_names).localeCompare(JSON.stringify(b.domain_names)));
  const takenDomain = (domains: string[], ignoreId: number): string | null => {
    for (const d of domains) {
      const lower = d.toLowerCase();
      if (reserved.has(lower) || live().some((h) => h.id !== ignoreId && h.domain_names.some((x) => x.toLowerCase() === lower))) return d;
    }
    return null;
  };
  const cleanSslHsts = (h: StoredHost) => {
    if (!h.certificate_id) {
      h.ssl_forced = false;
      h.http2_support = false;
    }
    if (!h.ssl_forced) h.hsts_enabled = false;
    if (!h.hsts_enabled) h.hsts_subdomains = false;
  };
  const configure = (h: StoredHost) => {
    const failure = failuresLeft > 0 ? nginxFailure : null;
    if (failure !== null) failuresLeft -= 1;
    h.meta = { ...h.meta, nginx_online: failure === null, nginx_err: failure };
    servesAt.set(h.id, Date.now() + 20 + Math.floor(Math.random() * 50));
  };
  const sortDomains = (h: { domain_names?: unknown }) => {
    if (Array.isArray(h.domain_names)) h.domain_names = [...(h.domain_names as string[])].sort();
  };
  const insert = (fields: Body): StoredHost => {
    const h = { ...structuredClone(DEFAULTS), meta: {}, ...structuredClone(fields), id: nextId++, created_on: now(), modified_on: now(), owner_user_id: 1, is_deleted: false } as unknown as StoredHost;
    sortDomains(h);
    cleanSslHsts(h);
    store.set(h.id, h);
    return h;
  };

  type Reply = [number, unknown];
  const err = (code: number, message: string, extra: Body = {}): Reply => [code, { error: { code, message, ...extra } }];
  const notFound = (path: string) => err(404, `Not Found - ${path.replace(/^\/api/, "")}`);
  const durationMs = (v: string | undefined) => {
    const m = /^(\d+)([smhd])$/.exec(v ?? "");
    return m ? Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s"] : undefined;
  };

  async function route(method: string, path: string, query: URLSearchParams, auth: string | undefined, body: unknown): Promise<Reply> {
    if (method === "GET" && path === "/api/") return [200, { status: "OK", setup: true, version: { major: 2, minor: 15, revision: 1 } }];
    if (method === "POST" && path === "/api/tokens") {
      const b = (body ?? {}) as Body;
      if (typeof b.identity !== "string" || typeof b.secret !== "string") return err(400, "data must have required property 'identity'");
      if (Object.keys(b).some((k) => !["identity", "secret", "scope"].includes(k))) return err(400, "data must NOT have additional properties");
      const user = users.find((u) => u.email === String(b.identity).toLowerCase().trim() && u.password === b.secret);
      if (!user) return err(400, "Invalid email or password", { message_i18n: "error.invalid-auth" });
      return [200, issue(user)];
    }
    if (!auth) return /^\/api\/nginx\/proxy-hosts/.test(path) ? notFound(path) : err(403, "Permission Denied");
    const expires = tokens.get(auth);
    const user = tokenUser.get(auth);
    if (expires === undefined || !user) return err(500, "Internal Error");
    if (Date.now() >= expires) return err(400, "Token has expired");

    if (method === "GET" && path === "/api/tokens") return [200, issue(user, durationMs(query.get("expiry") ?? undefined))];
    const isAdmin = (user.roles ?? []).includes("admin");
    const permissions = { visibility: "all", proxy_hosts: isAdmin ? "manage" : "hidden", redirection_hosts: "hidden", dead_hosts: "hidden", streams: "hidden", access_lists: "hidden", certificates: "hidden", ...user.permissions };
    if (method === "GET" && path === "/api/users/me") {
      const me = { id: users.indexOf(user) + 1, email: user.email, name: user.email, nickname: user.email.split("@")[0], roles: user.roles ?? [], is_disabled: false };
      return [200, query.get("expand")?.split(",").includes("permissions") ? { ...me, permissions } : me];
    }
    const c = /^\/api\/nginx\/certificates(?:\/(\d+)(\/download)?)?$/.exec(path);
    if (c) {
      const certLevel = isAdmin ? "manage" : permissions.certificates;
      if (certLevel === "hidden" || (certLevel === "view" && method !== "GET")) return notFound(path);
      return certs.route(method, c[1] ? Number(c[1]) : null, body, Boolean(c[2]));
    }
    const m = /^\/api\/nginx\/proxy-hosts(?:\/(\d+))?$/.exec(path);
    if (!m) return notFound(path);
    // NPM answers a refused permission as if the route did not exist.
    const level = isAdmin ? "manage" : permissions.proxy_hosts;
    // 2.15.1's create checks the permission after starting its transaction and fails there.
    if (method === "POST" && m[1] === undefined && level !== "manage") return err(500, "Internal Error");
    if (level === "hidden" || (level === "view" && method !== "GET")) return notFound(path);
    const id = m[1] ? Number(m[1]) : null;
    const existing = id === null ? undefined : store.get(id);
    const found = existing && !existing.is_deleted ? existing : undefined;

    if (id === null && method === "GET") return [200, live().map(view)];
    if (id === null && method === "POST") {
      const v = validateProxyHostBody(body, "create");
      if (!v.ok) return err(400, v.message);
      const taken = takenDomain(v.data.domain_names as string[], 0);
      if (taken) return err(400, `${taken} is already in use`);
      const h = insert(v.data);
      const answer = view(h);
      configure(h);
      if (createFailuresLeft > 0 && createFailure !== null) {
        createFailuresLeft -= 1;
        h.meta = { ...h.meta, nginx_online: false, nginx_err: createFailure };
        return err(500, createFailure);
      }
      return [201, answer];
    }
    if (id === null) return notFound(path);
    if (method === "GET") return found ? [200, view(found)] : err(404, `Not Found - ${id}`);
    if (method === "PUT") {
      const v = validateProxyHostBody(body, "update");
      if (!v.ok) return err(400, v.message);
      if (v.data.domain_names) {
        const taken = takenDomain(v.data.domain_names as string[], id);
        if (taken) return err(400, `${taken} is already in use`);
      }
      if (!found) return err(404, `Not Found - ${id}`);
      Object.assign(found, structuredClone(v.data), { modified_on: now() });
      sortDomains(found);
      cleanSslHsts(found);
      if (found.enabled) configure(found);
      return [200, view(found)];
    }
    if (method === "DELETE") {
      if (!found) return err(404, `Not Found - ${id}`);
      found.is_deleted = true;
      return [200, true];
    }
    return notFound(path);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const method = req.method ?? "GET";
      const url = new URL(req.url ?? "/", "http://double");
      const path = url.pathname;
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      let reply: Reply;
      try {
        if (hook) await hook(method, path);
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        reply = await route(method, path, url.searchParams, auth, body);
      } catch (e) {
        reply = err(500, e instanceof Error ? e.message : String(e));
      }
      requests.push({ method, path, status: reply[0], authorized: Boolean(auth) });
      if (Buffer.isBuffer(reply[1])) {
        res.writeHead(reply[0], { "content-type": "application/zip", "content-disposition": "attachment; filename=\"certificate.zip\"" });
        res.end(reply[1]);
        return;
      }
      res.writeHead(reply[0], { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(reply[1]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    hosts: () => live().map((h) => structuredClone(h)),
    host: (id) => {
      const h = store.get(id);
      return h && !h.is_deleted ? structuredClone(h) : undefined;
    },
    addHost: (fields) => structuredClone(insert(fields)),
    editHost: (id, fields) => {
      const h = store.get(id);
      if (!h || h.is_deleted) throw new Error(`no proxy host ${id}`);
      Object.assign(h, structuredClone(fields), { modified_on: now() });
    },
    reserveDomain: (d) => void reserved.add(d.toLowerCase()),
    expireTokens: () => {
      for (const t of tokens.keys()) tokens.set(t, 0);
    },
    invalidateTokens: () => {
      tokens.clear();
      tokenUser.clear();
    },
    failCreateAfterStore: (message, times = 1) => {
      createFailure = message;
      createFailuresLeft = times;
    },
    upstream: (id) => {
      const h = store.get(id);
      if (!h || h.is_deleted || !h.enabled || h.meta.nginx_online === false) return { serving: false, error: null };
      if (h.domain_names.some((d) => (issuing.get(d.toLowerCase()) ?? 0) > 0)) return { serving: false, error: null, outage: "certbot" };
      const readyAt = servesAt.get(id) ?? 0;
      const serving = Date.now() >= readyAt;
      // nginx splits host and port at the last colon: a bare IPv6 address has no valid port.
      const host = String(h.forward_host);
      const error = host.includes(":") && !host.startsWith("[") ? `invalid port in upstream "${host}:${h.forward_port}"` : null;
      return { serving, error, readyAt };
    },
    setTokenLifetime: (ms) => void (lifetime = ms),
    setNginxFailure: (e, times = Number.POSITIVE_INFINITY) => {
      nginxFailure = e;
      failuresLeft = e === null ? 0 : times;
    },
    setHook: (h) => void (hook = h),
    certificates: certs.certificates,
    addCertificate: (fields) => {
      const { is_deleted: _d, pem: _p, ...row } = certs.insert(fields);
      return structuredClone({ ...row, is_deleted: false });
    },
    setCertbotFailure: certs.setCertbotFailure,
    setIssuanceDelay: certs.setIssuanceDelay,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // A client that gave up mid-request leaves a keep-alive socket behind.
        server.closeAllConnections();
      }),
  };
}
