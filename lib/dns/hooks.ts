import { db } from "../db";
import { AppError, errorMessage } from "../errors";
import { operationLogger } from "../logger";
import { normalizeFqdn, recordMarker, type ConsumerRef } from "../naming";
import { installationId } from "../secrets";
import { getSettings } from "../settings/get-settings";
import type { TSettings } from "../settings/schemas";
import { getDnsProvider } from "./provider-for-settings";
import { clip, removeLedgerRow } from "./remove-ledger-row";
import { targetRecord } from "./target-record";
import type { DnsProvider } from "./types";

// DNS lifecycle hooks (SPEC §8). Best-effort by contract (§4.7): they never
// throw; a provider failure is logged and left on the ledger row as `failed`
// with the provider's error, for the reconciler to repair.

export type DnsHookResult = { status: "skipped" | "synced" | "failed" | "removed"; error?: string; code?: string };

const codeOf = (err: unknown) => (err instanceof AppError ? err.code : undefined);

/** Ensures the consumer's record at `fqdn`; rows it has at other names (a domain change) are removed first. */
export async function ensureConsumerDns(opts: { consumer: ConsumerRef; fqdn: string; settings?: TSettings }): Promise<DnsHookResult> {
  const { consumer } = opts;
  const fqdn = normalizeFqdn(opts.fqdn);
  const op = operationLogger({ op: "dns.ensure", consumer: `${consumer.type}:${consumer.id}`, fqdn });
  try {
    const settings = opts.settings ?? (await getSettings());
    const provider = getDnsProvider(settings);
    if (!provider) return { status: "skipped" };

    const stale = await db.dnsRecord.findMany({ where: { consumerType: consumer.type, consumerId: consumer.id, fqdn: { not: fqdn } } });
    for (const row of stale) await removeLedgerRow({ id: row.id, provider });

    const target = targetRecord(settings.targetAddress);
    const prior = await db.dnsRecord.findUnique({ where: { fqdn } });
    const conflict = await ledgerConflict({ prior, consumer, fqdn, provider });
    if (conflict) {
      op.fail("ledger", conflict);
      return { status: "failed", error: conflict, code: "CONFLICT" };
    }
    return await writeRecord({ consumer, fqdn, target, settings, provider, prior, op });
  } catch (err) {
    op.fail("hook", err);
    return { status: "failed", error: errorMessage(err), code: codeOf(err) };
  }
}

type LedgerRow = NonNullable<Awaited<ReturnType<typeof db.dnsRecord.findUnique>>>;

/** Why the ledger row at the name keeps this consumer from writing it (another consumer's, or left at another provider or zone), or null. */
async function ledgerConflict(o: { prior: LedgerRow | null; consumer: ConsumerRef; fqdn: string; provider: DnsProvider }): Promise<string | null> {
  const { prior, consumer, fqdn, provider } = o;
  if (prior && (prior.consumerType !== consumer.type || prior.consumerId !== consumer.id)) {
    return `the ledger already has ${fqdn} for ${prior.consumerType} ${prior.consumerId}`;
  }
  // A row left at another provider or zone (a switch whose cleanup failed)
  // still stands for a record there; overwriting it would forget that record.
  if (prior && (prior.provider !== provider.type || (prior.zone && provider.zone && prior.zone !== provider.zone))) {
    const message = `${fqdn} is still recorded at ${prior.provider} (zone ${prior.zone}); delete it there first`;
    await db.dnsRecord.update({ where: { id: prior.id }, data: { status: "failed", lastError: message } });
    return message;
  }
  return null;
}

/** The two-phase write: the ledger row `pending`, the provider call, then the row `synced` or `failed`. */
async function writeRecord(o: {
  consumer: ConsumerRef; fqdn: string; target: ReturnType<typeof targetRecord>; settings: TSettings; provider: DnsProvider; prior: LedgerRow | null; op: ReturnType<typeof operationLogger>;
}): Promise<DnsHookResult> {
  const { consumer, fqdn, settings, provider, prior, op } = o;
  const { type, content } = o.target;
  // Phase 1: the intent is on the ledger before the provider is called, so
  // a crash in between leaves a `pending` row the reconciler can finish.
  const base = { type, content, provider: provider.type, zone: provider.zone || prior?.zone || "", consumerType: consumer.type, consumerId: consumer.id };
  const row = await db.dnsRecord.upsert({
    where: { fqdn },
    create: { fqdn, ...base, status: "pending" },
    update: { ...base, status: "pending" },
  });
  try {
    // Without markers the ledger alone says what is Wharf's (SPEC §4.8): whether this name was written before.
    const writtenBefore = Boolean(prior && prior.provider === provider.type && (prior.providerRecordId !== null || prior.status !== "failed"));
    await provider.assertClaimable?.({ fqdn, type }, writtenBefore);
    const rec = await provider.ensureRecord({ fqdn, type, content, ...provider.recordOptions(settings.dns), marker: recordMarker(installationId(), consumer.type, consumer.id) });
    // Phase 2: `synced` only once the provider shows the record (ensureRecord returns its read-back).
    // zone is read after the call: Cloudflare learns its zone name on first use.
    await db.dnsRecord.update({ where: { id: row.id }, data: { status: "synced", providerRecordId: rec.id, zone: provider.zone, verifiedAt: new Date(), lastError: null } });
    op.step("synced", { recordId: rec.id });
    return { status: "synced" };
  } catch (err) {
    // The write may have gone through anyway: keep what the provider says to remember, so that removal deletes it.
    const mayExist = row.providerRecordId === null ? (provider.idAfterFailedWrite?.({ fqdn, content }, err) ?? null) : null;
    await db.dnsRecord.update({
      where: { id: row.id },
      data: { status: "failed", lastError: clip(errorMessage(err)), zone: provider.zone || row.zone, ...(mayExist ? { providerRecordId: mayExist } : {}) },
    });
    op.fail("provider", err);
    return { status: "failed", error: errorMessage(err), code: codeOf(err) };
  }
}

/** Removes every ledger record of the consumer (or only the one at `fqdn`) at the provider, then from the ledger. */
export async function removeConsumerDns(opts: { consumer: ConsumerRef; fqdn?: string; settings?: TSettings }): Promise<DnsHookResult> {
  const op = operationLogger({ op: "dns.remove", consumer: `${opts.consumer.type}:${opts.consumer.id}` });
  try {
    const rows = await db.dnsRecord.findMany({
      where: { consumerType: opts.consumer.type, consumerId: opts.consumer.id, ...(opts.fqdn ? { fqdn: normalizeFqdn(opts.fqdn) } : {}) },
    });
    if (!rows.length) return { status: "skipped" };
    const settings = opts.settings ?? (await getSettings());
    const provider = getDnsProvider(settings);
    let error: string | undefined;
    for (const row of rows) {
      const res = await removeLedgerRow({ id: row.id, provider });
      if (!res.ok) error = res.error;
    }
    return error ? { status: "failed", error } : { status: "removed" };
  } catch (err) {
    op.fail("hook", err);
    return { status: "failed", error: errorMessage(err), code: codeOf(err) };
  }
}

/** Deletes one ledger row's record at the configured provider, then the row. Returns the error, if any; the row then stays `failed`. */
export async function removeRow(id: string, settings: TSettings): Promise<string | undefined> {
  const res = await removeLedgerRow({ id, provider: getDnsProvider(settings) });
  return res.ok ? undefined : res.error;
}
