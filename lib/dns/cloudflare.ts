import type Cloudflare from "cloudflare";
import { AppError } from "../errors";
import { logger } from "../logger";
import { normalizeFqdn } from "../naming";
import { installationId } from "../secrets";
import type { ConnectionResult } from "../proxy/types";
import type { TCloudflareConfig } from "../settings/schemas";
import { applyCloudflareChanges, type CfBatchBody, type CfBatchZone } from "./cloudflare-batch";
import {
  CF_BATCH_LIMIT,
  cfBatchLimit,
  CF_CODES,
  CF_COMMENT_MAX,
  CF_EXISTS_CODES,
  CF_RECORDS_PER_PAGE_MAX,
  CF_ZONES_PER_PAGE_MAX,
  type CfRecord,
  CloudflareApi,
  cfBody,
  cfMatches,
  cfPatch,
  type CloudflareOptions,
  cloudflareTtlProblem,
  hasCode,
  slimRecord,
  toProviderRecord,
} from "./cloudflare-client";
import { tokenKey } from "./cloudflare-budget";
import { discardBody, streamPage } from "./cloudflare-stream";
import { deletionTargets, foreignError, mayDelete, resolveName } from "./cloudflare-ownership";
import { inZone, isManagedType, sameContent, validateDesired } from "./content";
import { type RetryPolicy, backoffDelay, retryPolicy, sleep } from "./retry";
import type { ChangeResult, DesiredRecord, DnsProvider, DnsZone, ProviderRecord, RecordChange } from "./types";

type CreateParams = Parameters<Cloudflare["dns"]["records"]["create"]>[0];
type EditParams = Parameters<Cloudflare["dns"]["records"]["edit"]>[1];
type BatchParams = Parameters<Cloudflare["dns"]["records"]["batch"]>[0];

const log = logger.child({ provider: "cloudflare" });
/**
 * Zone id → name and the plan's batch size, shared by every provider
 * instance: they (practically) never change and cost a request to learn.
 */
const zoneInfo = new Map<string, { name: string; batchLimit: number }>();
type CfZoneAnswer = { name: string; plan?: { legacy_id?: string } | null };
const remember = (key: string, zone: CfZoneAnswer) => {
  const info = { name: normalizeFqdn(zone.name), batchLimit: cfBatchLimit(zone.plan?.legacy_id) };
  zoneInfo.set(key, info);
  return info;
};

export class CloudflareProvider implements DnsProvider, CfBatchZone {
  readonly type = "cloudflare" as const;
  readonly hasMarkers = true;
  readonly api: CloudflareApi;
  readonly zoneId: string;
  readonly pageSize: number;
  private readonly maxBatch: number;
  /** Records marked by this installation are ours; another installation's are foreign. */
  readonly installation: string;
  private readonly cacheKey: string;
  private readonly retry: RetryPolicy;

  constructor(config: TCloudflareConfig, opts: CloudflareOptions = {}) {
    // No throwing here: a missing token surfaces as the API's own authentication error on first use.
    this.api = new CloudflareApi(config.apiToken ?? "", config.baseUrl, opts);
    this.zoneId = (config.zoneId ?? "").trim();
    this.pageSize = Math.min(opts.pageSize ?? CF_RECORDS_PER_PAGE_MAX, CF_RECORDS_PER_PAGE_MAX);
    this.maxBatch = opts.batchSize ?? Number.POSITIVE_INFINITY;
    this.retry = retryPolicy(opts.retry);
    this.installation = opts.installation ?? installationId();
    this.cacheKey = `${this.api.baseUrl}|${tokenKey(config.apiToken ?? "")}|${this.zoneId}`;
  }

  /** The zone name; empty until the first operation has resolved it from the zone id. */
  get zone(): string {
    return zoneInfo.get(this.cacheKey)?.name ?? "";
  }

  /** Changes per batch request: the zone plan's limit (Free's 200 until the zone has been read), or less if configured. */
  get batchSize(): number {
    return Math.min(this.maxBatch, zoneInfo.get(this.cacheKey)?.batchLimit ?? CF_BATCH_LIMIT);
  }

  get apiCalls(): number {
    return this.api.calls;
  }

  /** Cloudflare's TTL rule, checked before settings are saved. */
  static readonly ttlProblem = cloudflareTtlProblem;

  recordOptions(dns: { ttl: number; proxied: boolean }): { ttl: number; proxied?: boolean } {
    return { ttl: dns.ttl, proxied: dns.proxied };
  }

  private requireZoneId(): string {
    if (!this.zoneId) throw new AppError("VALIDATION", "no Cloudflare zone selected", { field: "dns.provider.zoneId" });
    return this.zoneId;
  }

  async resolveZone(): Promise<string> {
    const known = zoneInfo.get(this.cacheKey);
    if (known) return known.name;
    this.requireZoneId();
    const zone = await this.api.call("zones.get", () => this.api.sdk.zones.get({ zone_id: this.zoneId }), true);
    return remember(this.cacheKey, zone).name;
  }

  /** Every record in the zone, all types. */
  async listAll(): Promise<CfRecord[]> {
    this.requireZoneId();
    return this.api.listPages<CfRecord>("records.list", this.pageSize, async (page) =>
      streamPage(await this.api.sdk.dns.records.list({ zone_id: this.zoneId, page, per_page: this.pageSize }).asResponse(), slimRecord),
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

  /** PATCH: only the fields Wharf owns, so what an operator added to the record (tags, for one) stays. */
  async editById(id: string, rec: DesiredRecord): Promise<void> {
    const params = { zone_id: this.zoneId, ...cfPatch(rec) } as EditParams;
    await this.api.call("records.edit", () => this.api.sdk.dns.records.edit(id, params), true);
  }

  async ensureRecord(input: DesiredRecord): Promise<ProviderRecord> {
    const rec = validateDesired(input);
    if (rec.marker.length > CF_COMMENT_MAX) throw new AppError("VALIDATION", `ownership marker is longer than ${CF_COMMENT_MAX} characters`);
    const zone = await this.resolveZone();
    if (!inZone(rec.fqdn, zone)) throw new AppError("VALIDATION", `${rec.fqdn} is not inside the zone ${zone}`, { field: "fqdn" });
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      const { alien, keep, remove } = resolveName(await this.lookup(rec.fqdn), rec, this.installation);
      if (alien) throw foreignError(alien, this.installation);
      // Our own duplicates (and our records of a conflicting type) go first,
      // so that the write below cannot collide with them; then look again,
      // since a delete's success is only believed once the listing agrees.
      if (remove.length) {
        for (const extra of remove) await this.removeById(extra.id);
        lastError = new AppError("PROVIDER_ERROR", `Cloudflare still lists duplicate records for ${rec.fqdn} after deleting them`);
        continue;
      }
      if (keep) {
        if (cfMatches(keep, rec)) return toProviderRecord(keep);
        await this.editById(keep.id, rec);
        log.info({ fqdn: rec.fqdn, type: rec.type, id: keep.id }, "record updated");
        return this.readBack(keep.id, rec);
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
        // adopting only a record this installation may write.
        const exists = hasCode(err, ...CF_EXISTS_CODES);
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

  /** Deletes exactly the record the ledger names (see deletionTargets); confirmed by reading back. */
  async deleteRecord(ref: { fqdn: string; type: string; content?: string; id?: string | null }): Promise<void> {
    const fqdn = normalizeFqdn(ref.fqdn);
    // Read back after each round of deletes; a delete that answered success
    // but left the record behind is sent again, a bounded number of times.
    for (let attempt = 1; ; attempt++) {
      const atName = await this.lookup(fqdn);
      const byId = ref.id ? (atName.find((r) => r.id === ref.id) ?? (await this.getById(ref.id)) ?? undefined) : undefined;
      const targets = deletionTargets(atName, byId, ref, this.installation);
      if (!targets.length) return;
      if (attempt > this.retry.attempts) {
        throw new AppError("PROVIDER_ERROR", `Cloudflare still lists ${fqdn} ${ref.type} after ${this.retry.attempts} deletes`);
      }
      if (attempt > 1) await sleep(backoffDelay(attempt - 1, this.retry));
      for (const r of targets) await this.removeById(r.id);
      log.info({ fqdn, type: ref.type, count: targets.length, attempt }, "record delete sent");
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
    const best = match.find((r) => mayDelete(r, this.installation)) ?? match[0];
    return best ? toProviderRecord(best) : null;
  }

  async listZones(): Promise<DnsZone[]> {
    const zones = await this.api.listPages<{ id: string; name: string }>("zones.list", CF_ZONES_PER_PAGE_MAX, (page) =>
      this.api.sdk.zones.list({ page, per_page: CF_ZONES_PER_PAGE_MAX }),
    );
    return zones.map((z) => ({ id: z.id, name: normalizeFqdn(z.name) }));
  }

  /**
   * A user-owned token verifies at /user/tokens/verify; an account-owned one
   * answers 1000 "Invalid API Token" there and verifies at
   * /accounts/{account id}/tokens/verify instead. Either way a token that
   * reads the configured zone is a working token: that read decides.
   */
  async testConnection(): Promise<ConnectionResult> {
    let verifyError: unknown;
    try {
      const token = await this.api.call("tokens.verify", () => this.api.sdk.user.tokens.verify(), true);
      if (token.status !== "active") return { ok: false, message: `API token is ${token.status}` };
    } catch (err) {
      verifyError = err;
    }
    if (!this.zoneId) {
      if (!verifyError) return { ok: true, message: "API token is valid; choose a zone" };
      const hint = hasCode(verifyError, 1000) ? " (an account-owned token is checked against its zone: enter the zone id)" : "";
      return { ok: false, message: `${(verifyError as Error).message}${hint}` };
    }
    try {
      zoneInfo.delete(this.cacheKey);
      const zone = await this.api.call("zones.get", () => this.api.sdk.zones.get({ zone_id: this.zoneId }), true);
      remember(this.cacheKey, zone);
      if (verifyError && zone.account?.id) {
        const accountId = zone.account.id;
        const token = await this.api
          .call("accounts.tokens.verify", () => this.api.sdk.accounts.tokens.verify({ account_id: accountId }), true)
          .catch(() => null);
        if (token && token.status !== "active") return { ok: false, message: `API token is ${token.status}` };
      }
      return { ok: true, message: `Connected to zone ${normalizeFqdn(zone.name)}` };
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
  }

  async applyChanges(changes: RecordChange[]): Promise<ChangeResult[]> {
    if (!changes.length) return [];
    const zone = await this.resolveZone();
    return applyCloudflareChanges(this, zone, changes);
  }

  /**
   * Not idempotent (posts create records): a 5xx is not retried here but
   * handled by the batch's one-by-one replay, whose creates look before they
   * write. The answer's records are not read: the batch's closing listing
   * confirms every change.
   */
  async sendBatch(body: CfBatchBody): Promise<void> {
    const params = { zone_id: this.zoneId, ...body } as BatchParams;
    await this.api.call("records.batch", async () => discardBody(await this.api.sdk.dns.records.batch(params).asResponse()), false);
  }
}
