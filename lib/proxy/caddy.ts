import { AppError, errorMessage } from "../errors";
import { installationOfRouteGroup, isWharfRouteId, tlsPolicyId } from "../naming";
import { installationId } from "../secrets";
import { checkServedCertificate } from "./tls-handshake";
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
import { buildPolicy, caddyIssuer, httpsEndpoint, serverTlsProblem } from "./caddy-tls";
import { CaddyTlsPolicies } from "./caddy-tls-policy";
import { ensureTlsLogger, isLoopbackUrl, lastObtainError, tlsLogFile } from "./caddy-tls-log";
import type { CertificateCheck, ConnectionResult, ProxyProvider, ProxyRoute, RouteSpec, RouteTls } from "./types";

export interface CaddyProviderOptions {
  timeoutMs?: number;
  /** Conditional writes retried after a 412 before giving up with CONFLICT. */
  maxAttempts?: number;
  /** The installation written into each route's group (default: this process's installation id). */
  installation?: string;
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
  private readonly installation: string;
  private readonly policies: CaddyTlsPolicies;
  /** Wharf's Caddy logger file for ACME errors (caddy-tls-log.ts); null when Caddy cannot share it. */
  private tlsLog: string | null;
  private tlsLogReady = false;
  /** When Caddy last started an order per host because of Wharf (policy change or forced reload). */
  private readonly attemptStarted = new Map<string, Date>();

  constructor(private readonly config: TCaddyConfig, opts: CaddyProviderOptions = {}) {
    this.admin = new CaddyAdmin(config.adminUrl, opts.timeoutMs);
    this.maxAttempts = opts.maxAttempts ?? 10;
    this.policies = new CaddyTlsPolicies(this.admin, this.maxAttempts);
    this.tlsLog = isLoopbackUrl(config.adminUrl) ? tlsLogFile(config.adminUrl) : null;
    this.serverPath = `/config/apps/http/servers/${encodeURIComponent(config.server)}`;
    this.routesPath = `${this.serverPath}/routes`;
    this.installation = opts.installation ?? installationId();
  }

  async ensureRoute(input: RouteSpec): Promise<ProxyRoute> {
    const spec = checkRouteSpec(input);
    const op = operationLogger({ op: "proxy.ensureRoute", consumer: spec.id, provider: "caddy", server: this.config.server });
    const ports = await this.ports();
    // HTTPS wanted and possible: the policy (issuer from the settings) goes in
    // before the route, so Caddy never starts an order for the host with its
    // default public issuers. Not possible: plain HTTP, and the certificate
    // check reports why.
    const served = spec.tls && !serverTlsProblem(this.config.server, (await this.readServer()).server, ports.http) ? { httpsPort: ports.https } : undefined;
    if (served) {
      await this.ensureTlsLog(op);
      const started = new Date();
      if (await this.policies.ensure(buildPolicy(tlsPolicyId(spec.id), spec.hosts, caddyIssuer(spec.tls!.issuer)))) {
        for (const h of spec.hosts) this.attemptStarted.set(h, started);
      }
      op.step("tls-policy", { policy: tlsPolicyId(spec.id) });
    }
    const desired = buildCaddyRoute(spec, served, this.installation);
    const routed = await this.writeRoute(spec, desired, op, !!served);
    if (!served) await this.policies.remove(tlsPolicyId(spec.id));
    return routed;
  }

  private async writeRoute(spec: RouteSpec, desired: CaddyRoute, op: ReturnType<typeof operationLogger>, wharfTls: boolean): Promise<ProxyRoute> {
    let attempts = 0;
    while (attempts < this.maxAttempts) {
      const { server, routes, etag } = await this.readServer();
      // Wharf's own TLS (spec.tls on a server that serves HTTPS) honours forced TLS with its per-consumer redirect.
      if (spec.forceTls && !wharfTls) {
        const problem = forceTlsProblem(this.config.server, server, await this.httpPort());
        if (problem) throw new AppError("VALIDATION", problem, { field: "forceTls" });
      }
      const list = routes ?? [];
      const positions = list.flatMap((r, i) => (r["@id"] === spec.id ? [i] : []));
      // Another installation's route is foreign: never repaired. One from before the group is claimed (a row of this installation names it).
      const owner = positions.length ? installationOfRouteGroup(list[positions[0]].group) : null;
      if (owner && owner !== this.installation) {
        throw new AppError("FOREIGN_RESOURCE", `Caddy route ${spec.id} belongs to Wharf installation ${owner}, not this one (${this.installation}); Wharf leaves it untouched`, { details: { installation: owner } });
      }
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
    // After the route: a host Caddy no longer serves needs no certificate policy.
    await this.policies.remove(tlsPolicyId(id));
  }

  async inspectCertificate(host: string, issuer: RouteTls["issuer"]): Promise<CertificateCheck> {
    const [{ server }, ports] = await Promise.all([this.readServer(), this.ports()]);
    const problem = serverTlsProblem(this.config.server, server, ports.http);
    if (problem) return { status: "failed", error: problem, final: true };
    const { address, port } = httpsEndpoint(server, ports.http, ports.https, this.config.adminUrl);
    const check = await checkServedCertificate({ address, port, host, mode: issuer.mode });
    if (check.status !== "pending" || !this.tlsLog) return check;
    // Caddy 2.6 retries on its own a minute after a failure; an error older than the current attempt is not the answer.
    const refused = lastObtainError(this.tlsLog, host, this.attemptStarted.get(host) ?? new Date(Date.now() - 90_000));
    return refused ? { status: "failed", error: `the CA refused the certificate for ${host}: ${refused}` } : check;
  }

  async retryCertificate(id: string): Promise<void> {
    checkRouteId(id);
    const started = new Date();
    for (const h of await this.policies.reload(tlsPolicyId(id))) this.attemptStarted.set(h, started);
  }

  private async ensureTlsLog(op: ReturnType<typeof operationLogger>): Promise<void> {
    if (!this.tlsLog || this.tlsLogReady) return;
    try {
      this.tlsLog = await ensureTlsLogger(this.admin, this.tlsLog);
      this.tlsLogReady = true;
    } catch (err) {
      // Not fatal: certificates still work, only the CA's wording of a refusal is missing.
      op.fail("tls-log", err, { file: this.tlsLog });
      this.tlsLog = null;
    }
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
    return (await this.ports()).http;
  }

  private async ports(): Promise<{ http: number; https: number }> {
    const { value } = await this.admin.get("/config/apps/http");
    const app = (value ?? {}) as Json;
    return { http: typeof app.http_port === "number" ? app.http_port : 80, https: typeof app.https_port === "number" ? app.https_port : 443 };
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
