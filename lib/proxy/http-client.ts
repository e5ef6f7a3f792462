import http from "node:http";
import https from "node:https";
import { AppError } from "../errors";

// node:http rather than fetch: newer Caddy answers 403 to any admin request
// carrying Sec-Fetch-Mode, which undici's fetch always sends, and fetch hides
// HTTP trailers, where Caddy puts the admin API's ETag.

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  trailers: NodeJS.Dict<string>;
  text: string;
  /** The body's bytes, for answers that are not text (NPM's certificate zip). */
  bytes: Buffer;
}

export interface HttpRequest {
  /** Absolute URL; with `socketPath`, only its path, query and (unless headers say otherwise) Host are used. */
  url: string;
  /** Connect to this unix socket instead of the URL's host and port. */
  socketPath?: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  headers?: Record<string, string>;
  /** Serialised as JSON when present. */
  body?: unknown;
  timeoutMs: number;
  /** Names the system in error messages, e.g. "Caddy admin API". */
  label: string;
}

/** One HTTP exchange; network failures become PROVIDER_ERROR, a slow answer TIMEOUT. Any status is returned. */
export function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(req.url);
  const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
  const headers: Record<string, string> = { accept: "application/json", ...req.headers };
  if (payload !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(payload));
  }
  const lib = url.protocol === "https:" ? https : http;
  // A Host header given explicitly (even empty) is sent as given: Node would otherwise replace an empty one with the URL's host.
  const explicitHost = Object.keys(headers).some((k) => k.toLowerCase() === "host");
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    // agent:false: a fresh connection per call, so no request ever lands on a
    // keep-alive socket the server has just closed (Caddy closes after writes).
    const options: http.RequestOptions = { method: req.method, headers, agent: false, setHost: !explicitHost };
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        finish(() => {
          const bytes = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, text: bytes.toString("utf8"), bytes });
        }),
      );
      res.on("error", (err) => finish(() => reject(unreachable(req, url, err))));
    };
    const request = req.socketPath
      ? http.request({ ...options, socketPath: req.socketPath, path: `${url.pathname}${url.search}` }, onResponse)
      : lib.request(url, options, onResponse);
    const timer = setTimeout(() => {
      finish(() => reject(new AppError("TIMEOUT", `${req.label} did not answer ${req.method} ${url.pathname} within ${req.timeoutMs} ms`)));
      request.destroy();
    }, req.timeoutMs);
    request.on("error", (err) => finish(() => reject(unreachable(req, url, err))));
    request.end(payload);
  });
}

function unreachable(req: HttpRequest, url: URL, err: Error): AppError {
  const code = (err as NodeJS.ErrnoException).code;
  const where = req.socketPath ? `unix://${req.socketPath}` : url.origin;
  return new AppError("PROVIDER_ERROR", `${req.label} at ${where} is unreachable: ${err.message}`, { cause: err, details: { code } });
}

/** Parses a JSON body, or null when empty or not JSON. */
export function parseJson(text: string): unknown {
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A connection that was refused or reset: the request may be sent again if the caller's write is safe to repeat. */
export function isConnectionReset(err: unknown): boolean {
  const code = err instanceof AppError ? err.details?.code : undefined;
  return code === "ECONNRESET" || code === "ECONNREFUSED" || code === "EPIPE";
}
