import type { StandaloneProxy } from "../generated/prisma/client";
import { presentTls, tlsOptions } from "../tls/consumer-tls";

type LedgerRow = { fqdn: string; consumerId: string; status: string; lastError?: string | null };

/** Ledger rows grouped by consumer id: one pass, so a list matches its rows through a map, never by scanning. */
export function dnsRowsByConsumer<R extends LedgerRow>(rows: R[]): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const r of rows) {
    const list = out.get(r.consumerId);
    if (list) list.push(r);
    else out.set(r.consumerId, [r]);
  }
  return out;
}

/**
 * The ledger row to show for a proxy, among that proxy's own rows. After a
 * domain change whose old record could not be deleted, the consumer has two
 * rows; the current domain's is the one that says whether the proxy resolves.
 */
export function pickDnsRow<R extends LedgerRow>(own: R[], p: { id: string; domain: string }): R | undefined {
  return own.find((r) => r.fqdn === p.domain) ?? own[0];
}

/** The API shape of a standalone proxy (SPEC §10), shared by the REST API and the pages. */
export function presentProxy(p: StandaloneProxy, dns: LedgerRow | null | undefined, dnsMode: string) {
  return {
    id: p.id,
    domain: p.domain,
    upstream: p.upstream,
    websockets: p.websockets,
    forceTls: p.forceTls,
    route: { status: p.routeStatus, ...(p.routeError ? { error: p.routeError } : {}) },
    // No ledger row: in wildcard mode the wildcard record covers the domain; otherwise nothing exists yet.
    dns: dns ? { status: dns.status, ...(dns.lastError ? { error: dns.lastError } : {}) } : { status: dnsMode === "wildcard" ? "wildcard" : "none" },
    tls: presentTls(p),
    tlsOptions: tlsOptions(p),
    url: `${p.certStatus === "issued" ? "https" : "http"}://${p.domain}`,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}
export type TProxyView = ReturnType<typeof presentProxy>;
