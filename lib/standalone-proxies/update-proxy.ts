import { recordEvent, type Actor } from "../audit/record-event";
import { assertFqdnAvailable } from "../consumers/assert-fqdn-available";
import { db } from "../db";
import type { StandaloneProxy } from "../generated/prisma/client";
import { AppError, errorMessage } from "../errors";
import { operationLogger } from "../logger";
import { getProxyProvider } from "../proxy";
import type { ProxyProvider } from "../proxy/types";
import { getSettings } from "../settings/get-settings";
import type { TSettings } from "../settings/schemas";
import { parseInput } from "../validation";
import { getProxy, getProxyRow } from "./get-proxy";
import type { TProxyView } from "./present-proxy";
import { isUniqueViolation, onDomainField, proxyRouteSpec, rowShape, upstreamText, type ProxyShape } from "./route-spec";
import { ZUpdateProxySchema, type TUpdateProxy } from "./schemas";
import { routeTls } from "../tls/consumer-tls";
import { proxyDnsAndCertificate } from "./dns-and-certificate";
import { currentLease, withConsumer } from "../consumers/consumer-lease";
import { fenced } from "../db/lease";

function changeSummary(before: ProxyShape, after: ProxyShape): string {
  const changes: string[] = [];
  if (before.domain !== after.domain) changes.push(`domain ${before.domain} → ${after.domain}`);
  const [u0, u1] = [upstreamText(before.upstream), upstreamText(after.upstream)];
  if (u0 !== u1) changes.push(`upstream ${u0} → ${u1}`);
  if (before.websockets !== after.websockets) changes.push(`websockets ${after.websockets ? "on" : "off"}`);
  if (before.forceTls !== after.forceTls) changes.push(`force TLS ${after.forceTls ? "on" : "off"}`);
  return changes.length ? changes.join(", ") : "no changes (route re-applied)";
}

type Op = ReturnType<typeof operationLogger>;
type TlsCols = Pick<StandaloneProxy, "tlsHttps" | "tlsRedirect" | "tlsHsts">;

/** What an update changes: the row's shape before and after, and what follows from the difference. */
interface ProxyUpdate {
  row: StandaloneProxy;
  settings: TSettings;
  before: ProxyShape;
  after: ProxyShape;
  tlsCols: TlsCols;
  certStatus: string;
  domainChanged: boolean;
  tlsChanged: boolean;
}

/**
 * One route write with the new hosts and upstream under the same route id
 * (the provider replaces it in place, so there is no window without a
 * route), then the row, then DNS for a new domain (the hook removes the old
 * record first). A failed route write leaves the row as it was.
 */
export async function updateProxy(opts: { actor: Actor; id: string; body: unknown }): Promise<TProxyView> {
  let target: string = opts.id;
  const op = operationLogger({ op: "proxy.update", consumer: `standalone:${opts.id}` });
  try {
    const input = parseInput(ZUpdateProxySchema, opts.body);
    return await withConsumer({ consumer: { type: "standalone", id: opts.id }, operation: "proxy.update", label: `standalone proxy ${opts.id}` }, async () => {
      const row = await getProxyRow({ id: opts.id });
      target = row.domain;
      const update = await mergeUpdate(row, input);
      const provider = getProxyProvider(update.settings);
      await writeRoute(update, provider, op);
      await writeRow(update, provider, op);
      const { after, settings, domainChanged, tlsChanged } = update;
      const note = await proxyDnsAndCertificate({ id: row.id, domain: after.domain, settings, provider, dns: domainChanged, certificate: tlsChanged, op });
      target = update.after.domain;
      await recordEvent({ actor: opts.actor, action: "proxy.update", target, result: "ok", message: changeSummary(update.before, update.after) + note });
      return getProxy({ id: row.id });
    });
  } catch (err) {
    op.fail("update", err);
    await recordEvent({ actor: opts.actor, action: "proxy.update", target, result: "error", message: errorMessage(err) });
    throw err;
  }
}

/** The input over the row, with the TLS the route gets; a new domain must be free. */
async function mergeUpdate(row: StandaloneProxy, input: TUpdateProxy): Promise<ProxyUpdate> {
  const settings = await getSettings();
  const before: ProxyShape = { ...rowShape(row), tls: routeTls(settings, row) };
  const tlsCols = { tlsHttps: input.tls?.https ?? row.tlsHttps, tlsRedirect: input.tls?.redirect ?? row.tlsRedirect, tlsHsts: input.tls?.hsts ?? row.tlsHsts };
  const after: ProxyShape = {
    id: row.id,
    domain: input.domain ?? before.domain,
    upstream: input.upstream ?? before.upstream,
    websockets: input.websockets ?? before.websockets,
    forceTls: input.forceTls ?? before.forceTls,
  };
  const domainChanged = after.domain !== before.domain;
  // A new domain needs its own certificate: no redirect until that one is issued.
  const certStatus = domainChanged ? "pending" : row.certStatus;
  after.tls = routeTls(settings, { ...tlsCols, forceTls: after.forceTls, certStatus });
  const tlsChanged =
    domainChanged || tlsCols.tlsHttps !== row.tlsHttps || tlsCols.tlsRedirect !== row.tlsRedirect || tlsCols.tlsHsts !== row.tlsHsts || after.forceTls !== row.forceTls;
  if (domainChanged) {
    await assertFqdnAvailable({ fqdn: after.domain, baseDomain: settings.baseDomain, field: "domain", except: { type: "standalone", id: row.id } });
  }
  return { row, settings, before, after, tlsCols, certStatus, domainChanged, tlsChanged };
}

async function writeRoute(u: ProxyUpdate, provider: ProxyProvider | null, op: Op): Promise<void> {
  if (!provider) return;
  await provider.ensureRoute(proxyRouteSpec(u.after)).catch((err: unknown) => {
    throw onDomainField(err);
  });
  op.step("route", { provider: provider.type });
}

/** The row after the route; if it cannot be written, the route is put back to what the unchanged row describes. */
async function writeRow(u: ProxyUpdate, provider: ProxyProvider | null, op: Op): Promise<void> {
  const { row, after, domainChanged, certStatus } = u;
  try {
    // Fenced by the proxy's consumer lease (issue 26): a holder that lost it writes nothing.
    await fenced(currentLease(), (tx) => tx.standaloneProxy.update({
      where: { id: row.id },
      data: {
        domain: after.domain,
        upstream: upstreamText(after.upstream),
        websockets: after.websockets,
        forceTls: after.forceTls,
        routeStatus: provider ? "active" : "not_configured",
        routeError: null,
        ...u.tlsCols,
        ...(domainChanged ? { certStatus, certIssuer: null, certNotAfter: null, certError: null, certAttempts: 0, certRetryAt: null } : {}),
      },
    }));
  } catch (err) {
    if (provider) {
      // Compensate: put the route back to what the unchanged row describes.
      await provider.ensureRoute(proxyRouteSpec(u.before)).then(
        () => op.step("compensate"),
        (e: unknown) => op.fail("compensate", e),
      );
    }
    if (isUniqueViolation(err)) throw new AppError("CONFLICT", `domain: ${after.domain} is already used by a standalone proxy`, { field: "domain" });
    throw err;
  }
  op.step("row");
}
