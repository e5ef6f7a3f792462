import { dnsOverview } from "./overview";
import type { TPage } from "../pagination";

export interface TDnsRecordView {
  fqdn: string;
  type: string;
  content: string;
  consumerType: string;
  consumerId: string;
  status: string;
  providerRecordId: string | null;
  verifiedAt: string | null;
  lastError: string | null;
  // Additions to SPEC §10's shape:
  consumerName: string | null;
  inLedger: boolean;
  provider: string | null;
  zone: string | null;
}

/**
 * GET /api/dns/records (SPEC §10). Every ledger row, plus every expected
 * FQDN that has no ledger row: status "wildcard" in wildcard mode (covered
 * by the wildcard record, nothing to create) and "missing" in managed mode
 * (the next sync creates it). This is the same list the /dns page shows, so
 * a script sees what an operator sees; `inLedger` tells the rows Wharf owns
 * (the only ones DELETE accepts) from the merely expected ones. One page:
 * `records` is the same array as `items`, kept for scripts written before
 * pagination.
 */
export async function listDnsRecords(opts: { params?: URLSearchParams; defaultLimit?: number } = {}): Promise<
  { mode: "wildcard" | "managed"; records: TDnsRecordView[] } & TPage<TDnsRecordView>
> {
  const o = await dnsOverview(opts);
  const items = o.page.items.map((r) => ({
    fqdn: r.fqdn,
    type: r.type,
    content: r.content,
    consumerType: r.consumerType,
    consumerId: r.consumerId,
    status: r.status,
    providerRecordId: r.providerRecordId,
    verifiedAt: r.verifiedAt?.toISOString() ?? null,
    lastError: r.lastError,
    consumerName: r.consumerName,
    inLedger: r.inLedger,
    provider: r.provider,
    zone: r.zone,
  }));
  return { mode: o.mode, records: items, ...o.page, items };
}
