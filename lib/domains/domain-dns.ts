import { db } from "../db";
import { applyPlan } from "../dns/apply-plan";
import type { ExpectedRecord } from "../dns/expected-records";
import { dnsProviderForZoneName } from "../dns/provider-for-settings";
import { planReconcile, type PlanForeign } from "../dns/reconcile-plan";
import { removeLedgerRow } from "../dns/remove-ledger-row";
import type { DnsProvider } from "../dns/types";
import { errorMessage } from "../errors";
import type { Instance } from "../generated/prisma/client";
import { logger } from "../logger";
import { instanceFqdn, normalizeFqdn, recordMarker } from "../naming";
import { installationId } from "../secrets";
import type { TSettings } from "../settings/schemas";
import { managedZoneFor, type ZoneCache } from "./managed-zone";

// The CNAME Wharf writes for a custom domain whose zone the configured DNS
// provider manages (SPEC §14, issue 25). It is a record like Wharf's own:
// marked `wharf:<installation>:domain:<id>`, on the ledger as owner
// `domain:<id>`, and planned and applied by the same plan as the DNS pass
// (lib/dns/reconcile-plan.ts, apply-plan.ts), so "only what Wharf created is
// changed or deleted" holds the same way: a record at the name that Wharf did
// not create is a conflict, reported, never overwritten. It is kept by the
// domain's own passes, under the instance's lease (the DNS pass leaves
// owner `domain` alone): written before validation, repaired at each
// re-validation, deleted with the domain or its instance.

export const DOMAIN_OWNER = "domain";

export type DomainDns =
  | { managed: false }
  | { managed: true; zone: string; ok: true; message: string }
  | { managed: true; zone: string; ok: false; error: string };

const log = logger.child({ op: "domain.dns" });

const ledgerRows = (domainId: string) => db.dnsRecord.findMany({ where: { consumerType: DOMAIN_OWNER, consumerId: domainId } });

function foreignError(f: PlanForeign): string {
  const whose = f.reason === "other-installation" ? "another Wharf installation" : f.reason === "unowned-marker" ? "another Wharf consumer" : "someone else (not Wharf)";
  return `${f.fqdn} already has ${f.type} ${f.content}, created by ${whose}; Wharf leaves it alone: delete it at the DNS provider for Wharf to write the CNAME, or point it here yourself`;
}

/**
 * Makes the domain's CNAME to its instance's FQDN true when its zone is
 * managed (one listing of the zone, at most one change), and forgets a CNAME
 * Wharf wrote when its zone is no longer managed. Never throws for provider
 * trouble: the outcome says what happened.
 */
export async function ensureDomainDns(o: { domain: { id: string; domain: string }; instance: Pick<Instance, "subdomain">; settings: TSettings; zones?: ZoneCache }): Promise<DomainDns> {
  const fqdn = normalizeFqdn(o.domain.domain);
  let managed;
  try {
    managed = await managedZoneFor(fqdn, o.settings, o.zones);
  } catch (err) {
    // Unknown is not "not managed": a CNAME Wharf wrote stays, validation goes on as it is.
    log.warn({ domain: fqdn, err: errorMessage(err) }, "the DNS provider's zones could not be listed");
    const rows = await ledgerRows(o.domain.id);
    return rows.length ? { managed: true, zone: rows[0].zone, ok: false, error: `the DNS provider's zones could not be listed: ${errorMessage(err)}` } : { managed: false };
  }
  if (!managed || managed.apex) {
    await removeDomainDns({ domainId: o.domain.id, settings: o.settings });
    return { managed: false };
  }
  const { zone, provider } = managed;
  const zoneName = normalizeFqdn(zone.name);
  try {
    const [atName, own] = await Promise.all([db.dnsRecord.findUnique({ where: { fqdn } }), ledgerRows(o.domain.id)]);
    if (atName && !(atName.consumerType === DOMAIN_OWNER && atName.consumerId === o.domain.id)) {
      return { managed: true, zone: zoneName, ok: false, error: `the DNS ledger already has ${fqdn} for ${atName.consumerType} ${atName.consumerId}; Wharf writes no second record there` };
    }
    const expected: ExpectedRecord = {
      fqdn, type: "CNAME", content: instanceFqdn(o.instance.subdomain, o.settings.baseDomain),
      marker: recordMarker(installationId(), DOMAIN_OWNER, o.domain.id), consumerType: DOMAIN_OWNER, consumerId: o.domain.id, consumerName: fqdn,
    };
    const records = (await provider.listRecords()).filter((r) => normalizeFqdn(r.fqdn) === fqdn);
    // Never proxied: the resolver must see the CNAME to validate it (a proxied name answers with Cloudflare's addresses).
    const plan = planReconcile([expected], records, own, {
      ...provider.recordOptions({ ...o.settings.dns, proxied: false }), hasMarkers: provider.hasMarkers, installation: installationId(), consumersListed: true,
    });
    if (plan.foreign.length) return { managed: true, zone: zoneName, ok: false, error: foreignError(plan.foreign[0]) };
    const applied = await applyPlan({ plan, provider });
    const failed = applied.lines.find((l) => l.status === "failed");
    if (failed) return { managed: true, zone: zoneName, ok: false, error: `the CNAME could not be written in zone ${zoneName}: ${failed.message ?? failed.action}` };
    const wrote = applied.created + applied.updated + applied.deleted > 0;
    return { managed: true, zone: zoneName, ok: true, message: `CNAME ${fqdn} → ${expected.content} ${wrote ? "written" : "in place"} in zone ${zoneName}` };
  } catch (err) {
    return { managed: true, zone: zoneName, ok: false, error: `the CNAME could not be written in zone ${zoneName}: ${errorMessage(err)}` };
  }
}

/** The provider writing in the zone a ledger row names (the row's record is there), or null when that zone is no longer the provider's. */
async function providerForRow(row: { zone: string; provider: string }, settings: TSettings): Promise<DnsProvider | null> {
  const config = settings.dns.provider;
  if (settings.dns.mode !== "managed" || !config || config.type !== row.provider) return null;
  return dnsProviderForZoneName(config, row.zone).catch(() => null);
}

/**
 * Deletes the CNAMEs Wharf wrote for a domain (its ledger rows) at the
 * provider, then the rows. A record Wharf no longer finds marked as its own
 * is left in place and forgotten (removeLedgerRow). ok false: a row stays,
 * `failed` with the error, for the next pass to retry.
 */
export async function removeDomainDns(o: { domainId: string; settings: TSettings }): Promise<{ ok: true } | { ok: false; error: string }> {
  let error: string | undefined;
  for (const row of await ledgerRows(o.domainId)) {
    const res = await removeLedgerRow({ id: row.id, provider: await providerForRow(row, o.settings) });
    if (!res.ok) error = res.error;
  }
  return error ? { ok: false, error } : { ok: true };
}

/** Ledger rows of custom domains that no longer exist (a removal whose DNS delete failed): deleted at the provider, then forgotten. */
export async function removeOrphanDomainDns(o: { settings: TSettings }): Promise<{ removed: number; failed: { fqdn: string; error: string }[] }> {
  const rows = await db.dnsRecord.findMany({ where: { consumerType: DOMAIN_OWNER }, select: { consumerId: true, fqdn: true } });
  if (!rows.length) return { removed: 0, failed: [] };
  const live = new Set((await db.customDomain.findMany({ where: { id: { in: rows.map((r) => r.consumerId) } }, select: { id: true } })).map((d) => d.id));
  const out = { removed: 0, failed: [] as { fqdn: string; error: string }[] };
  for (const r of rows.filter((x) => !live.has(x.consumerId))) {
    const res = await removeDomainDns({ domainId: r.consumerId, settings: o.settings });
    if (res.ok) out.removed++;
    else out.failed.push({ fqdn: r.fqdn, error: res.error });
  }
  return out;
}
