import { AppError } from "../errors";
import type { TNpmConfig } from "../settings/schemas";
import { httpRequest, parseJson } from "./http-client";

const LABEL = "Nginx Proxy Manager";
/** Renew a token this long before NPM says it expires. */
const RENEW_MARGIN_MS = 60_000;

export interface NpmResponse {
  status: number;
  body: unknown;
  /** The raw answer (a certificate download is a zip). */
  bytes?: Buffer;
  /** NPM's own error text (`{"error":{"code","message"}}`), when it sent one. */
  message: string | null;
}

export function npmMessage(body: unknown): string | null {
  const m = (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof m === "string" ? m : null;
}

function isExpired(res: NpmResponse): boolean {
  // NPM answers an expired JWT with 400 (some versions 401) "Token has expired", never a bare 401.
  return (res.status === 400 || res.status === 401) && /token has expired/i.test(res.message ?? "");
}

/**
 * NPM's REST API with token login (POST /api/tokens {identity, secret}) and
 * renewal (GET /api/tokens with a still-valid token). The password is only
 * ever sent to /api/tokens and never logged.
 */
export class NpmClient {
  private token: string | null = null;
  private expiresAt = 0;
  private readonly base: string;

  constructor(private readonly config: TNpmConfig, private readonly timeoutMs = 15_000) {
    this.base = config.url.replace(/\/+$/, "").replace(/\/api$/, "");
  }

  get url(): string {
    return this.base;
  }

  /**
   * An authenticated call. An expired token costs one re-login and one retry.
   * So does a 500: NPM answers every call with a token it can no longer
   * verify (it regenerated its keys) with 500 "Internal Error", for ever. A
   * POST is not re-sent after a 500 (it may have been stored: the caller
   * looks before it creates again). Any status is returned.
   */
  async call(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown, opts: { timeoutMs?: number } = {}): Promise<NpmResponse> {
    await this.ensureToken();
    let res = await this.raw(method, path, body, this.token, opts.timeoutMs);
    if (isExpired(res) || res.status === 500) {
      await this.login();
      if (res.status !== 500 || method !== "POST") res = await this.raw(method, path, body, this.token, opts.timeoutMs);
    }
    return res;
  }

  /**
   * The logged-in user's permission for proxy hosts: "manage" for an
   * administrator, else NPM's per-user setting ("view", "hidden").
   */
  async proxyHostPermission(): Promise<{ email: string; level: string }> {
    const me = await this.call("GET", "/api/users/me?expand=permissions");
    if (me.status !== 200) throw this.fail("GET", "/api/users/me", me);
    const user = me.body as { email?: string; roles?: string[]; permissions?: { proxy_hosts?: string } };
    return { email: user.email ?? "", level: (user.roles ?? []).includes("admin") ? "manage" : (user.permissions?.proxy_hosts ?? "hidden") };
  }

  /** A non-2xx answer as PROVIDER_ERROR carrying NPM's own message. */
  fail(method: string, path: string, res: NpmResponse): AppError {
    const message = res.message ?? `HTTP ${res.status}`;
    return new AppError("PROVIDER_ERROR", `${LABEL} ${method} ${path} failed (${res.status}): ${message}`, {
      details: { status: res.status, providerMessage: message },
    });
  }

  async login(): Promise<void> {
    this.token = null;
    const res = await this.raw("POST", "/api/tokens", { identity: this.config.email, secret: this.config.password }, null);
    if (res.status !== 200) {
      throw new AppError("PROVIDER_ERROR", `${LABEL} at ${this.base} refused the login for ${this.config.email} (${res.status}): ${res.message ?? "no message"}`, {
        details: { status: res.status, providerMessage: res.message },
      });
    }
    this.accept(res);
  }

  private async ensureToken(): Promise<void> {
    if (this.token && Date.now() < this.expiresAt - RENEW_MARGIN_MS) return;
    if (this.token && Date.now() < this.expiresAt) {
      const res = await this.raw("GET", "/api/tokens", undefined, this.token);
      if (res.status === 200) return this.accept(res);
    }
    await this.login();
  }

  private accept(res: NpmResponse): void {
    const body = res.body as { token?: unknown; expires?: unknown } | null;
    if (typeof body?.token !== "string") throw new AppError("PROVIDER_ERROR", `${LABEL} at ${this.base} answered the login without a token`);
    this.token = body.token;
    const expires = typeof body.expires === "string" ? Date.parse(body.expires) : Number.NaN;
    // Without a usable expiry, renew on every call rather than trust a stale token.
    this.expiresAt = Number.isNaN(expires) ? 0 : expires;
  }

  private async raw(method: string, path: string, body: unknown, token: string | null, timeoutMs = this.timeoutMs): Promise<NpmResponse> {
    const res = await httpRequest({
      url: `${this.base}${path}`,
      method: method as "GET",
      body,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      timeoutMs,
      label: LABEL,
    });
    const parsed = parseJson(res.text);
    return { status: res.status, body: parsed, bytes: res.bytes, message: npmMessage(parsed) };
  }
}
