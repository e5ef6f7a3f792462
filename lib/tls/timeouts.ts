import { envNumber } from "../env";

// Certificate timing knobs; environment overrides exist for tests and slow CAs.
export function tlsTimeouts() {
  return {
    /** Managed DNS: how long a new name may take to resolve to the target before the order would be refused anyway. */
    resolveMs: envNumber("WHARF_TLS_RESOLVE_TIMEOUT_MS", 60_000),
    /** How long the proxy may take to obtain a certificate before it counts as failed (and is retried with backoff). */
    issueMs: envNumber("WHARF_TLS_ISSUE_TIMEOUT_MS", 60_000),
    /** First retry of a failed certificate; doubles per failure, at most 6 hours. */
    retryBaseMs: envNumber("WHARF_TLS_RETRY_BASE_MS", 60_000),
    /** Certificates expiring sooner than this are reported (SPEC §7: 14 days). */
    expiryWarnMs: 14 * 24 * 3600_000,
  };
}

export function nextRetryAt(attempts: number, now = Date.now()): Date {
  const { retryBaseMs } = tlsTimeouts();
  return new Date(now + Math.min(retryBaseMs * 2 ** Math.max(0, attempts - 1), 6 * 3600_000));
}
