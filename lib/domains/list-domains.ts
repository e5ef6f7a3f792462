import { db } from "../db";
import { findInstanceOrThrow } from "../db/find-instance";
import { getSettings } from "../settings/get-settings";
import { DOMAIN_OWNER } from "./domain-dns";
import { presentDomain } from "./present-domain";

export async function listDomains(opts: { instanceId: string }) {
  const [instance, settings] = await Promise.all([findInstanceOrThrow(opts.instanceId), getSettings()]);
  const rows = await db.customDomain.findMany({ where: { instanceId: instance.id }, orderBy: { domain: "asc" } });
  const ledger = await db.dnsRecord.findMany({ where: { consumerType: DOMAIN_OWNER, consumerId: { in: rows.map((r) => r.id) } }, select: { consumerId: true, zone: true, status: true, lastError: true } });
  const dns = new Map(ledger.map((l) => [l.consumerId, l]));
  return { items: rows.map((r) => presentDomain(r, instance, settings, dns.get(r.id))) };
}
