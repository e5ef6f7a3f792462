import { recordEvent, SYSTEM_ACTOR, type Actor } from "../audit/record-event";
import { db } from "../db";
import type { CustomDomain, Instance } from "../generated/prisma/client";
import { isDomainState } from "../lifecycle/domain-states";
import { operationLogger } from "../logger";
import { instanceFqdn } from "../naming";
import type { TSettings } from "../settings/schemas";
import { ensureDomainDns, removeDomainDns, type DomainDns } from "./domain-dns";
import { evaluate, type DomainTarget } from "./expectation";
import type { ZoneCache } from "./managed-zone";
import { resolveDomain, targetAddresses } from "./resolve-domain";
import { routeDomain, unrouteDomain } from "./route-domain";
import { domainGraceMs, domainRetryAt } from "./timeouts";
import { transitionDomain } from "./transition-domain";

// One pass over one custom domain, run by a job or the scheduler while it
// holds the instance's consumer lease (SPEC §13, §14). Everything is decided
// on the row as read here, under the lease:
//   pending / failed       → validate → route (+ certificate) → active
//   active / misconfigured → re-validate; drift → misconfigured (still
//                            served), grace over → unrouted, failed
//   removing               → host off the route → row deleted
//   validating / routing   → a job died mid-way: compensate, failed
// When the domain's zone is one the DNS provider manages, Wharf writes its
// CNAME first (and repairs it at each re-validation; domain-dns.ts), then
// validates as for any domain.

export async function domainTarget(instance: Pick<Instance, "subdomain">, settings: TSettings): Promise<DomainTarget> {
  return { fqdn: instanceFqdn(instance.subdomain, settings.baseDomain), targetAddress: settings.targetAddress, addresses: await targetAddresses(settings.targetAddress) };
}

export type DomainPass = "routed" | "failed" | "active" | "misconfigured" | "unrouted" | "removed" | "unchanged" | "gone";

export async function processDomain(opts: { domainId: string; settings: TSettings; actor?: Actor; signal?: AbortSignal; zones?: ZoneCache }): Promise<DomainPass> {
  const row = await db.customDomain.findUnique({ where: { id: opts.domainId }, include: { instance: true } });
  if (!row || !isDomainState(row.state)) return "gone";
  const { instance, ...domain } = row;
  const op = operationLogger({ op: "domain.process", consumer: `instance:${instance.id}`, domain: domain.domain, state: domain.state });
  const actor = opts.actor ?? SYSTEM_ACTOR;
  const ctx = { domain, instance, settings: opts.settings, signal: opts.signal, op, actor, zones: opts.zones };
  try {
    switch (row.state) {
      case "pending":
      case "failed":
        return await establish(ctx);
      case "active":
      case "misconfigured":
        return await recheck(ctx);
      case "removing":
        return await remove(ctx);
      case "validating":
      case "routing": {
        const undone = domain.routed ? await unrouteDomain({ domainId: domain.id, instance, settings: opts.settings }) : { ok: true as const };
        await transitionDomain(domain.id, "interrupted", { reason: `interrupted while ${row.state}${undone.ok ? "" : `; ${undone.error}`}`, retryAt: new Date() });
        return "failed";
      }
      default:
        return "unchanged";
    }
  } catch (err) {
    op.fail("process", err);
    throw err;
  }
}

type Ctx = { domain: CustomDomain; instance: Instance; settings: TSettings; signal?: AbortSignal; op: ReturnType<typeof operationLogger>; actor: Actor; zones?: ZoneCache };

/** The CNAME in a managed zone (or none), with the row's flag kept in step. */
async function writeDns({ domain, instance, settings, op, zones }: Ctx): Promise<DomainDns> {
  const dns = await ensureDomainDns({ domain, instance, settings, zones });
  op.step("dns", { managed: dns.managed, ...(dns.managed ? { zone: dns.zone, ok: dns.ok } : {}) });
  if (dns.managed !== domain.dnsManaged) await db.customDomain.update({ where: { id: domain.id }, data: { dnsManaged: dns.managed } });
  return dns;
}

async function establish(ctx: Ctx): Promise<DomainPass> {
  const { domain, instance, settings, signal, op, actor } = ctx;
  await transitionDomain(domain.id, "validate", { reason: null });
  const dns = await writeDns(ctx);
  const target = await domainTarget(instance, settings);
  const found = await resolveDomain(domain.domain);
  const verdict = found.error ? { ok: false as const, message: found.error } : evaluate(domain.domain, found, target, domain.token);
  op.step("validate", { ok: verdict.ok });
  const fail = async (event: "validation_failed" | "route_failed", reason: string) => {
    const attempts = domain.attempts + 1;
    await transitionDomain(domain.id, event, { reason: reason.slice(0, 2000), attempts, retryAt: domainRetryAt(attempts), checkedAt: new Date() });
    await recordEvent({ actor, action: "domain.check", target: domain.domain, result: "error", message: reason.slice(0, 500) });
    return "failed" as const;
  };
  if (dns.managed && !dns.ok) return fail("validation_failed", verdict.ok ? dns.error : `${dns.error}; ${verdict.message}`);
  if (!verdict.ok) return fail("validation_failed", verdict.message);
  await transitionDomain(domain.id, "validated", { checkedAt: new Date() });
  const routed = await routeDomain({ domainId: domain.id, domain: domain.domain, instance, settings, signal });
  op.step("route", { ok: routed.ok });
  if (!routed.ok) return fail("route_failed", routed.error);
  await transitionDomain(domain.id, "routed", { reason: null, attempts: 0, retryAt: null, misconfiguredSince: null });
  await recordEvent({ actor, action: "domain.check", target: domain.domain, result: "ok", message: `${verdict.message}; ${routed.message}` });
  return "routed";
}

async function recheck(ctx: Ctx): Promise<DomainPass> {
  const { domain, instance, settings, op, actor } = ctx;
  // Drift of a CNAME Wharf wrote is repaired before the check; a record someone else put there is reported with the verdict.
  const dns = await writeDns(ctx);
  const found = await resolveDomain(domain.domain);
  if (found.error) {
    // A resolver that cannot answer proves nothing: the state stays, the reason says why it is unconfirmed.
    await db.customDomain.update({ where: { id: domain.id }, data: { reason: `not re-validated: ${found.error}` } });
    return "unchanged";
  }
  const checked = evaluate(domain.domain, found, await domainTarget(instance, settings), domain.token);
  const verdict = !checked.ok && dns.managed && !dns.ok ? { ...checked, message: `${dns.error}; ${checked.message}` } : checked;
  const now = new Date();
  op.step("recheck", { ok: verdict.ok });
  if (verdict.ok) {
    if (domain.state === "misconfigured") {
      await transitionDomain(domain.id, "repointed", { reason: null, misconfiguredSince: null, checkedAt: now });
      await recordEvent({ actor, action: "domain.recheck", target: domain.domain, result: "ok", message: `points here again: ${verdict.message}` });
      return "active";
    }
    await db.customDomain.update({ where: { id: domain.id }, data: { checkedAt: now, reason: null } });
    return "unchanged";
  }
  if (domain.state === "active") {
    await transitionDomain(domain.id, "drifted", { reason: verdict.message.slice(0, 2000), misconfiguredSince: now, checkedAt: now });
    await recordEvent({ actor, action: "domain.recheck", target: domain.domain, result: "error", message: `misconfigured, still served for the grace period: ${verdict.message}`.slice(0, 500) });
    return "misconfigured";
  }
  const since = domain.misconfiguredSince ?? now;
  if (now.getTime() - since.getTime() < domainGraceMs(settings)) {
    await db.customDomain.update({ where: { id: domain.id }, data: { reason: verdict.message.slice(0, 2000), checkedAt: now } });
    return "unchanged";
  }
  const undone = await unrouteDomain({ domainId: domain.id, instance, settings });
  if (!undone.ok) {
    await db.customDomain.update({ where: { id: domain.id }, data: { reason: `${verdict.message}; grace period over but ${undone.error}`.slice(0, 2000), checkedAt: now } });
    return "unchanged";
  }
  const reason = `stopped pointing here on ${since.toISOString()} and was unrouted when the grace period ended: ${verdict.message}`;
  await transitionDomain(domain.id, "grace_ended", { reason: reason.slice(0, 2000), attempts: 1, retryAt: domainRetryAt(1), misconfiguredSince: null, checkedAt: now });
  await recordEvent({ actor, action: "domain.unroute", target: domain.domain, result: "ok", message: reason.slice(0, 500) });
  return "unrouted";
}

async function remove({ domain, instance, settings, actor }: Ctx): Promise<DomainPass> {
  const unrouted = domain.routed ? await unrouteDomain({ domainId: domain.id, instance, settings }) : { ok: true as const };
  // The host is off the route first; then the CNAME Wharf wrote, if any.
  const undone = unrouted.ok ? await removeDomainDns({ domainId: domain.id, settings }) : unrouted;
  if (!undone.ok) {
    await transitionDomain(domain.id, "remove_failed", { reason: undone.error, retryAt: domainRetryAt(domain.attempts + 1), attempts: domain.attempts + 1 });
    await recordEvent({ actor, action: "domain.remove", target: domain.domain, result: "error", message: undone.error });
    return "failed";
  }
  await transitionDomain(domain.id, "removed");
  await db.customDomain.delete({ where: { id: domain.id } });
  await recordEvent({ actor, action: "domain.remove", target: domain.domain, result: "ok", message: `removed from instance ${instance.name}` });
  return "removed";
}

