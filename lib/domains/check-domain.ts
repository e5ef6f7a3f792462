import { recordEvent, type Actor } from "../audit/record-event";
import { db } from "../db";
import { findInstanceOrThrow } from "../db/find-instance";
import { AppError } from "../errors";
import { DOMAIN_BUSY, isDomainState } from "../lifecycle/domain-states";
import { normalizeFqdn } from "../naming";
import { getSettings } from "../settings/get-settings";
import { startDomainJob } from "./domain-jobs";
import { presentDomain } from "./present-domain";

export async function findDomainOrThrow(instanceId: string, domain: string) {
  const row = await db.customDomain.findFirst({ where: { instanceId, domain: normalizeFqdn(decodeURIComponent(domain)) } });
  if (!row) throw new AppError("NOT_FOUND", `domain ${domain} is not a custom domain of instance ${instanceId}`, { field: "domain" });
  return row;
}

/** "Check now" (SPEC §14): a job validates again now: a pending or failed domain is routed when it passes, an active one re-validated. */
export async function checkDomain(opts: { actor: Actor; instanceId: string; domain: string }) {
  const [instance, settings] = await Promise.all([findInstanceOrThrow(opts.instanceId), getSettings()]);
  const row = await findDomainOrThrow(instance.id, opts.domain);
  if (isDomainState(row.state) && DOMAIN_BUSY.has(row.state)) throw new AppError("CONFLICT", `domain ${row.domain} is ${row.state}; try again when that has finished`);
  await recordEvent({ actor: opts.actor, action: "domain.check", target: row.domain, result: "ok", message: "check requested" });
  startDomainJob({ domainId: row.id, instanceId: instance.id, operation: "domain.check", actor: opts.actor });
  return presentDomain(row, instance, settings);
}
