// Cross-site request defence for cookie-authenticated route handlers (SPEC §12).
//
// Every app Wharf deploys runs on a sibling subdomain of Wharf's UI, i.e. on
// the same *site*: SameSite=Lax cookies ride along on its requests, and a
// `no-cors` fetch with a `text/plain` body needs no CORS preflight. So a
// state-changing request that authenticates with the session cookie must
// prove it comes from Wharf's own *origin*: browsers send `Origin` on every
// cross-origin request and on same-origin non-GET requests, and
// `Sec-Fetch-Site` on all requests. A request carrying neither is not a
// browser's and has no business using the session cookie (scripts use Bearer
// tokens).

import { liveEnv } from "../env";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isStateChanging(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/** The origins a request may legitimately come from: the one it was addressed to, and NEXTAUTH_URL's. */
export function allowedOrigins(req: Request): Set<string> {
  const out = new Set<string>();
  const url = new URL(req.url);
  const proto = req.headers.get("x-forwarded-proto")?.split(",")[0].trim() || url.protocol.replace(/:$/, "");
  const host = req.headers.get("host") ?? url.host;
  out.add(`${proto}://${host}`.toLowerCase());
  out.add(url.origin.toLowerCase());
  const pinned = liveEnv().nextAuthUrl;
  if (pinned) {
    try {
      out.add(new URL(pinned).origin.toLowerCase());
    } catch {
      // An unparsable NEXTAUTH_URL pins nothing; env parsing reports it elsewhere.
    }
  }
  return out;
}

/** Why a cookie-authenticated state-changing request is refused, or null when it comes from Wharf's origin. */
export function crossSiteRefusal(req: Request): string | null {
  const origin = req.headers.get("origin");
  if (origin !== null) {
    if (origin === "null") return "cross-site request refused: Origin is null (opaque origin)";
    return allowedOrigins(req).has(origin.toLowerCase()) ? null : `cross-site request refused: Origin ${origin.slice(0, 200)} is not Wharf's origin`;
  }
  const site = req.headers.get("sec-fetch-site");
  if (site === "same-origin" || site === "none") return null;
  if (site) return `cross-site request refused: Sec-Fetch-Site is ${site.slice(0, 50)}`;
  return "cross-site request refused: neither Origin nor Sec-Fetch-Site was sent (scripts authenticate with Authorization: Bearer)";
}

/**
 * JSON endpoints take only `application/json` bodies: `text/plain`, form and
 * multipart bodies are what a page can send cross-site without a preflight.
 * A declared Content-Type must be JSON; without one, there must be no body.
 * Returns the refusal message, or null.
 */
export function unsupportedBody(req: Request): string | null {
  if (!isStateChanging(req.method)) return null;
  const declared = req.headers.get("content-type");
  if (declared === null) {
    const length = Number(req.headers.get("content-length") ?? 0);
    return length > 0 || req.headers.has("transfer-encoding") ? "content-type: a request body must be sent as application/json" : null;
  }
  const type = declared.split(";")[0].trim().toLowerCase();
  return type === "application/json" ? null : `content-type: request bodies must be application/json, not ${type ? type.slice(0, 100) : "(empty)"}`;
}
