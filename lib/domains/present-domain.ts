import { isIP } from "node:net";
import type { CustomDomain } from "../generated/prisma/client";
import { instanceFqdn } from "../naming";
import type { TSettings } from "../settings/schemas";
import { expectedRecords } from "./expectation";
import { domainGraceMs } from "./timeouts";

/** The ledger row of the CNAME Wharf wrote for a domain (its zone is managed by the DNS provider). */
export type TDomainDnsRow = { zone: string; status: string; lastError: string | null };

/**
 * A custom domain in the API shape (SPEC §14). `expected`: the records that
 * would satisfy validation, any one of them. `dns`: present when Wharf writes
 * the CNAME itself (the domain's zone is one the DNS provider manages):
 * nothing to create then.
 */
export function presentDomain(row: CustomDomain, instance: { subdomain: string }, settings: TSettings, dnsRow?: TDomainDnsRow | null) {
  // A host-name target is shown by name; validation compares against its addresses as resolved then.
  const target = { fqdn: instanceFqdn(instance.subdomain, settings.baseDomain), targetAddress: settings.targetAddress, addresses: isIP(settings.targetAddress) ? [settings.targetAddress] : [] };
  return {
    domain: row.domain,
    state: row.state,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.checkedAt ? { checkedAt: row.checkedAt } : {}),
    ...(row.retryAt && (row.state === "failed" || row.state === "removing") ? { retryAt: row.retryAt } : {}),
    ...(row.misconfiguredSince ? { misconfiguredSince: row.misconfiguredSince, unroutedAt: new Date(row.misconfiguredSince.getTime() + domainGraceMs(settings)) } : {}),
    routed: row.routed,
    ...(row.dnsManaged && dnsRow ? { dns: { managedBy: "wharf" as const, zone: dnsRow.zone, status: dnsRow.status, ...(dnsRow.lastError ? { error: dnsRow.lastError } : {}) } } : {}),
    expected: expectedRecords(row.domain, target, row.token),
    token: row.token,
  };
}
export type TDomainView = ReturnType<typeof presentDomain>;
