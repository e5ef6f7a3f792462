import { db } from "../db";
import { isDomainState } from "../lifecycle/domain-states";
import { logger } from "../logger";
import { getSettings } from "../settings/get-settings";
import { removeDomainDns } from "./domain-dns";
import { transitionDomain } from "./transition-domain";

/**
 * Instance removal, under the instance's lease (SPEC §14): its domains go in
 * order — `markRemoving` before the route (and with it every custom host and
 * the certificate policy naming them) is removed, `deleteRemoved` after.
 * A domain a crashed job left mid-way is compensated by the route removal itself.
 * A CNAME Wharf wrote for a domain goes with the domain (domain-dns.ts).
 */
export async function markInstanceDomainsRemoving(instanceId: string): Promise<string[]> {
  const rows = await db.customDomain.findMany({ where: { instanceId } });
  for (const r of rows) {
    if (r.state === "removing" || !isDomainState(r.state)) continue;
    if (r.state === "validating" || r.state === "routing") await transitionDomain(r.id, "interrupted", { reason: "interrupted by the instance's removal" });
    await transitionDomain(r.id, "remove");
  }
  return rows.map((r) => r.domain);
}

export async function deleteRemovedInstanceDomains(instanceId: string): Promise<void> {
  const rows = await db.customDomain.findMany({ where: { instanceId } });
  const settings = rows.length ? await getSettings() : null;
  for (const r of rows) {
    // The CNAME Wharf wrote (a managed zone): a failed delete leaves its ledger row, which the domain pass retries.
    const dns = await removeDomainDns({ domainId: r.id, settings: settings! });
    if (!dns.ok) logger.warn({ op: "instance.remove", consumer: `instance:${instanceId}`, domain: r.domain, err: dns.error }, "the domain's CNAME is left for the reconciler");
    await db.customDomain.update({ where: { id: r.id }, data: { routed: false } });
    await transitionDomain(r.id, "removed");
    await db.customDomain.delete({ where: { id: r.id } });
  }
}
