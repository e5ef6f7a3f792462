import { db } from "../db";
import { getSettings } from "../settings/get-settings";
import { domainGraceMs } from "./timeouts";

/** The dashboard's warning (SPEC §14): misconfigured domains, still served until their grace period ends. */
export async function listDomainWarnings(opts: { take: number }) {
  const where = { state: "misconfigured" };
  const [total, rows] = await Promise.all([
    db.customDomain.count({ where }),
    db.customDomain.findMany({ where, orderBy: { misconfiguredSince: "asc" }, take: opts.take, select: { domain: true, instanceId: true, reason: true, misconfiguredSince: true } }),
  ]);
  const grace = domainGraceMs(await getSettings());
  return {
    total,
    items: rows.map((r) => ({ domain: r.domain, instanceId: r.instanceId, reason: r.reason, unroutedAt: r.misconfiguredSince ? new Date(r.misconfiguredSince.getTime() + grace) : null })),
  };
}
