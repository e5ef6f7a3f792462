import type Cloudflare from "cloudflare";
import { AppError } from "../errors";
import { logger } from "../logger";
import { isWharfMarker, normalizeFqdn } from "../naming";
import type { ConnectionResult } from "../proxy/types";
import type { TCloudflareConfig } from "../settings/schemas";
import { applyCloudflareChanges } from "./cloudflare-batch";
import {
  CF_BATCH_LIMIT,
  CF_CODES,
  CF_COMMENT_MAX,
  CF_RECORDS_PER_PAGE_MAX,
  CF_ZONES_PER_PAGE_MAX,
  type CfRecord,
  CloudflareApi,
  cfBody,
  cfMatches,
  type CloudflareOptions,
  hasCode,
  toProviderRecord,
} from "./cloudflare-client";
import { tokenKey } from "./cloudflare-budget";
import { inZone, isManagedType, sameContent, validateDesired } from "./content";
import { type RetryPolicy, backoffDelay, retryPolicy, sleep } from "./retry";
import type { ChangeResult, DesiredRecord, DnsProvider, DnsZone, ProviderRecord, RecordChange } from "./types";

type CreateParams = Parameters<Cloudflare["dns"]["records"]["create"]>[0];
type UpdateParams = Parameters<Cloudflare["dns"]["records"]["update"]>[1];

const log = logger.child({ provider: "cloudflare" });
/** Zone id → name, shared by every provider instance: the name never changes and costs a request to learn. */
const zoneNames = new Map<string, string>();

export class CloudflareProvider implements DnsProvider {
  readonly type = "cloudflare" as const;
  readonly hasMarkers = true;
  readonly api: CloudflareApi;
  readonly zoneId: string;
  readonly pageSize: number;
  readonly batchSize: number;
  private readonly cacheKey: string;
  private readonly retry: RetryPolicy;

  constructor(config: TCloudflareConfig, opts: CloudflareOptions = {}) {
    // No throwing here: a missing token surfaces as the API's own authentication error on first use.
    this.api = new CloudflareApi(config.apiToken ?? "", config.baseUrl, opts);
    this.zoneId = (config.zoneId ?? "").trim();
    this.pageSize = Math.min(opts.pageSize ?? CF_RECORDS_PER_PAGE_MAX, CF_RECORDS_PER_PAGE_MAX);
    this.batchSize = Math.min(opts.batchSize ?? CF_BATCH_LIMIT, CF_BATCH_LIMIT);
    this.retry = retryPolicy(opts.retry);
    this.cacheKey = `${this.api.baseUrl}|${tokenKey(config.apiToken ?? "")}|${this.zoneId}`;
  }

  /** The zone name; empty until the first operation has resolved it from the zone id. */
  get zone(): string {
    return zoneNames.get(this.cacheKey) ?? "";
  }

  get apiCalls(): number {
    return this.api.calls;
  }

  private requireZoneId(): string {
    if (!this.zoneId) throw new AppError("VALIDATION", "no Cloudflare zone selected", { field: "dns.provider.zoneId" });
    return this.zoneId;
  }

  async resolveZone(): Promise<string> {
    const known = zoneNames.get(this.cacheKey);
    if (known) return known;
    this.requireZoneId();
    const zone = await this.api.call("zones.get", () => this.api.sdk.zones.get({ zone_id: this.zoneId }), true);
    const name = normalizeFqdn(zone.name);
    zoneNames.set(this.cacheKey, name);
    return name;
  }

  /** Every record in the zone, all types. */
  async listAll(): Promise<CfRecord[]> {
    this.requireZoneId();
    return this.api.listPages<CfRecord>("records.list", this.pageSize, (page) =>
      this.api.sdk.dns.records.list({ zone_id: this.zoneId, page, per_page: this.pageSize }),
    );
  }

  /** A/AAAA/CNAME records at exactly this name. */
  private async lookup(fqdn: string): Promise<CfRecord[]> {
    this.requireZoneId();
    const all = await this.api.listPages<CfRecord>("records.lookup", this.pageSize, (page) =>
      this.api.sdk.dns.records.list({ zone_id: this.zoneId, name: { exact: fqdn }, page, per_page: this.pageSize }),
    );
    return all.filter((r) => normalizeFqdn(r.name) === fqdn && isManagedType(r.type));
  }

  private async readBack(id: string, rec: DesiredRecord): Promise<ProviderRecord> {
    const got = await this.api.call("records.get", () => this.api.sdk.dns.records.get(id, { zone_id: this.zoneId }), true);
    if (!cfMatches(got, rec)) {
      throw new AppError("PROVIDER_ERROR", `Cloudflare accepted the write but shows ${got.type} ${got.name} → ${got.content} (comment ${got.comment ?? "none"})`);
    }
    return toProviderRecord(got);
  }

  async removeById(id: string): Promise<void> {
    try {
      await this.api.call("records.delete", () => this.api.sdk.dns.records.delete(id, { zone_id: this.zoneId }), true);
    } catch (err) {
      if (!hasCode(err, CF_CODES.recordMissing)) throw err;
    }
  }

  async ensureRecord(input: DesiredRecord): Promise<ProviderRecord> {
    const rec = validateDesired(input);
    if (rec.marker.length > CF_COMMENT_MAX) throw new AppError("VALIDATION", `ownership marker is longer than ${CF_COMMENT_MAX} characters`);
    const zone = await this.resolveZone();
    if (!inZone(rec.fqdn, zone)) throw new AppError("VALIDATION", `${rec.fqdn} is not inside the zone ${zone}`, { field: "fqdn" });
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      const atName = await this.lookup(rec.fqdn);
      // A CNAME cannot share its name with A/AAAA records, so those count as in the way too.
      const inWay = atName.filter((r) => r.type === rec.type || r.type === "CNAME" || rec.type === "CNAME");
      const foreign = inWay.filter((r) => !isWharfMarker(r.comment));
      if (foreign.length) {
        const f = foreign[0];
        throw new AppError("FOREIGN_RESOURCE", `${rec.fqdn} already has a ${f.type} record (${f.content}) that Wharf did not create`, {
          details: { fqdn: rec.fqdn, id: f.id, type: f.type, content: f.content },
        });
      }
      const keeper =
        inWay.find((r) => r.type === rec.type && sameContent(rec.type, r.content ?? "", rec.content)) ??
        inWay.find((r) => r.type === rec.type) ??
        inWay[0];
      // Our own duplicates (and our records of a conflicting type) go first,
      // so that the write below cannot collide with them; then look again,
      // since a delete's success is only believed once the listing agrees.
      const extras = inWay.filter((r) => r !== keeper);
      if (extras.length) {
        for (const extra of extras) await this.removeById(extra.id);
        lastError = new AppError("PROVIDER_ERROR", `Cloudflare still lists duplicate records for ${rec.fqdn} after deleting them`);
        continue;
      }
      if (keeper) {
        if (cfMatches(keeper, rec)) return toProviderRecord(keeper);
        const params = { zone_id: this.zoneId, ...cfBody(rec) } as UpdateParams;
        await this.api.call("records.update", () => this.api.sdk.dns.records.update(keeper.id, params), true);
        log.info({ fqdn: rec.fqdn, type: rec.type, id: keeper.id }, "record updated");
        return this.readBack(keeper.id, rec);
      }
      try {
        const params = { zone_id: this.zoneId, ...cfBody(rec) } as CreateParams;
        const created = await this.api.call("records.create", () => this.api.sdk.dns.records.create(params), false);
        log.info({ fqdn: rec.fqdn, type: rec.type, id: created.id }, "record created");
        return await this.readBack(created.id, rec);
      } catch (err) {
        // "Already exists" means someone (another Wharf process, the
        // operator) created a record since the lookup; an ambiguous 5xx may
        // mean ours was created anyway. Either way: look again and decide,
        // adopting only a record that carries Wharf's marker.
        const exists = hasCode(err, CF_CODES.recordExists, CF_CODES.identicalExists, CF_CODES.hostConflict);
        const ambiguous = err instanceof AppError && ["UNAVAILABLE", "TIMEOUT"].includes(err.code);
        const serverError = err instanceof AppError && Number(err.details?.status) >= 500;
        if (!exists && !ambiguous && !serverError) throw err;
        lastError = err;
        log.warn({ fqdn: rec.fqdn, attempt, err: (err as Error).message }, "create did not go through cleanly; looking again");
        if (!exists) await sleep(backoffDelay(attempt, this.retry));
      }
    }
    throw lastError instanceof AppError ? lastError : new AppError("PROVIDER_ERROR", `could not create ${rec.fqdn}`);
  }

  async deleteRecord(ref: { fqdn: string; type: string; content?: string; id?: string | null }): Promise<void> {
    const fqdn = normalizeFqdn(ref.fqdn);
    // Read back after each round of deletes; a delete that answered success
    // but left the record behind is sent again, a bounded number of times.
    for (let attempt = 1; ; attempt++) {
      const atName = (await this.lookup(fqdn)).filter((r) => r.type === ref.type.toUpperCase());
      if (ref.id && !atName.some((r) => r.id === ref.id)) {
        const byId = await this.getById(ref.id);
        if (byId) atName.push(byId);
      }
      const named = ref.id ? atName.find((r) => r.id === ref.id) : undefined;
      if (named && !isWharfMarker(named.comment)) {
        throw new AppError("FOREIGN_RESOURCE", `record ${ref.id} (${named.name}) does not carry Wharf's marker; not deleting it`);
      }
      const ours = atName.filter((r) => isWharfMarker(r.comment));
      if (!ours.length) return;
      if (attempt > this.retry.attempts) {
        throw new AppError("PROVIDER_ERROR", `Cloudflare still lists ${fqdn} ${ref.type} after ${this.retry.attempts} deletes`);
      }
      if (attempt > 1) await sleep(backoffDelay(attempt - 1, this.retry));
      for (const r of ours) await this.removeById(r.id);
      log.info({ fqdn, type: ref.type, count: ours.length, attempt }, "record delete sent");
    }
  }

  private async getById(id: string): Promise<CfRecord | null> {
    try {
      return await this.api.call("records.get", () => this.api.sdk.dns.records.get(id, { zone_id: this.zoneId }), true);
    } catch (err) {
      if (hasCode(err, CF_CODES.recordMissing) || (err instanceof AppError && err.details?.status === 404)) return null;
      throw err;
    }
  }

  async listRecords(): Promise<ProviderRecord[]> {
    return (await this.listAll()).filter((r) => isManagedType(r.type)).map(toProviderRecord);
  }

  async verifyRecord(ref: { fqdn: string; type: string; content?: string }): Promise<ProviderRecord | null> {
    const found = (await this.lookup(normalizeFqdn(ref.fqdn))).filter((r) => r.type === ref.type.toUpperCase());
    const match = ref.content === undefined ? found : found.filter((r) => sameContent(r.type, r.content ?? "", ref.content!));
    const best = match.find((r) => isWharfMarker(r.comment)) ?? match[0];
    return best ? toProviderRecord(best) : null;
  }

  async listZones(): Promise<DnsZone[]> {
    const zones = await this.api.listPages<{ id: string; name: string }>("zones.list", CF_ZONES_PER_PAGE_MAX, (page) =>
      this.api.sdk.zones.list({ page, per_page: CF_ZONES_PER_PAGE_MAX }),
    );
    return zones.map((z) => ({ id: z.id, name: normalizeFqdn(z.name) }));
  }

  async testConnection(): Promise<ConnectionResult> {
    let verifyError: unknown;
    try {
      const token = await this.api.call("tokens.verify", () => this.api.sdk.user.tokens.verify(), true);
      if (token.status !== "active") return { ok: false, message: `API token is ${token.status}` };
    } catch (err) {
      verifyError = err;
    }
    if (!this.zoneId) {
      return verifyError ? { ok: false, message: (verifyError as Error).message } : { ok: true, message: "API token is valid; choose a zone" };
    }
    try {
      zoneNames.delete(this.cacheKey);
      const zone = await this.resolveZone();
      // An account-owned token fails /user/tokens/verify yet works on the zone: the zone read is what counts.
      return { ok: true, message: `Connected to zone ${zone}` };
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
  }

  async applyChanges(changes: RecordChange[]): Promise<ChangeResult[]> {
    if (!changes.length) return [];
    await this.resolveZone();
    return applyCloudflareChanges(this, changes);
  }
}
