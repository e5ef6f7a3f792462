import { AppError, isAppError } from "./errors";
import { logger } from "./logger";
import { assertRole, requestActor } from "./auth/actor";
import { crossSiteRefusal, isStateChanging, unsupportedBody } from "./auth/request-guard";
import type { Actor, Role } from "./audit/record-event";
import { recordAggregated } from "./audit/record-aggregated";
import { assertDeployScope } from "./auth/deploy-tokens";
import { safeJson } from "./form-data";

// The only place domain errors become HTTP responses (STYLE habits 3 and 4).

export function jsonError(code: string, message: string, status: number, field?: string, details?: Record<string, unknown>): Response {
  return Response.json({ error: { code, message, ...(field ? { field } : {}), ...(details ? { details } : {}) } }, { status });
}

export function errorResponse(err: unknown): Response {
  if (isAppError(err)) return jsonError(err.code, err.message, err.status, err.field, err.publicDetails);
  logger.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, "unhandled API error");
  return jsonError("INTERNAL", "Internal error: see the server log", 500);
}

/** A boolean query parameter: absent → false; anything but true/false/1/0 is a 400 naming it. */
export function parseFlag(value: string | null, field: string): boolean {
  if (value === null || value === "" || value === "false" || value === "0") return false;
  if (value === "true" || value === "1") return true;
  throw new AppError("VALIDATION", `${field}: must be true or false`, { field });
}

/** Reads a JSON body into null-prototype objects; a key that could reach a prototype is a 400 naming it. */
export async function readJson(req: Request): Promise<unknown> {
  const text = await req.text();
  if (!text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError("BAD_REQUEST", "body: must be valid JSON", { field: "body" });
  }
  return safeJson(parsed);
}

type RouteContext = { params: Promise<Record<string, string>> };
interface Ctx {
  req: Request;
  actor: Actor;
  params: Record<string, string>;
}

/**
 * The cross-site check for a state-changing request authenticated by the
 * session cookie (SPEC §12): a 403 Response (audited) when it does not come
 * from Wharf's own origin, else null. Bearer requests carry no cookie and are
 * exempt (only `Authorization: Bearer`). Refusals are audited as one row per
 * source and minute with a count. Route handlers outside apiRoute call this too.
 */
export async function refuseCrossSite(req: Request, actor: Actor | null, action?: string): Promise<Response | null> {
  // Only a bearer token exempts: any other Authorization scheme (Basic, junk) still rides on the session cookie.
  if (!isStateChanging(req.method) || /^Bearer\s/i.test(req.headers.get("authorization") ?? "")) return null;
  const refusal = crossSiteRefusal(req);
  if (!refusal) return null;
  const path = new URL(req.url).pathname;
  // Aggregated per source and minute: a hostile page can send these at will, and must not push real history out.
  const source = req.headers.get("origin") ?? (req.headers.get("sec-fetch-site") ? `Sec-Fetch-Site ${req.headers.get("sec-fetch-site")}` : "no Origin");
  await recordAggregated({
    actor: actor ?? { kind: "user", label: "anonymous", role: "viewer" },
    action: "csrf.refused",
    source: `${source.slice(0, 200)} → ${actor?.label ?? "anonymous"}`,
    message: `${refusal} (${action ?? `${req.method} ${path.slice(0, 200)}`})`,
  });
  logger.warn({ op: "csrf", method: req.method, path: path.slice(0, 200) }, refusal);
  return jsonError("FORBIDDEN", refusal, 403);
}

/**
 * Wraps a route handler: authenticates (bearer token or session), refuses
 * cross-site cookie requests and non-JSON bodies, checks the role, runs `fn`,
 * and turns its result into JSON (a Response is passed through).
 */
export function apiRoute(opts: { role: Role; action?: string; status?: number; allowDeployToken?: boolean }, fn: (ctx: Ctx) => Promise<unknown>) {
  return async (req: Request, context: RouteContext): Promise<Response> => {
    try {
      const actor = await requestActor(req);
      if (!actor) return jsonError("UNAUTHORIZED", "Authentication required: sign in or send Authorization: Bearer <api token>", 401);
      const crossSite = await refuseCrossSite(req, actor, opts.action);
      if (crossSite) return crossSite;
      const badBody = unsupportedBody(req);
      if (badBody) return jsonError("UNSUPPORTED_MEDIA_TYPE", badBody, 415, "content-type");
      const params = context?.params ? await context.params : {};
      // A deploy token passes only the route that opted in, for its own instance (SPEC §12).
      if (actor.scope) await assertDeployScope(actor, opts.allowDeployToken ? params.id : undefined, opts.action);
      await assertRole(actor, opts.role, opts.action);
      const result = await fn({ req, actor, params });
      if (result instanceof Response) return result;
      if (result === undefined) return new Response(null, { status: 204 });
      return Response.json(result, { status: opts.status ?? 200 });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
