import { CaddyAdmin } from "../../lib/proxy/caddy-admin";
import type { CaddyRoute } from "../../lib/proxy/caddy-route";
import { CADDY } from "./http";

// Direct access to the test Caddy's "wharf" server, for tests that play the
// operator editing routes by hand (foreign routes Wharf must never touch).
export const caddyAdmin = new CaddyAdmin(CADDY.admin);
export const CADDY_ROUTES = `/config/apps/http/servers/${CADDY.server}/routes`;

export async function caddyRoutes(): Promise<CaddyRoute[]> {
  return ((await caddyAdmin.get(CADDY_ROUTES)).value as CaddyRoute[] | null) ?? [];
}

/** A guarded write by hand (If-Match), retried while other suites change the server. */
export async function editCaddyByHand(edit: (list: CaddyRoute[]) => { method: "POST" | "DELETE"; path: string; body?: unknown } | null): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const { value, etag } = await caddyAdmin.get(CADDY_ROUTES);
    const step = edit((value as CaddyRoute[] | null) ?? []);
    if (!step || (await caddyAdmin.write(step.method, step.path, step.body, etag)) === "done") return;
  }
  throw new Error("could not edit Caddy's routes by hand");
}
