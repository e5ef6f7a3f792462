import { AppError } from "../errors";
import { httpRequest, isConnectionReset, parseJson, type HttpResponse } from "./http-client";

const LABEL = "Caddy admin API";

/**
 * The socket of an admin URL of the form `unix:///abs/path/admin.sock` (an
 * admin API listening on a unix socket, like Wharf's own Caddy), or null for
 * an http(s) URL.
 */
export function adminSocketPath(adminUrl: string): string | null {
  if (!adminUrl.startsWith("unix://")) return null;
  const socketPath = adminUrl.slice("unix://".length);
  if (!socketPath.startsWith("/")) throw new AppError("VALIDATION", `${LABEL}: ${adminUrl} must name an absolute socket path (unix:///path/to/admin.sock)`);
  return socketPath;
}

/** Result of a conditional write: Caddy answers 412 when the If-Match hash no longer matches. */
export type WriteOutcome = "done" | "stale";

/**
 * Thin client for Caddy's admin API under /config/.
 *
 * Caddy (2.5.2+) sends the ETag of a GET as an HTTP *trailer*, formatted
 * `"<path> <hash>"`, and honours `If-Match` on writes: it re-hashes the config
 * at the path named in the header (any path, not necessarily the one being
 * written) and answers 412 on a mismatch. Checked on Caddy 2.6.2.
 */
export class CaddyAdmin {
  private readonly base: string;
  private readonly socketPath: string | undefined;
  private readonly identity: Record<string, string>;

  constructor(adminUrl: string, private readonly timeoutMs = 15_000) {
    const socketPath = adminSocketPath(adminUrl);
    if (socketPath) {
      this.socketPath = socketPath;
      this.base = "http://localhost";
      // Caddy 2.6 allows only an empty Host on a unix-socket admin endpoint
      // ("host not allowed" otherwise, RFC 2616 §14.26); later versions check
      // no Host there. No Origin: a socket has none to enforce.
      this.identity = { host: "" };
    } else {
      this.base = adminUrl.replace(/\/+$/, "");
      // Caddy with `enforce_origin` checks Origin against the admin address; harmless otherwise.
      this.identity = { origin: new URL(adminUrl).origin };
    }
  }

  /** GET a config path; a path that does not exist reads as `null` (Caddy answers 200 "null"). */
  async get(path: string): Promise<{ value: unknown; etag: string | null }> {
    const res = await this.send("GET", path);
    if (res.status !== 200) throw this.failure("GET", path, res);
    const etag = res.trailers.etag ?? (typeof res.headers.etag === "string" ? res.headers.etag : null);
    return { value: parseJson(res.text), etag: etag ?? null };
  }

  /** A write guarded by `ifMatch` when given; "stale" means someone else changed the config first. */
  async write(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown, ifMatch?: string | null, extra: Record<string, string> = {}): Promise<WriteOutcome> {
    const res = await this.send(method, path, body, { ...extra, ...(ifMatch ? { "if-match": ifMatch } : {}) });
    if (res.status === 412) return "stale";
    if (res.status >= 200 && res.status < 300) return "done";
    throw this.failure(method, path, res);
  }

  /**
   * Caddy restarts its admin listener on every config change ("admin endpoint
   * started" / "stopped previous server" in its log), so a request arriving
   * meanwhile sees ECONNRESET or ECONNREFUSED. Resending is safe for every
   * call Wharf makes: GETs read, and writes carry If-Match, so a write that
   * did land turns the resend into a 412 and a fresh read.
   */
  private async send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await httpRequest({
          url: `${this.base}${path}`,
          socketPath: this.socketPath,
          method: method as "GET",
          body,
          headers: { ...this.identity, ...headers },
          timeoutMs: this.timeoutMs,
          label: LABEL,
        });
      } catch (err) {
        if (attempt >= 5 || !isConnectionReset(err)) throw err;
        await new Promise((r) => setTimeout(r, 25 * attempt));
      }
    }
  }

  private failure(method: string, path: string, res: HttpResponse): AppError {
    const body = parseJson(res.text) as { error?: unknown } | null;
    const message = typeof body?.error === "string" ? body.error : res.text.trim() || `HTTP ${res.status}`;
    return new AppError("PROVIDER_ERROR", `${LABEL} ${method} ${path} failed (${res.status}): ${message}`, {
      details: { status: res.status, providerMessage: message },
    });
  }
}
