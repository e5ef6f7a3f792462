import { envNumber } from "../env";
import type { TSettings } from "../settings/schemas";

// Custom-domain timing knobs (SPEC §14); environment overrides exist for tests and operators.
export function domainTimeouts() {
  return {
    /** How often the reconciler re-validates an active (or misconfigured) domain. */
    recheckMs: envNumber("WHARF_DOMAIN_RECHECK_MS", 3600_000),
    /** How long a job waits for the instance's lease (a deploy running) before leaving the domain to the scheduler. */
    leaseWaitMs: envNumber("WHARF_DOMAIN_LEASE_WAIT_MS", 120_000),
    /** First retry of a failed domain; doubles per failure, at most 6 hours. */
    retryBaseMs: envNumber("WHARF_DOMAIN_RETRY_BASE_MS", 60_000),
  };
}

/**
 * How long a misconfigured domain is still served before its host is taken
 * off the route: Settings → General (hours, 72 by default). The environment
 * variable WHARF_DOMAIN_GRACE_MS, when set, overrides the setting (tests, or
 * an operator pinning it).
 */
export function domainGraceMs(settings: Pick<TSettings, "domains">): number {
  return envNumber("WHARF_DOMAIN_GRACE_MS", settings.domains.graceHours * 3600_000);
}

export function domainRetryAt(attempts: number, now = Date.now()): Date {
  const { retryBaseMs } = domainTimeouts();
  return new Date(now + Math.min(retryBaseMs * 2 ** Math.max(0, attempts - 1), 6 * 3600_000));
}
