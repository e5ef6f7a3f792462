import { AppError, errorMessage } from "../errors";
import { isWharfRouteId } from "../naming";
import { operationLogger } from "../logger";
import type { TCaddyConfig } from "../settings/schemas";
import { CaddyAdmin, type WriteOutcome } from "./caddy-admin";
import {
  buildCaddyRoute,
  findHostClash,
  forceTlsProblem,
  insertionIndex,
  sameJson,
  toProxyRoute,
  type CaddyRoute,
  type Json,
} from "./caddy-route";
import { checkRouteId, checkRouteSpec } from "./route-spec";
import type { ConnectionResult, ProxyProvider, ProxyRoute, RouteSpec } from "./types";

export interface CaddyProviderOptions {
  timeoutMs?: number;
  /** Conditional writes retried after a 412 before giving up with CONFLICT. */
  maxAttempts?: number;
}

/**
 * Caddy through its admin API: one route per consumer in
 * apps.http.servers.<server>.routes, addressed by `@id`.
 *
 * Writes are addressed by array index and guarded with If-Match on the
 * ETag of what was read, never through /id/<id> (all checked on Caddy 2.6.2):
 * - Caddy accepts two routes with the same @id, and /id/ then resolves to
 *   whichever was indexed last, possibly in another server;
 * - /id/ is translated to an array index outside Caddy's config lock, so
 *   concurrent /id/ writes land on shifted indexes: someone else's route.
 * An index is only valid for the ETag it was read under, and If-Match makes
 * Caddy refuse the write (412) otherwise; Wharf then re-reads and retries.
 * The loop after the last write is the read-back of SPEC §4.6.
 */
export class CaddyProvider implements ProxyProvider {
  readonly type = "caddy" as const;
  private readonly admin: CaddyAdmin;
  private readonly maxAttempts: number;
  private readonly serverPath: string;
  private readonly routesPath: string;

  constructor(private readonly config: TCaddyConfig, opts: CaddyProviderOptions = {}) {
    this.admin = new CaddyAdmin(config.adminUrl, opts.timeoutMs);
    this.maxAttempts = opts.maxAttempts ?? 10;
    this.serverPath = `/config/apps/http/servers/${encodeURIComponent(config.server)}`;
    this.routesPath = `${this.serverPath}/routes`;
  }

  async ensureRoute(input: RouteSpec): Promise<ProxyRoute> {
    const spec = checkRouteSpec(input);
    const desired = buildCaddyRoute(spec);
    const op = operationLogger({ op: "proxy.ensureRoute", consumer: spec.id, provider: "caddy", server: this.config.server });
    let attempts = 0;
    while (attempts < this.maxAttempts) {
      const { server, routes, etag } = await this.readServer();
      if (spec.forceTls) {
        const problem = forceTlsProblem(this.config.server, server, await this.httpPort());
        if (problem) throw new AppError("VALIDATION", problem, { field: "forceTls" });
      }
      const list = routes ?? [];
      const positions = list.flatMap((r, i) => (r["@id"] === spec.id ? [i] : []));
      const clash = findHostClash(list, spec, positions[0] ?? insertionIndex(list));
      if (clash) throw this.clashError(spec, clash);

      let outcome: WriteOutcome;
      if (positions.length > 1) {
        // A duplicate left by an unguarded writer: drop the last copy, then start over.
        outcome = await this.admin.write("DELETE", `${this.routesPath}/${positions[positions.length - 1]}`, undefined, etag);
        op.step("dedupe", { outcome });
        if (outcome === "done") continue;
      } else if (positions.length === 1) {
        if (sameJson(list[positions[0]], desired)) {
          op.step("unchanged");
          return toProxyRoute(desired)!;
        }
        // The blue-green switch: one PATCH replaces the whole route in place.
        outcome = await this.admin.write("PATCH", `${this.routesPath}/${positions[0]}`, desired, etag);
        op.step("replace", { outcome, index: positions[0] });
      } else if (routes === null) {
        // POST to a missing key would store a bare object where Caddy expects a list.
        outcome = await this.admin.write("PUT", this.routesPath, [desired], etag);
        op.step("create-list", { outcome });
      } else {
        const index = insertionIndex(list);
        outcome =
          index === list.length
            ? await this.admin.write("POST", this.routesPath, desired, etag)
            : await this.admin.write("PUT", `${this.routesPath}/${index}`, desired, etag);
        op.step("insert", { outcome, index });
      }
      if (outcome === "done") return this.confirm(spec.id, desired);
      attempts += 1;
      await sleep(10 + Math.random() * 40 * attempts);
    }
    throw new AppError(
      "CONFLICT",
      `Caddy server '${this.config.server}' kept changing while Wharf wrote route ${spec.id} (${this.maxAttempts} attempts); try again`,
    );
  }

  async removeRoute(id: string): Promise<void> {
    checkRouteId(id);
    const op = operationLogger({ op: "proxy.removeRoute", consumer: id, provider: "caddy", server: this.config.server });
    let removed = 0;
    let stale = 0;
    // Not DELETE /id/<id>: Caddy resolves the id to an array index before taking
    // its config lock, so concurrent deletes shift each other's targets. Six
    // concurrent DELETE /id/ on Caddy 2.6.2 removed the operator's neighbouring
    // routes while every call answered 200.
    for (;;) {
      const { value, etag } = await this.admin.get(this.routesPath);
      const list = Array.isArray(value) ? (value as CaddyRoute[]) : [];
      const index = list.findLastIndex((r) => r["@id"] === id);
      if (index === -1) break;
      const outcome = await this.admin.write("DELETE", `${this.routesPath}/${index}`, undefined, etag);
      if (outcome === "done") removed += 1;
      else if (++stale >= this.maxAttempts) {
        throw new AppError("CONFLICT", `Caddy server '${this.config.server}' kept changing while Wharf removed route ${id}; try again`);
      } else await sleep(10 + Math.random() * 40 * stale);
    }
    op.step("removed", { removed });
  }

  async listRoutes(): Promise<ProxyRoute[]> {
    const { routes } = await this.readServer();
    return (routes ?? []).flatMap((r) => {
      const route = toProxyRoute(r);
      return route ? [route] : [];
    });
  }

  async testConnection(): Promise<ConnectionResult> {
    try {
      const { server, routes } = await this.readServer();
      const list = routes ?? [];
      const own = list.filter((r) => isWharfRouteId(r["@id"])).length;
      const listen = Array.isArray(server.listen) ? (server.listen as string[]).join(", ") : "(no listen address)";
      return {
        ok: true,
        message: `Connected to Caddy at ${this.config.adminUrl}: server '${this.config.server}' listens on ${listen} with ${list.length} route(s), ${own} of them Wharf's`,
      };
    } catch (err) {
      return { ok: false, message: errorMessage(err) };
    }
  }

  private async readServer(): Promise<{ server: Json; routes: CaddyRoute[] | null; etag: string | null }> {
    const { value, etag } = await this.admin.get(this.serverPath);
    if (!value || typeof value !== "object") throw await this.missingServer();
    const server = value as Json;
    const routes = Array.isArray(server.routes) ? (server.routes as CaddyRoute[]) : null;
    return { server, routes, etag };
  }

  /** Wharf never creates the server: its listen addresses and TLS policy are the operator's decision. */
  private async missingServer(): Promise<AppError> {
    const { value } = await this.admin.get("/config/");
    const http = ((value as Json | null)?.apps as Json | undefined)?.http as Json | undefined;
    const servers = Object.keys((http?.servers as Json | undefined) ?? {});
    const name = this.config.server;
    if (!value) {
      return new AppError(
        "PROVIDER_ERROR",
        `Caddy at ${this.config.adminUrl} has an empty configuration (restarted without its config?); load a config with an HTTP server named '${name}'`,
      );
    }
    const known = servers.length ? `its HTTP servers are: ${servers.join(", ")}` : "it has no HTTP servers";
    return new AppError("PROVIDER_ERROR", `Caddy at ${this.config.adminUrl} has no HTTP server named '${name}' (${known})`);
  }

  private async httpPort(): Promise<number> {
    const { value } = await this.admin.get("/config/apps/http/http_port");
    return typeof value === "number" ? value : 80;
  }

  private clashError(spec: RouteSpec, clash: { index: number; id?: string; host: string }): AppError {
    if (clash.id && isWharfRouteId(clash.id)) {
      return new AppError("CONFLICT", `host ${clash.host} is already routed by Wharf route ${clash.id} in Caddy server '${this.config.server}'`);
    }
    const which = clash.id ? `route @id "${clash.id}"` : `route #${clash.index} (no @id)`;
    return new AppError(
      "FOREIGN_RESOURCE",
      `host ${clash.host} is already routed by ${which} in Caddy server '${this.config.server}', which Wharf does not own; remove it in Caddy or pick another host name for ${spec.id}`,
    );
  }

  /** Read back (SPEC §4.6): exactly one route with the id, equal to what was written. */
  private async confirm(id: string, desired: CaddyRoute): Promise<ProxyRoute> {
    const { value } = await this.admin.get(this.routesPath);
    const found = Array.isArray(value) ? (value as CaddyRoute[]).filter((r) => r["@id"] === id) : [];
    if (found.length !== 1 || !sameJson(found[0], desired)) {
      throw new AppError(
        "PROVIDER_ERROR",
        `Caddy did not keep route ${id} as written: read back ${found.length} route(s) with that id${found.length === 1 ? `: ${JSON.stringify(found[0])}` : ""}`,
      );
    }
    return toProxyRoute(desired)!;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
