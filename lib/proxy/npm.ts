import { env } from "../env";
import { AppError, errorMessage } from "../errors";
import { operationLogger } from "../logger";
import type { TNpmConfig } from "../settings/schemas";
import { NpmClient, type NpmResponse } from "./npm-client";
import { NO_INTERNAL_CA, NpmCertificates } from "./npm-cert";
import { certMeta, checkForceTls, hostDiff, hostPayload, restorePayload, toProxyRoute, wharfIdOf } from "./npm-host";
import { META_CERT_ID, type CertChoice, type NpmProxyHost } from "./npm-types";
import { checkRouteId, checkRouteSpec } from "./route-spec";
import type { CertificateCheck, ConnectionResult, ProxyProvider, ProxyRoute, RouteSpec, RouteTls } from "./types";

const HOSTS = "/api/nginx/proxy-hosts";
const IN_USE = /^(.+) is already in use$/;

/**
 * Nginx Proxy Manager through its REST API. One proxy host per consumer,
 * recognised by the marker described in npm-host.ts; `providerId` is NPM's
 * numeric host id.
 */
export class NpmProvider implements ProxyProvider {
  readonly type = "npm" as const;
  private readonly client: NpmClient;
  private readonly certs: NpmCertificates;

  constructor(config: TNpmConfig, opts: { timeoutMs?: number; certificateTimeoutMs?: number } = {}) {
    this.client = new NpmClient(config, opts.timeoutMs);
    this.certs = new NpmCertificates(this.client, opts.certificateTimeoutMs ?? npmCertificateTimeoutMs());
  }

  async ensureRoute(input: RouteSpec): Promise<ProxyRoute> {
    const spec = checkRouteSpec(input);
    // A proxy host forwards to one address: a Swarm service's tasks need Caddy (Wharf's own, or yours).
    if ((spec.upstreams?.length ?? 0) > 1) throw new AppError("VALIDATION", `route ${spec.id}: Nginx Proxy Manager forwards to one address, and this instance runs ${spec.upstreams!.length} tasks; use Caddy as the proxy for Swarm services`, { field: "proxy.provider" });
    const op = operationLogger({ op: "proxy.ensureRoute", consumer: spec.id, provider: "npm" });
    const mine = (await this.listHosts()).filter((h) => wharfIdOf(h) === spec.id).sort((a, b) => a.id - b.id);
    const keep = mine.find((h) => sameDomains(h, spec)) ?? mine[0];
    // Copies an interrupted earlier run may have left: ours by marker, so ours to
    // delete, and first, since one may hold a domain the kept host is moving to.
    const extras = mine.filter((h) => h !== keep);
    for (const extra of extras) await this.deleteHost(extra.id);
    // TLS mode acme: the certificate first, so the host is written once with
    // it, and a new route's name is not served yet while certbot runs (NPM
    // takes a host serving the name out of nginx for the whole issuance).
    const cert =
      spec.tls?.issuer.mode === "acme"
        ? await this.certs.choose(spec.id, spec.hosts, keep, { request: !(keep && sameDomains(keep, spec)), liveHost: servesAny(keep, spec.hosts) })
        : undefined;
    const host = keep ? await this.update(spec, keep, cert) : await this.create(spec, cert);
    // The host records the certificate now (Wharf's, so removal deletes it): the request is settled.
    if (cert && !("error" in cert)) await this.certs.settled(spec.id);
    // A certificate Wharf created for names the host no longer has is Wharf's to remove.
    const current = cert && "pending" in cert ? cert.pending : cert?.id;
    const before = [keep, ...extras].map((h) => Number(h?.meta?.[META_CERT_ID] ?? 0)).filter((id) => id > 0 && id !== current);
    if (before.length > 0) {
      const hosts = await this.listHosts();
      for (const id of new Set(before)) await this.certs.removeOwn(id, hosts);
    }
    op.step("ensured", { npmHostId: host.id, created: !keep, duplicatesRemoved: extras.length, certificateId: cert?.id });
    return toProxyRoute(host)!;
  }

  async removeRoute(id: string): Promise<void> {
    checkRouteId(id);
    const op = operationLogger({ op: "proxy.removeRoute", consumer: id, provider: "npm" });
    const mine = (await this.listHosts()).filter((h) => wharfIdOf(h) === id);
    for (const host of mine) await this.deleteHost(host.id);
    const after = await this.listHosts();
    const left = after.filter((h) => wharfIdOf(h) === id);
    if (left.length > 0) {
      throw new AppError("PROVIDER_ERROR", `Nginx Proxy Manager still has proxy host(s) #${left.map((h) => h.id).join(", #")} for ${id} after deleting`);
    }
    // Only the certificates Wharf requested for these hosts (recorded on them,
    // or stored by NPM after Wharf stopped waiting); an adopted one stays.
    const own = new Set([...mine.map((h) => Number(h.meta?.[META_CERT_ID] ?? 0)), ...(await this.certs.claimedIds(id))].filter((c) => c > 0));
    for (const cert of own) await this.certs.removeOwn(cert, after);
    await this.certs.settled(id);
    op.step("removed", { removed: mine.length, certificatesRemoved: own.size });
  }

  async listRoutes(): Promise<ProxyRoute[]> {
    return (await this.listHosts()).flatMap((h) => {
      const route = toProxyRoute(h);
      return route ? [route] : [];
    });
  }

  /**
   * Logs in, then checks that the user may manage proxy hosts: NPM answers
   * a view-only user's writes with 404, so a listing alone would pass for a
   * user Wharf cannot work with.
   */
  /** NPM's record of the certificate attached to the Wharf host serving `fqdn` (see npm-cert.ts). */
  async inspectCertificate(fqdn: string, issuer: RouteTls["issuer"]): Promise<CertificateCheck> {
    if (issuer.mode === "internal") return { status: "failed", error: NO_INTERNAL_CA, final: true };
    const host = (await this.listHosts()).find((h) => wharfIdOf(h) !== null && h.domain_names.some((d) => d.toLowerCase() === fqdn));
    return this.certs.inspect(host, fqdn);
  }

  /**
   * Requests the certificate again for a Wharf host that has none and
   * attaches it (PUT patches: only the certificate fields); forced TLS and
   * HSTS follow on the route write after `issued`.
   */
  async retryCertificate(routeId: string): Promise<void> {
    checkRouteId(routeId);
    const host = (await this.listHosts()).find((h) => wharfIdOf(h) === routeId);
    if (!host || Number(host.certificate_id ?? 0) > 0) return;
    // The host serves its names: NPM takes it out of nginx while certbot runs (one request per retry, on the reconciler's backoff).
    const cert = await this.certs.choose(routeId, host.domain_names.map((d) => d.toLowerCase()), host, { request: true, liveHost: host.enabled !== false && host.enabled !== 0 });
    const path = `${HOSTS}/${host.id}`;
    const meta = { ...host.meta, ...certMeta(cert) };
    const res = await this.client.call("PUT", path, { certificate_id: cert.id, http2_support: cert.id > 0, meta });
    if (res.status !== 200) throw this.client.fail("PUT", path, res);
    if (!("error" in cert)) await this.certs.settled(routeId);
  }

  async testConnection(): Promise<ConnectionResult> {
    try {
      await this.client.login();
      const me = await this.client.call("GET", "/api/users/me?expand=permissions");
      if (me.status !== 200) throw this.client.fail("GET", "/api/users/me", me);
      const user = me.body as { email?: string; roles?: string[]; permissions?: { proxy_hosts?: string } };
      const level = (user.roles ?? []).includes("admin") ? "manage" : (user.permissions?.proxy_hosts ?? "hidden");
      if (level !== "manage") {
        return {
          ok: false,
          message: `Nginx Proxy Manager user ${user.email ?? ""} may not manage proxy hosts (permission: ${level}); give it "Manage" for Proxy Hosts in NPM's user permissions, or use an administrator`,
        };
      }
      const hosts = await this.listHosts();
      const own = hosts.filter((h) => wharfIdOf(h) !== null).length;
      return { ok: true, message: `Connected to Nginx Proxy Manager at ${this.client.url}: ${hosts.length} proxy host(s), ${own} of them Wharf's` };
    } catch (err) {
      return { ok: false, message: errorMessage(err) };
    }
  }

  private async create(spec: RouteSpec, cert?: CertChoice): Promise<NpmProxyHost> {
    checkForceTls(spec);
    let res = await this.client.call("POST", HOSTS, hostPayload(spec, undefined, cert));
    if (res.status >= 500) {
      // NPM can answer 500 after storing the host (nginx failed on another
      // host's config), or because the token had gone stale (the client has
      // logged in again). Look before creating again.
      const left = await this.findLeftover(spec);
      if (left) return this.settleLeftover(spec, left, res, cert);
      // NPM 2.15.1 answers a create by a user without the manage permission
      // with 500 "Internal Error" (not its usual 404): the client has just
      // logged in again, so a 500 now is not a stale token. Ask NPM.
      const { email, level } = await this.client.proxyHostPermission();
      if (level !== "manage") {
        throw new AppError(
          "PROVIDER_ERROR",
          `Nginx Proxy Manager refused POST ${HOSTS} with ${res.status} (${res.message ?? "no message"}): the NPM user ${email} lacks the manage permission for proxy hosts (permission: ${level}); give it "Manage" for Proxy Hosts in NPM's user permissions, or use an administrator`,
          { details: { status: res.status, providerMessage: res.message, permission: level } },
        );
      }
      res = await this.client.call("POST", HOSTS, hostPayload(spec, undefined, cert));
      if (res.status >= 500) {
        const again = await this.findLeftover(spec);
        if (again) return this.settleLeftover(spec, again, res, cert);
      }
    }
    const taken = inUseDomain(res);
    if (taken) return this.adoptOrRefuse(spec, taken, cert);
    if (res.status === 404) throw this.permissionError("POST", HOSTS, res);
    if (res.status !== 201 && res.status !== 200) throw this.client.fail("POST", HOSTS, res);
    const created = res.body as NpmProxyHost;
    // NPM answers a create with the row as read *before* it configured nginx,
    // so nginx_online only shows on the read-back.
    const back = await this.getHost(created.id);
    if (back.meta?.nginx_online === false) {
      // Compensate: a host nginx rejected serves nothing and would keep the domain "in use".
      await this.deleteHost(created.id).catch(() => undefined);
      throw nginxRejected(back, "the new proxy host was deleted again");
    }
    return this.confirm(spec, back, cert);
  }

  /** A host carrying this route's marker, left by a create whose answer was an error. */
  private async findLeftover(spec: RouteSpec): Promise<NpmProxyHost | undefined> {
    return (await this.listHosts()).find((h) => wharfIdOf(h) === spec.id);
  }

  /** Adopts the leftover when nginx serves it; otherwise removes it, so a retry (even under a new route id) finds the domain free. */
  private async settleLeftover(spec: RouteSpec, left: NpmProxyHost, res: NpmResponse, cert?: CertChoice): Promise<NpmProxyHost> {
    const op = operationLogger({ op: "proxy.ensureRoute", consumer: spec.id, provider: "npm" });
    const back = await this.getHost(left.id);
    if (back.meta?.nginx_online === true) {
      op.step("adopt-after-500", { npmHostId: left.id });
      return this.update(spec, back, cert);
    }
    await this.deleteHost(left.id);
    op.step("removed-after-500", { npmHostId: left.id });
    throw new AppError("PROVIDER_ERROR", `Nginx Proxy Manager answered the create of ${spec.hosts.join(", ")} with ${res.status} (${res.message ?? "no message"}) after storing it as proxy host #${left.id}, which nginx does not serve; Wharf deleted it again`, {
      details: { status: res.status, npmHostId: left.id, providerMessage: res.message },
    });
  }

  /** NPM answers a missing or insufficient permission with 404, as if the host did not exist. */
  private permissionError(method: string, path: string, res: NpmResponse): AppError {
    return new AppError(
      "PROVIDER_ERROR",
      `Nginx Proxy Manager refused ${method} ${path} with 404 (${res.message ?? "no message"}) for a host it lists: the user may not manage proxy hosts; give it "Manage" for Proxy Hosts in NPM`,
      { details: { status: res.status, providerMessage: res.message } },
    );
  }

  private async update(spec: RouteSpec, existing: NpmProxyHost, cert?: CertChoice): Promise<NpmProxyHost> {
    checkForceTls(spec, existing);
    const path = `${HOSTS}/${existing.id}`;
    const res = await this.client.call("PUT", path, hostPayload(spec, existing, cert));
    const taken = inUseDomain(res);
    if (taken) throw await this.takenError(taken, spec);
    if (res.status === 404) throw this.permissionError("PUT", path, res);
    if (res.status !== 200) throw this.client.fail("PUT", path, res);
    // Unlike create, an update answers with the meta nginx produced.
    let back = res.body as NpmProxyHost;
    if (back.meta?.nginx_online !== false) back = await this.getHost(existing.id);
    if (back.meta?.nginx_online === false) {
      // NPM has already moved the previous config aside: put the old upstream back rather than leave the host dark.
      const restored = await this.client.call("PUT", path, restorePayload(existing)).then(
        (r) => r.status === 200 && (r.body as NpmProxyHost).meta?.nginx_online !== false,
        () => false,
      );
      throw nginxRejected(back, restored ? "the previous settings were restored" : "restoring the previous settings failed too");
    }
    return this.confirm(spec, back, cert);
  }

  /** After a 400 "<domain> is already in use": adopt the host only if it carries this route's marker. */
  private async adoptOrRefuse(spec: RouteSpec, domain: string, cert?: CertChoice): Promise<NpmProxyHost> {
    const owner = (await this.listHosts()).find((h) => h.domain_names.some((d) => d.toLowerCase() === domain));
    if (owner && wharfIdOf(owner) === spec.id) {
      operationLogger({ op: "proxy.ensureRoute", consumer: spec.id, provider: "npm" }).step("adopt", { npmHostId: owner.id, domain });
      return this.update(spec, owner, cert);
    }
    throw await this.takenError(domain, spec, owner);
  }

  private async takenError(domain: string, spec: RouteSpec, known?: NpmProxyHost): Promise<AppError> {
    const owner = known ?? (await this.listHosts()).find((h) => h.domain_names.some((d) => d.toLowerCase() === domain));
    if (!owner) {
      return new AppError(
        "FOREIGN_RESOURCE",
        `${domain} is already in use in Nginx Proxy Manager by a host Wharf cannot see (a redirection host, a 404 host, or a proxy host of another NPM user); remove it there or pick another domain for ${spec.id}`,
        { details: { domain } },
      );
    }
    const otherId = wharfIdOf(owner);
    if (otherId) {
      return new AppError("CONFLICT", `${domain} is already used by proxy host #${owner.id}, which belongs to Wharf route ${otherId}`, {
        details: { domain, npmHostId: owner.id },
      });
    }
    return new AppError(
      "FOREIGN_RESOURCE",
      `${domain} is already used by proxy host #${owner.id} in Nginx Proxy Manager, which Wharf did not create; Wharf leaves it untouched`,
      { details: { domain, npmHostId: owner.id } },
    );
  }

  /** Read back (SPEC §4.6): the host must say what Wharf asked for. */
  private confirm(spec: RouteSpec, host: NpmProxyHost, cert?: CertChoice): NpmProxyHost {
    const diffs = hostDiff(host, spec, cert);
    if (diffs.length > 0) {
      throw new AppError("PROVIDER_ERROR", `Nginx Proxy Manager did not keep proxy host #${host.id} as written: ${diffs.join("; ")}`);
    }
    return host;
  }

  private async listHosts(): Promise<NpmProxyHost[]> {
    const res = await this.client.call("GET", HOSTS);
    if (res.status !== 200 || !Array.isArray(res.body)) throw this.client.fail("GET", HOSTS, res);
    return res.body as NpmProxyHost[];
  }

  private async getHost(id: number): Promise<NpmProxyHost> {
    const res = await this.client.call("GET", `${HOSTS}/${id}`);
    if (res.status !== 200) throw this.client.fail("GET", `${HOSTS}/${id}`, res);
    return res.body as NpmProxyHost;
  }

  /**
   * Already gone (404) counts as deleted, but only when a listing agrees:
   * NPM also answers 404 to a user without the permission to delete, and a
   * host Wharf has just listed that is still listed is not gone.
   */
  private async deleteHost(id: number): Promise<void> {
    const path = `${HOSTS}/${id}`;
    const res = await this.client.call("DELETE", path);
    if (res.status === 200) return;
    if (res.status !== 404) throw this.client.fail("DELETE", path, res);
    if ((await this.listHosts()).some((h) => h.id === id)) throw this.permissionError("DELETE", path, res);
  }
}

/** The configured wait for NPM's certificate POST (certbot runs inside it). */
export function npmCertificateTimeoutMs(): number {
  return env().WHARF_NPM_CERT_TIMEOUT_S * 1000;
}

/** Whether this host serves one of the names now (enabled): NPM would take it out of nginx while certbot runs for them. */
function servesAny(host: NpmProxyHost | undefined, names: string[]): boolean {
  if (!host || host.enabled === false || host.enabled === 0) return false;
  return host.domain_names.some((d) => names.includes(d.toLowerCase()));
}

function sameDomains(host: NpmProxyHost, spec: RouteSpec): boolean {
  const have = host.domain_names.map((d) => d.toLowerCase()).sort();
  return have.length === spec.hosts.length && [...spec.hosts].sort().every((d, i) => d === have[i]);
}

function inUseDomain(res: NpmResponse): string | null {
  if (res.status !== 400) return null;
  const m = IN_USE.exec(res.message ?? "");
  return m ? m[1].toLowerCase() : null;
}

function nginxRejected(host: NpmProxyHost, outcome: string): AppError {
  const err = typeof host.meta?.nginx_err === "string" ? host.meta.nginx_err : "no error text";
  return new AppError("PROVIDER_ERROR", `Nginx Proxy Manager's nginx rejected proxy host #${host.id} (${host.domain_names.join(", ")}): ${err}; ${outcome}`, {
    details: { npmHostId: host.id, nginxErr: err },
  });
}
