import { setTimeout as sleep } from "node:timers/promises";
import { db } from "../db";
import { ensureInstanceRoute } from "../deployer/instance-route";
import { readRouteUpstream } from "../deployer/route-target";
import { errorMessage } from "../errors";
import type { Instance } from "../generated/prisma/client";
import { getProxyProvider } from "../proxy";
import type { CertificateCheck } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import { routeTls } from "../tls/consumer-tls";
import { tlsTimeouts } from "../tls/timeouts";

// Routing a custom domain is one more host on the instance's own route
// (SPEC §14): the host is marked routed, then the route is written through
// the same ensureInstanceRoute every deploy uses (one provider write, read
// back by the provider). Taking it off is the reverse.

type Outcome = { ok: true; message: string } | { ok: false; error: string };

async function rewrite(instance: Instance, settings: TSettings): Promise<Outcome> {
  const upstream = await readRouteUpstream(instance.id, settings);
  if (upstream === "no-provider") return { ok: false, error: "no proxy provider is configured (Settings → Proxy); nothing can route the domain" };
  if (upstream === null) return { ok: false, error: `instance ${instance.name} has no route (it is not serving); deploy or start it, then check again` };
  await ensureInstanceRoute({ instance, upstream, settings });
  return { ok: true, message: "routed" };
}

/** Adds the host to the instance's route, then (TLS on) waits for its certificate. A failure takes the host off again. */
export async function routeDomain(opts: { domainId: string; domain: string; instance: Instance; settings: TSettings; signal?: AbortSignal }): Promise<Outcome> {
  const { instance, settings, domain } = opts;
  await db.customDomain.update({ where: { id: opts.domainId }, data: { routed: true } });
  let failure: string;
  try {
    const routed = await rewrite(instance, settings);
    if (routed.ok) {
      const cert = await domainCertificate({ instance, domain, settings, signal: opts.signal });
      if (cert.ok) return cert;
      failure = cert.error;
    } else {
      failure = routed.error;
    }
  } catch (err) {
    failure = `the route could not be written: ${errorMessage(err)}`;
  }
  const undone = await unrouteDomain({ domainId: opts.domainId, instance, settings });
  return { ok: false, error: undone.ok ? failure : `${failure}; ${undone.error}` };
}

/** Takes the host off the instance's route (idempotent). The flag goes back on when the rewrite fails, so nothing forgets a served host. */
export async function unrouteDomain(opts: { domainId: string; instance: Instance; settings: TSettings }): Promise<Outcome> {
  await db.customDomain.update({ where: { id: opts.domainId }, data: { routed: false } });
  try {
    const res = await rewrite(opts.instance, opts.settings);
    // No route or no provider: nothing serves the host either.
    if (!res.ok) return { ok: true, message: "not routed" };
    return res;
  } catch (err) {
    await db.customDomain.update({ where: { id: opts.domainId }, data: { routed: true } });
    return { ok: false, error: `the host could not be taken off the route: ${errorMessage(err)}` };
  }
}

/**
 * The certificate for the custom host (TLS on): the route write put the host
 * into the proxy's certificate policy, so the proxy is ordering it; Wharf
 * confirms it by a handshake with the domain as SNI, bounded like the
 * instance's own certificate step. TLS off: nothing to wait for.
 */
async function domainCertificate(opts: { instance: Instance; domain: string; settings: TSettings; signal?: AbortSignal }): Promise<Outcome> {
  const provider = getProxyProvider(opts.settings);
  const tls = routeTls(opts.settings, opts.instance);
  if (!provider || !tls) return { ok: true, message: "routed (HTTPS is off for this instance)" };
  const deadline = Date.now() + tlsTimeouts().issueMs;
  let check: CertificateCheck = await provider.inspectCertificate(opts.domain, tls.issuer);
  while (check.status !== "issued" && !(check.status === "failed" && check.final) && Date.now() < deadline && !opts.signal?.aborted) {
    await sleep(500);
    check = await provider.inspectCertificate(opts.domain, tls.issuer);
  }
  if (check.status === "issued") return { ok: true, message: `routed; certificate issued by ${check.issuer}, valid until ${check.notAfter.toISOString()}` };
  // The proxy cannot serve HTTPS at all (e.g. automatic HTTPS disabled on the
  // server): the instance itself is served over HTTP only, and so is the domain.
  if (check.status === "failed" && check.final) return { ok: true, message: `routed over HTTP only: ${check.error}` };
  return { ok: false, error: `no certificate for ${opts.domain} after ${Math.round(tlsTimeouts().issueMs / 1000)} s: ${check.error}` };
}
