// The registry HTTP API (distribution spec) as Docker's tooling speaks it:
// an anonymous request first, then the challenge in WWW-Authenticate decides
// between Basic auth and the Bearer token flow (a token from the realm the
// registry names, for the scope it asks for).
import { createHash } from "node:crypto";
import { AppError } from "../errors";
import { isLoopbackHost, registryApiBase } from "../image-ref";

export interface RegistryCredentials {
  username: string;
  password: string;
  /** A token-service host the operator named for this registry in Settings: credentials may go there too. */
  authHost?: string | null;
}

// Token services Docker's own tooling knows for a registry that is not on its host.
const BUILTIN_AUTH_HOSTS: Record<string, string> = { "docker.io": "auth.docker.io" };

/**
 * Where credentials may be sent for `registry`: its own API host, the auth
 * host the operator named for it, or a registry's well-known token service.
 * A realm anywhere else is whoever the registry (or a man in the middle of
 * it) says: it gets an anonymous token request (issue 21).
 */
export function credentialHosts(registry: string, creds: RegistryCredentials | null): Set<string> {
  const out = new Set([new URL(registryApiBase(registry)).host.toLowerCase(), registry.toLowerCase()]);
  if (BUILTIN_AUTH_HOSTS[registry]) out.add(BUILTIN_AUTH_HOSTS[registry]);
  if (creds?.authHost) out.add(creds.authHost.toLowerCase());
  return out;
}

// What `docker pull` / `docker manifest inspect` send: a registry answers a
// HEAD with the digest of the manifest (or index) the engine would pull.
export const MANIFEST_ACCEPT = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
].join(", ");

const TIMEOUT_MS = 15_000;

export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!m) return { scheme: "", params: {} };
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)="([^"]*)"/g)) params[p[1].toLowerCase()] = p[2];
  return { scheme: m[1].toLowerCase(), params };
}

/** Retry-After in milliseconds (seconds or an HTTP date); null when absent. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function basic(c: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

function refused(registry: string, what: string, creds: RegistryCredentials | null): AppError {
  return creds
    ? new AppError("PROVIDER_ERROR", `registry ${registry} refused the credentials for ${what}`, { details: { registry } })
    : new AppError("PROVIDER_ERROR", `registry ${registry} requires credentials for ${what}: add them in Settings → Registries`, { details: { registry } });
}

function rateLimited(registry: string, res: Response): AppError {
  const wait = retryAfterMs(res.headers.get("retry-after"));
  return new AppError("RATE_LIMITED", `registry ${registry} is rate limiting requests${wait !== null ? ` (retry after ${Math.ceil(wait / 1000)}s)` : ""}`, {
    details: { registry, retryAfterMs: wait },
  });
}

async function send(url: string, init: RequestInit, registry: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new AppError("PROVIDER_ERROR", `registry ${registry} cannot be reached: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`, {
      details: { registry },
    });
  }
}

/**
 * A bearer token from the realm of a challenge. Credentials go only to the
 * registry's own host or its named auth host, over HTTPS (or to loopback);
 * any other realm is asked anonymously, and a refusal then says why.
 */
async function fetchToken(o: { registry: string; params: Record<string, string>; scope?: string; creds: RegistryCredentials | null; what: string }): Promise<{ token: string; withheld: string | null }> {
  const realm = o.params.realm;
  if (!realm || !URL.canParse(realm)) throw new AppError("PROVIDER_ERROR", `registry ${o.registry} sent a token challenge without a usable realm`);
  const url = new URL(realm);
  if (o.params.service) url.searchParams.set("service", o.params.service);
  const scope = o.params.scope ?? o.scope;
  if (scope) url.searchParams.set("scope", scope);
  const safe = url.protocol === "https:" || isLoopbackHost(url.host);
  const ownHost = credentialHosts(o.registry, o.creds).has(url.host.toLowerCase());
  const headers: Record<string, string> = {};
  if (o.creds && safe && ownHost) headers.authorization = basic(o.creds);
  const withheld = o.creds && !headers.authorization ? withheldWhy(o.registry, url, ownHost) : null;
  // No redirect is followed: a token service moving elsewhere would take the credentials with it.
  const res = await send(url.toString(), { headers, redirect: "manual" }, o.registry);
  if (res.status === 429) throw rateLimited(o.registry, res);
  if (res.status >= 300 && res.status < 400) throw new AppError("PROVIDER_ERROR", `registry ${o.registry}: token service ${url.host} answered a redirect (${res.status}); redirects are not followed`);
  if (res.status === 401 || res.status === 403) throw withheld ? new AppError("PROVIDER_ERROR", `registry ${o.registry} refused an anonymous token for ${o.what}: ${withheld}`, { details: { registry: o.registry } }) : refused(o.registry, o.what, o.creds);
  if (!res.ok) throw new AppError("PROVIDER_ERROR", `registry ${o.registry}: token service answered ${res.status}`);
  const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new AppError("PROVIDER_ERROR", `registry ${o.registry}: token service sent no token`);
  return { token, withheld };
}

function withheldWhy(registry: string, realm: URL, ownHost: boolean): string {
  return ownHost
    ? `the credentials were not sent to the token realm ${realm.origin} (plain HTTP to a host that is not loopback)`
    : `the credentials were not sent to the token realm ${realm.host}: it is not ${registry}'s own host (name it as the registry's auth host in Settings → Registries if it is the registry's token service)`;
}

/**
 * One request with the registry's auth flow. `what` names the repository in
 * errors; `scope` is the token scope to ask for when the challenge has none.
 */
export async function registryRequest(o: {
  registry: string;
  path: string;
  method?: "GET" | "HEAD";
  headers?: Record<string, string>;
  creds: RegistryCredentials | null;
  scope?: string;
  what: string;
}): Promise<Response> {
  const url = registryApiBase(o.registry) + o.path;
  const init = (auth?: string): RequestInit => ({ method: o.method ?? "GET", headers: { ...o.headers, ...(auth ? { authorization: auth } : {}) } });
  let res = await send(url, init(), o.registry);
  if (res.status === 401) {
    const ch = parseChallenge(res.headers.get("www-authenticate") ?? "");
    if (ch.scheme === "basic") {
      if (!o.creds) throw refused(o.registry, o.what, null);
      // Basic credentials travel in clear over plain HTTP: only to loopback.
      if (!url.startsWith("https:") && !isLoopbackHost(o.registry)) throw new AppError("PROVIDER_ERROR", `registry ${o.registry} asks for Basic auth over plain HTTP`);
      res = await send(url, init(basic(o.creds)), o.registry);
    } else if (ch.scheme === "bearer") {
      const { token, withheld } = await fetchToken({ registry: o.registry, params: ch.params, scope: o.scope, creds: o.creds, what: o.what });
      res = await send(url, init(`Bearer ${token}`), o.registry);
      if ((res.status === 401 || res.status === 403) && withheld) throw new AppError("PROVIDER_ERROR", `registry ${o.registry} refused the anonymous token for ${o.what}: ${withheld}`, { details: { registry: o.registry } });
    }
    if (res.status === 401) throw refused(o.registry, o.what, o.creds);
  }
  if (res.status === 403) throw refused(o.registry, o.what, o.creds);
  if (res.status === 429) throw rateLimited(o.registry, res);
  return res;
}

/** "Test login": GET /v2/ through the auth flow. */
export async function testRegistryLogin(o: { registry: string; creds: RegistryCredentials }): Promise<{ ok: boolean; message: string }> {
  try {
    const res = await registryRequest({ registry: o.registry, path: "/v2/", creds: o.creds, what: "/v2/" });
    if (!res.ok) return { ok: false, message: `registry ${o.registry} answered ${res.status} on /v2/` };
    return { ok: true, message: `logged in to ${o.registry} as ${o.creds.username}` };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

/** The digest a tag points at now: a HEAD on its manifest (the request `docker pull` starts with). */
export async function headManifestDigest(o: { registry: string; repository: string; reference: string; creds: RegistryCredentials | null }): Promise<string> {
  const what = `${o.repository}:${o.reference}`;
  const req = (method: "HEAD" | "GET") =>
    registryRequest({
      registry: o.registry, path: `/v2/${o.repository}/manifests/${encodeURIComponent(o.reference)}`, method,
      headers: { accept: MANIFEST_ACCEPT }, creds: o.creds, scope: `repository:${o.repository}:pull`, what: o.repository,
    });
  const res = await req("HEAD");
  if (res.status === 404) throw new AppError("PROVIDER_ERROR", `registry ${o.registry} has no manifest for ${what}`);
  if (!res.ok) throw new AppError("PROVIDER_ERROR", `registry ${o.registry} answered ${res.status} for the manifest of ${what}`);
  const digest = res.headers.get("docker-content-digest");
  if (digest) return digest;
  // Some registries omit the header on HEAD: the digest is the sha256 of the manifest bytes.
  const full = await req("GET");
  if (!full.ok) throw new AppError("PROVIDER_ERROR", `registry ${o.registry} answered ${full.status} for the manifest of ${what}`);
  return `sha256:${createHash("sha256").update(Buffer.from(await full.arrayBuffer())).digest("hex")}`;
}
