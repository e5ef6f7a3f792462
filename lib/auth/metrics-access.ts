import { AppError } from "../errors";
import { actorFromToken } from "./tokens";

/**
 * GET /metrics takes a bearer token only (no session cookie: scrapers have
 * none, and a browser tab must not turn into a scrape target): a token of
 * role `metrics`, or any viewer or admin token.
 */
export async function authorizeMetrics(req: Request): Promise<void> {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "");
  if (!m) throw new AppError("UNAUTHORIZED", "Authorization: Bearer <api token> required (a token of role metrics, viewer or admin)");
  if (!(await actorFromToken(m[1], { metrics: true }))) throw new AppError("UNAUTHORIZED", "the token is unknown, revoked or expired");
}
