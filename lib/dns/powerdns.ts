import { AppError, errorMessage } from "../errors";
import { logger } from "../logger";
import { normalizeFqdn } from "../naming";
import type { ConnectionResult } from "../proxy/types";
import type { TPowerDnsConfig } from "../settings/schemas";
import { inZone, isManagedType, sameContent, validateDesired } from "./content";
import {
  type PdnsRRset,
  type PdnsRRsetChange,
  PowerDnsApi,
  type PowerDnsOptions,
  canonical,
  isOwnRrset,
  parseRrsetId,
  rrsetMatches,
  rrsetToRecords,
  wireContent,
} from "./powerdns-api";
import { type RetryPolicy, backoffDelay, retryPolicy, sleep } from "./retry";
import type { ChangeResult, DesiredRecord, DnsProvider, DnsZone, ProviderRecord, RecordChange } from "./types";

const log = logger.child({ provider: "powerdns" });

const sameName = (rrset: PdnsRRset, fqdn: string) => normalizeFqdn(rrset.name) === fqdn;

function foreign(rrset: PdnsRRset): AppError {
  return new AppError("FOREIGN_RESOURCE", `${normalizeFqdn(rrset.name)} already has a ${rrset.type} rrset that Wharf did not create`, {
    details: { fqdn: normalizeFqdn(rrset.name), type: rrset.type },
  });
}

/**
 * The rrset changes that make `rec` true, given the zone's rrsets: REPLACE
 * the rrset of its type (marker in the rrset comment) and DELETE Wharf's own
 * rrsets that cannot coexist with it (a CNAME excludes A/AAAA and vice
 * versa) or that an update replaces. Throws FOREIGN_RESOURCE when an rrset in
 * the way is not Wharf's. An empty list means nothing to do.
 */
export function planEnsure(rec: DesiredRecord, rrsets: PdnsRRset[], replaces?: string): PdnsRRsetChange[] {
  const inWay = rrsets.filter(
    (r) => sameName(r, rec.fqdn) && isManagedType(r.type) && (r.type === rec.type || r.type === "CNAME" || rec.type === "CNAME"),
  );
  const old = replaces ? parseRrsetId(replaces) : null;
  const replaced = old ? rrsets.find((r) => sameName(r, old.fqdn) && r.type === old.type) : undefined;
  for (const r of [...inWay, ...(replaced ? [replaced] : [])]) if (!isOwnRrset(r, rec.marker)) throw foreign(r);
  const same = inWay.find((r) => r.type === rec.type);
  const obsolete = [...inWay.filter((r) => r.type !== rec.type), ...(replaced && replaced !== same ? [replaced] : [])];
  if (same && rrsetMatches(same, rec) && obsolete.length === 0) return [];
  return [
    ...[...new Set(obsolete)].map((r): PdnsRRsetChange => ({ name: canonical(r.name), type: r.type, changetype: "DELETE" })),
    {
      name: canonical(rec.fqdn),
      type: rec.type,
      ttl: rec.ttl,
      changetype: "REPLACE",
      records: [{ content: wireContent(rec.type, rec.content), disabled: false }],
      comments: [{ content: rec.marker, account: "wharf" }],
    },
  ];
}

export class PowerDnsProvider implements DnsProvider {
  readonly type = "powerdns" as const;
  readonly hasMarkers = true;
  readonly zone: string;
  private readonly api: PowerDnsApi;
  private readonly retry: RetryPolicy;

  constructor(config: TPowerDnsConfig, opts: PowerDnsOptions = {}) {
    this.zone = normalizeFqdn(config.zone ?? "");
    this.api = new PowerDnsApi(config.apiUrl, config.serverId, config.apiKey ?? "", opts);
    this.retry = retryPolicy(opts.retry);
  }

  get apiCalls(): number {
    return this.api.calls;
  }

  recordOptions(dns: { ttl: number; proxied: boolean }): { ttl: number; proxied?: boolean } {
    return { ttl: dns.ttl };
  }

  private get zonePath(): string {
    if (!this.zone) throw new AppError("VALIDATION", "no PowerDNS zone selected", { field: "dns.provider.zone" });
    return `/zones/${encodeURIComponent(canonical(this.zone))}`;
  }

  /** The zone's rrsets, optionally only those at one name (and type). */
  private async rrsets(filter?: { fqdn: string; type?: string }): Promise<PdnsRRset[]> {
    const q = filter ? `?rrset_name=${encodeURIComponent(canonical(filter.fqdn))}${filter.type ? `&rrset_type=${filter.type}` : ""}` : "";
    const zone = await this.api.request<{ rrsets: PdnsRRset[] }>("GET", `${this.zonePath}${q}`);
    return (zone.rrsets ?? []).filter((r) => !filter || (sameName(r, normalizeFqdn(filter.fqdn)) && (!filter.type || r.type === filter.type)));
  }

  private patch(changes: PdnsRRsetChange[]): Promise<void> {
    return this.api.request<void>("PATCH", this.zonePath, { rrsets: changes });
  }

  private checkInZone(rec: DesiredRecord): void {
    if (!inZone(rec.fqdn, this.zone)) throw new AppError("VALIDATION", `${rec.fqdn} is not inside the zone ${this.zone}`, { field: "fqdn" });
  }

  private async confirm(rec: DesiredRecord): Promise<ProviderRecord> {
    const [rrset] = await this.rrsets({ fqdn: rec.fqdn, type: rec.type });
    if (!rrset || !rrsetMatches(rrset, rec)) {
      throw new AppError("PROVIDER_ERROR", `PowerDNS accepted the change but does not show ${rec.fqdn} ${rec.type} ${rec.content}`);
    }
    return rrsetToRecords(rrset)[0];
  }

  async ensureRecord(input: DesiredRecord): Promise<ProviderRecord> {
    const rec = validateDesired(input);
    this.checkInZone(rec);
    const changes = planEnsure(rec, await this.rrsets({ fqdn: rec.fqdn }));
    if (changes.length) {
      await this.patch(changes);
      log.info({ fqdn: rec.fqdn, type: rec.type, rrsets: changes.length }, "rrset replaced");
    }
    return this.confirm(rec);
  }

  async deleteRecord(ref: { fqdn: string; type: string; content?: string; id?: string | null }): Promise<void> {
    const fqdn = normalizeFqdn(ref.fqdn);
    const type = ref.type.toUpperCase();
    for (let attempt = 1; ; attempt++) {
      const [rrset] = await this.rrsets({ fqdn, type });
      if (!rrset) return;
      if (!isOwnRrset(rrset)) throw foreign(rrset);
      if (attempt > this.retry.attempts) throw new AppError("PROVIDER_ERROR", `PowerDNS still serves ${fqdn} ${type} after ${this.retry.attempts} deletes`);
      if (attempt > 1) await sleep(backoffDelay(attempt - 1, this.retry));
      await this.patch([{ name: canonical(fqdn), type, changetype: "DELETE" }]);
      log.info({ fqdn, type }, "rrset deleted");
    }
  }

  async listRecords(): Promise<ProviderRecord[]> {
    return (await this.rrsets()).filter((r) => isManagedType(r.type)).flatMap(rrsetToRecords);
  }

  async verifyRecord(ref: { fqdn: string; type: string; content?: string }): Promise<ProviderRecord | null> {
    const type = ref.type.toUpperCase();
    const records = (await this.rrsets({ fqdn: ref.fqdn, type })).flatMap(rrsetToRecords);
    return records.find((r) => ref.content === undefined || sameContent(type, r.content, ref.content)) ?? null;
  }

  async listZones(): Promise<DnsZone[]> {
    const zones = await this.api.request<{ id: string; name: string }[]>("GET", "/zones");
    return zones.map((z) => ({ id: normalizeFqdn(z.name), name: normalizeFqdn(z.name) }));
  }

  async testConnection(): Promise<ConnectionResult> {
    try {
      const server = await this.api.request<{ version?: string }>("GET", "");
      const name = ["PowerDNS", server.version].filter(Boolean).join(" ");
      if (!this.zone) return { ok: true, message: `Connected to ${name}; choose a zone` };
      await this.api.request("GET", `${this.zonePath}?rrsets=false`);
      return { ok: true, message: `Connected to ${name}, zone ${this.zone}` };
    } catch (err) {
      return { ok: false, message: errorMessage(err) };
    }
  }

  /**
   * One PATCH carries every rrset change and PowerDNS applies it atomically,
   * so a single bad change fails them all: then each change is applied on its
   * own to isolate its failure. One listing before and one after.
   */
  async applyChanges(changes: RecordChange[]): Promise<ChangeResult[]> {
    if (!changes.length) return [];
    const before = await this.rrsets();
    const errors = new Map<number, string>();
    const planned = new Map<number, PdnsRRsetChange[]>();
    changes.forEach((change, idx) => {
      try {
        planned.set(idx, this.planChange(change, before));
      } catch (err) {
        errors.set(idx, errorMessage(err));
      }
    });
    const all = [...planned.values()].flat();
    const keys = all.map((c) => `${c.name}|${c.type}`);
    const overlapping = new Set(keys).size !== keys.length;
    let batched = false;
    if (all.length && !overlapping) {
      try {
        await this.patch(all);
        batched = true;
      } catch (err) {
        log.warn({ rrsets: all.length, err: errorMessage(err) }, "bulk PATCH refused; applying changes one by one");
      }
    }
    if (!batched) {
      for (const [idx, rrsets] of planned) if (rrsets.length) await this.patch(rrsets).catch((e) => errors.set(idx, errorMessage(e)));
    }
    return this.readBack(changes, errors);
  }

  private planChange(change: RecordChange, rrsets: PdnsRRset[]): PdnsRRsetChange[] {
    if (change.op === "delete") {
      const fqdn = normalizeFqdn(change.fqdn);
      const rrset = rrsets.find((r) => sameName(r, fqdn) && r.type === change.type.toUpperCase());
      if (!rrset) return [];
      if (!isOwnRrset(rrset)) throw foreign(rrset);
      return [{ name: canonical(fqdn), type: rrset.type, changetype: "DELETE" }];
    }
    const rec = validateDesired(change.record);
    this.checkInZone(rec);
    return planEnsure(rec, rrsets, change.op === "update" ? change.id : undefined);
  }

  private async readBack(changes: RecordChange[], errors: Map<number, string>): Promise<ChangeResult[]> {
    const after = await this.rrsets();
    return changes.map((change, idx): ChangeResult => {
      const error = errors.get(idx);
      if (error !== undefined) return { change, ok: false, error };
      if (change.op === "delete") {
        const left = after.some((r) => sameName(r, normalizeFqdn(change.fqdn)) && r.type === change.type.toUpperCase() && isOwnRrset(r));
        return left ? { change, ok: false, error: "PowerDNS still serves the rrset after the delete" } : { change, ok: true };
      }
      const rec = validateDesired(change.record);
      const rrset = after.find((r) => sameName(r, rec.fqdn) && r.type === rec.type);
      return rrset && rrsetMatches(rrset, rec)
        ? { change, ok: true, record: rrsetToRecords(rrset)[0] }
        : { change, ok: false, error: `PowerDNS does not show ${rec.fqdn} ${rec.type} ${rec.content} after the change` };
    });
  }
}
