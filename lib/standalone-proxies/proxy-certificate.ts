import { db } from "../db";
import type { ProxyProvider } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import { routeTls } from "../tls/consumer-tls";
import { ensureCertificate } from "../tls/ensure-certificate";
import { proxyRouteSpec, rowShape } from "./route-spec";

/** A standalone proxy's route as its row and the settings describe it now, TLS included. */
export async function pushProxyRoute(opts: { id: string; settings: TSettings; provider: ProxyProvider }): Promise<void> {
  const row = await db.standaloneProxy.findUnique({ where: { id: opts.id } });
  if (row) await opts.provider.ensureRoute(proxyRouteSpec({ ...rowShape(row), tls: routeTls(opts.settings, row) }));
}

/** The certificate step of a standalone proxy (after route and DNS); see ensureCertificate. */
export function proxyCertificate(opts: { id: string; domain: string; settings: TSettings; provider: ProxyProvider; retry?: boolean }) {
  return ensureCertificate({
    consumer: { type: "standalone", id: opts.id },
    fqdn: opts.domain,
    settings: opts.settings,
    retry: opts.retry,
    repushRoute: () => pushProxyRoute(opts),
  });
}
