import { containsText, db } from "../db";
import { enumParam, mapPage, paginate, parseListQuery, textParam, type TPage, type TSortSpec } from "../pagination";
import { getSettings } from "../settings/get-settings";
import { dnsRowsByConsumer, pickDnsRow, presentProxy, type TProxyView } from "./present-proxy";

export const PROXY_SORTS = {
  domain: { field: "domain", type: "string" },
  upstream: { field: "upstream", type: "string" },
  route: { field: "routeStatus", type: "string" },
  createdAt: { field: "createdAt", type: "date" },
} satisfies Record<string, TSortSpec>;
export const ROUTE_STATUSES = ["not_configured", "pending", "active", "failed"] as const;

/**
 * One page of standalone proxies (GET /api/proxies, /proxies). Query:
 * `limit`, `cursor`, `sort` (domain|upstream|route|createdAt), `dir`,
 * `route` (route status), `q` (text in domain or upstream). The ledger rows
 * are read for the page's proxies only, in one query, and matched through a
 * map.
 */
export async function listProxies(opts: { params?: URLSearchParams; defaultLimit?: number } = {}): Promise<TPage<TProxyView>> {
  const params = opts.params ?? new URLSearchParams();
  const query = parseListQuery(params, { sorts: Object.keys(PROXY_SORTS) as (keyof typeof PROXY_SORTS)[], defaultSort: "domain", defaultLimit: opts.defaultLimit });
  const route = enumParam(params, "route", ROUTE_STATUSES);
  const q = textParam(params);
  const where = {
    ...(route ? { routeStatus: route } : {}),
    ...(q ? { OR: [{ domain: containsText(q) }, { upstream: containsText(q) }] } : {}),
  };
  const [settings, page] = await Promise.all([
    getSettings(),
    paginate({ query, sorts: PROXY_SORTS, where, findMany: (a) => db.standaloneProxy.findMany(a), count: (a) => db.standaloneProxy.count(a) }),
  ]);
  const records = await db.dnsRecord.findMany({
    where: { consumerType: "standalone", consumerId: { in: page.items.map((p) => p.id) } },
    select: { fqdn: true, consumerId: true, status: true, lastError: true },
  });
  const byConsumer = dnsRowsByConsumer(records);
  return mapPage(page, (p) => presentProxy(p, pickDnsRow(byConsumer.get(p.id) ?? [], p), settings.dns.mode));
}
