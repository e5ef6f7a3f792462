import { db } from "../db";
import { getSettings } from "../settings/get-settings";
import { expectedRecords } from "./expected-records";

export interface DnsRow {
  fqdn: string;
  type: string;
  content: string;
  consumerType: string;
  consumerId: string;
  consumerName: string | null;
  status: string; // ledger status, "wildcard" (covered), or "missing" (expected, not in the ledger yet)
  providerRecordId: string | null;
  verifiedAt: Date | null;
  lastError: string | null;
  inLedger: boolean;
}

/** Every expected FQDN and every ledger record, in both modes (SPEC §8). */
export async function dnsOverview(filter: { status?: string; consumerType?: string; q?: string } = {}) {
  const settings = await getSettings();
  const [expected, ledger] = await Promise.all([expectedRecords(settings), db.dnsRecord.findMany({ orderBy: { fqdn: "asc" } })]);
  const rows = new Map<string, DnsRow>();
  for (const e of expected) {
    rows.set(e.fqdn, {
      fqdn: e.fqdn, type: e.type, content: e.content, consumerType: e.consumerType, consumerId: e.consumerId, consumerName: e.consumerName,
      status: settings.dns.mode === "wildcard" ? "wildcard" : "missing", providerRecordId: null, verifiedAt: null, lastError: null, inLedger: false,
    });
  }
  for (const r of ledger) {
    const prior = rows.get(r.fqdn);
    rows.set(r.fqdn, {
      fqdn: r.fqdn, type: r.type, content: r.content, consumerType: r.consumerType, consumerId: r.consumerId, consumerName: prior?.consumerName ?? null,
      status: r.status, providerRecordId: r.providerRecordId, verifiedAt: r.verifiedAt, lastError: r.lastError, inLedger: true,
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
