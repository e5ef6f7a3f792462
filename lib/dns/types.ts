import type { ConnectionResult } from "../proxy/types";

export type RecordType = "A" | "AAAA" | "CNAME";

/** What Wharf wants at the provider for one FQDN. */
export interface DesiredRecord {
  fqdn: string; // normalised: lower-case, no trailing dot
  type: RecordType;
  content: string;
  ttl: number;
  proxied?: boolean; // Cloudflare only
  /** Ownership marker from naming.recordMarker(), stored as the record comment where the provider has one. */
  marker: string;
}

/** A record as the provider reports it. */
export interface ProviderRecord {
  /** Provider record id (Cloudflare id; PowerDNS/AdGuard: a stable synthetic id such as `fqdn|type|content`). */
  id: string;
  fqdn: string; // normalised
  type: string;
  content: string;
  ttl?: number;
  proxied?: boolean;
  /** The record's comment/marker, when the provider has one (AdGuard has none: null). */
  marker: string | null;
}

export interface DnsZone {
  id: string;
  name: string;
}

/** One change of a bulk apply (reconciler). */
export type RecordChange =
  | { op: "create"; record: DesiredRecord }
  | { op: "update"; id: string; record: DesiredRecord }
  | { op: "delete"; id: string; fqdn: string; type: string; content: string };

export interface ChangeResult {
  change: RecordChange;
  ok: boolean;
  record?: ProviderRecord;
  error?: string;
}

/**
 * A DNS provider (SPEC §8). Every method is idempotent. Writes are confirmed
 * by reading back. A record at the FQDN that does not carry Wharf's marker
 * (where the provider has markers) is foreign: ensureRecord refuses it with
 * AppError("FOREIGN_RESOURCE") instead of overwriting it.
 */
export interface DnsProvider {
  readonly type: "cloudflare" | "powerdns" | "adguard";
  /** The zone name records are written in (e.g. example.com), for the ledger. */
  readonly zone: string;
  /** Whether records carry a provider-side marker (false for AdGuard: the ledger alone decides). */
  readonly hasMarkers: boolean;
  /**
   * The TTL and proxying a record gets from the DNS settings, as this
   * provider takes them: only Cloudflare proxies, so the others leave
   * `proxied` out (and a plan never counts proxying as drift there).
   */
  recordOptions(dns: { ttl: number; proxied: boolean }): { ttl: number; proxied?: boolean };
  /** Create or update so that exactly one record of `type` exists for `fqdn` with `content`; returns it as read back. */
  ensureRecord(record: DesiredRecord): Promise<ProviderRecord>;
  /** Delete Wharf's record; deleting what is already gone succeeds. Confirmed by reading back. */
  deleteRecord(ref: { fqdn: string; type: string; content?: string; id?: string | null }): Promise<void>;
  /** Every record in the zone (foreign ones too, with their marker), A/AAAA/CNAME only. */
  listRecords(): Promise<ProviderRecord[]>;
  /** The record as the provider shows it now, or null. */
  verifyRecord(ref: { fqdn: string; type: string; content?: string }): Promise<ProviderRecord | null>;
  listZones(): Promise<DnsZone[]>;
  testConnection(): Promise<ConnectionResult>;
  /** Bulk changes (Cloudflare batch endpoint; sequential elsewhere); each change's failure is isolated. */
  applyChanges(changes: RecordChange[]): Promise<ChangeResult[]>;
  /**
   * Providers without markers (AdGuard Home), where an ensure would take over
   * whatever is at the name: refuses with FOREIGN_RESOURCE a name Wharf has
   * not written yet (`writtenBefore` false) that already holds a record.
   */
  assertClaimable?(ref: { fqdn: string; type: string }, writtenBefore: boolean): Promise<void>;
  /**
   * After an ensure failed: the provider record id to keep on the ledger row
   * because the write may have gone through anyway (so that removal deletes
   * it), or null. Providers with markers find their records by marker and
   * need none.
   */
  idAfterFailedWrite?(rec: { fqdn: string; content: string }, err: unknown): string | null;
  /** Requests sent to the provider by this instance so far (for sync reports and benchmarks). */
  readonly apiCalls: number;
}
