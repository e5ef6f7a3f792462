import { recordEvent, type Actor } from "../audit/record-event";
import { assertFqdnAvailable } from "../consumers/assert-fqdn-available";
import { db } from "../db";
import type { StandaloneProxy } from "../generated/prisma/client";
import { AppError, errorMessage } from "../errors";
import { operationLogger } from "../logger";
import { getProxyProvider } from "../proxy";
import type { ProxyProvider } from "../proxy/types";
import { getSettings } from "../settings/get-settings";
import { parseInput } from "../validation";
import { getProxy } from "./get-proxy";
import type { TProxyView } from "./present-proxy";
import { isUniqueViolation, newProxyId, onDomainField, proxyRouteSpec, upstreamText, type ProxyShape } from "./route-spec";
import { ZCreateProxySchema } from "./schemas";
import { routeTls } from "../tls/consumer-tls";
import { proxyDnsAndCertificate } from "./dns-and-certificate";
import { currentLease, withConsumer } from "../consumers/consumer-lease";
import { fenced } from "../db/lease";

/**
 * SPEC §4.2 and §6: validate → route (the provider reads it back) → row →
 * DNS. A route failure writes nothing; a failed insert removes the route it
 * just made. DNS comes last and is best-effort: it never fails the create.
 */
export async function createProxy(opts: { actor: Actor; body: unknown }): Promise<TProxyView> {
  let target: string | null = null;
  const op = operationLogger({ op: "proxy.create" });
  try {
    const input = parseInput(ZCreateProxySchema, opts.body);
    target = input.domain;
    const settings = await getSettings();
    await assertFqdnAvailable({ fqdn: input.domain, baseDomain: settings.baseDomain, field: "domain" });

    const tlsCols = { tlsHttps: input.tls?.https ?? true, tlsRedirect: input.tls?.redirect ?? true, tlsHsts: input.tls?.hsts ?? false };
    const forceTls = input.forceTls ?? false;
    const shape: ProxyShape = {
      id: newProxyId(), domain: input.domain, upstream: input.upstream, websockets: input.websockets ?? false, forceTls,
      tls: routeTls(settings, { ...tlsCols, forceTls, certStatus: "pending" }),
    };
    // The new id's lease before its route: a sync meanwhile sees a held consumer, not an orphan route.
    return await withConsumer({ consumer: { type: "standalone", id: shape.id }, operation: "proxy.create" }, async () => {
      const consumer = `standalone:${shape.id}`;
      const provider = getProxyProvider(settings);
      const spec = proxyRouteSpec(shape);
      if (provider) {
        await provider.ensureRoute(spec).catch((err: unknown) => {
          throw onDomainField(err);
        });
        op.step("route", { consumer, provider: provider.type, routeId: spec.id });
      }

      await insertRow({ shape, tlsCols, provider, routeId: spec.id, op });
      const note = await proxyDnsAndCertificate({ id: shape.id, domain: shape.domain, settings, provider, dns: true, certificate: true, op, fields: { consumer } });
      await recordEvent({ actor: opts.actor, action: "proxy.create", target: shape.domain, result: "ok", message: `→ ${upstreamText(shape.upstream)}${note}` });
      return getProxy({ id: shape.id });
    });
  } catch (err) {
    op.fail("create", err, { domain: target });
    await recordEvent({ actor: opts.actor, action: "proxy.create", target, result: "error", message: errorMessage(err) });
    throw err;
  }
}

/** The row, after the route; a failed insert removes the route again. */
async function insertRow(opts: {
  shape: ProxyShape;
  tlsCols: Pick<StandaloneProxy, "tlsHttps" | "tlsRedirect" | "tlsHsts">;
  provider: ProxyProvider | null;
  routeId: string;
  op: ReturnType<typeof operationLogger>;
}): Promise<void> {
  const { shape, tlsCols, provider, routeId, op } = opts;
  const consumer = `standalone:${shape.id}`;
  try {
    // Fenced by the proxy's consumer lease (issue 26): a holder that lost it writes nothing.
    await fenced(currentLease(), (tx) => tx.standaloneProxy.create({
      data: {
        id: shape.id,
        domain: shape.domain,
        upstream: upstreamText(shape.upstream),
        websockets: shape.websockets,
        forceTls: shape.forceTls,
        routeStatus: provider ? "active" : "not_configured",
        ...tlsCols,
      },
    }));
  } catch (err) {
    if (provider) {
      // Compensate: the route must not outlive the row it was made for.
      await provider.removeRoute(routeId).then(
        () => op.step("compensate", { consumer, routeId }),
        (e: unknown) => op.fail("compensate", e, { consumer, routeId }),
      );
    }
    if (isUniqueViolation(err)) throw new AppError("CONFLICT", `domain: ${shape.domain} is already used by a standalone proxy`, { field: "domain" });
    throw err;
  }
  op.step("row", { consumer });
}
