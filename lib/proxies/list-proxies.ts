import { db } from "../db";
import { getSettings } from "../settings/get-settings";
import { pickDnsRow, presentProxy, type TProxyView } from "./present-proxy";

export async function listProxies(): Promise<TProxyView[]> {
  const [settings, rows, records] = await Promise.all([
    getSettings(),
    db.standaloneProxy.findMany({ orderBy: { domain: "asc" } }),
    db.dnsRecord.findMany({ where: { consumerType: "standalone" } }),
  ]);
  return rows.map((p) => presentProxy(p, pickDnsRow(records, p), settings.dns.mode));
}
