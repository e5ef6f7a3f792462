import { db } from "../db";
import { getSettings } from "../settings/get-settings";
import { expectedRecords } from "./expected-records";

export interface DnsRow {
  fqdn: string;
  type: string;
  content: string;
  consumerType: string;
  consumerId: string;
  /** Instance name or proxy domain; null when the consumer no longer exists. */
  consumerName: string | null;
  status: string; // ledger status, "wildcard" (covered), or "missing" (expected, not in the ledger yet)
  providerRecordId: string | null;
  verifiedAt: Date | null;
  lastError: string | null;
  inLedger: boolean;
  /** Where a ledger record lives; null for rows that are only expected. */
  provider: string | null;
  zone: string | null;
}

export const DNS_STATUSES = ["synced", "pending", "failed", "deleting", "missing", "wildcard"] as const;

/** Names of the consumers ledger rows point at, including those not expected any more (a stopped instance). */
async function consumerNames(rows: { consumerType: string; consumerId: string }[]): Promise<Map<string, string>> {
  const ids = (type: string) => rows.filter((r) => r.consumerType === type).map((r) => r.consumerId);
  const [instances, proxies] = await Promise.all([
    db.instance.findMany({ where: { id: { in: ids("instance") } }, select: { id: true, name: true } }),
    db.standaloneProxy.findMany({ where: { id: { in: ids("standalone") } }, select: { id: true, domain: true } }),
  ]);
  return new Map([...instances.map((i) => [`instance:${i.id}`, i.name] as const), ...proxies.map((p) => [`standalone:${p.id}`, p.domain] as const)]);
}

/** Every expected FQDN and every ledger record, in both modes (SPEC §8). */
export async function dnsOverview(filter: { status?: string; consumerType?: string; q?: string } = {}) {
  const settings = await getSettings();
  const [expected, ledger] = await Promise.all([expectedRecords(settings), db.dnsRecord.findMany({ orderBy: { fqdn: "asc" } })]);
  const names = await consumerNames(ledger);
  const rows = new Map<string, DnsRow>();
  for (const e of expected) {
    rows.set(e.fqdn, {
      fqdn: e.fqdn, type: e.type, content: e.content, consumerType: e.consumerType, consumerId: e.consumerId, consumerName: e.consumerName,
      status: settings.dns.mode === "wildcard" ? "wildcard" : "missing", providerRecordId: null, verifiedAt: null, lastError: null, inLedger: false,
      provider: null, zone: null,
    });
  }
  for (const r of ledger) {
    rows.set(r.fqdn, {
      fqdn: r.fqdn, type: r.type, content: r.content, consumerType: r.consumerType, consumerId: r.consumerId,
      consumerName: names.get(`${r.consumerType}:${r.consumerId}`) ?? null,
      status: r.status, providerRecordId: r.providerRecordId, verifiedAt: r.verifiedAt, lastError: r.lastError, inLedger: true,
      provider: r.provider, zone: r.zone || null,
    });
  }
  const q = filter.q?.trim().toLowerCase();
  const list = [...rows.values()]
    .filter((r) => !filter.status || r.status === filter.status)
    .filter((r) => !filter.consumerType || r.consumerType === filter.consumerType)
    .filter((r) => !q || r.fqdn.includes(q) || r.content.toLowerCase().includes(q) || (r.consumerName ?? "").toLowerCase().includes(q))
    .sort((a, b) => a.fqdn.localeCompare(b.fqdn));
  return { mode: settings.dns.mode, provider: settings.dns.provider?.type ?? null, baseDomain: settings.baseDomain, rows: list };
}
