import { recordEvent, type Actor } from "../audit/record-event";
import { findInstanceOrThrow } from "../db/find-instance";
import { AppError, isAppError } from "../errors";
import { getSettings } from "../settings/get-settings";
import { findDomainOrThrow } from "./check-domain";
import { startDomainJob } from "./domain-jobs";
import { presentDomain } from "./present-domain";
import { transitionDomain } from "./transition-domain";

/** Marks the domain `removing` and starts the job that takes its host off the route, then deletes the row (202). */
export async function removeDomain(opts: { actor: Actor; instanceId: string; domain: string }) {
  const [instance, settings] = await Promise.all([findInstanceOrThrow(opts.instanceId), getSettings()]);
  const row = await findDomainOrThrow(instance.id, opts.domain);
  let removing = row;
  if (row.state !== "removing") {
    try {
      removing = await transitionDomain(row.id, "remove");
    } catch (err) {
      if (isAppError(err) && err.code === "INVALID_TRANSITION") throw new AppError("CONFLICT", `domain ${row.domain} is ${row.state}; remove it when that has finished`);
      throw err;
    }
  }
  await recordEvent({ actor: opts.actor, action: "domain.remove", target: row.domain, result: "ok", message: "removal requested" });
  startDomainJob({ domainId: row.id, instanceId: instance.id, operation: "domain.remove", actor: opts.actor });
  return presentDomain(removing, instance, settings);
}
