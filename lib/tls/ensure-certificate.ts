import { errorMessage } from "../errors";
import { operationLogger } from "../logger";
import { routeId, type ConsumerRef } from "../naming";
import { getProxyProvider } from "../proxy";
import type { CertificateCheck } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import { readTlsColumns, routeTls, wantsTls, writeCertState, type CertStatus, type TlsColumns } from "./consumer-tls";
import { nextRetryAt, tlsTimeouts } from "./timeouts";
import { waitResolves } from "./wait-resolves";

export interface CertOutcome {
  status: CertStatus;
  issuer?: string;
  notAfter?: Date;
  error?: string;
  retryAt?: Date;
}

/**
 * The certificate step (SPEC §7), after the route and the DNS record:
 * (managed mode) the name resolves to the target, bounded → the proxy
 * obtains the certificate → Wharf confirms it by a TLS handshake with the
 * host as SNI. `issued` re-pushes the route so the redirect and HSTS apply
 * from then on; `failed` records the error and when the reconciler retries
 * (backoff). It never throws for a certificate problem: the consumer serves
 * HTTP either way, and its certificate status says why there is no HTTPS.
 * `retry` asks the proxy to start a fresh order now (reconciler retries).
 */
export async function ensureCertificate(opts: {
  consumer: ConsumerRef;
  fqdn: string;
  settings: TSettings;
  repushRoute: () => Promise<void>;
  retry?: boolean;
  issueMs?: number;
  signal?: AbortSignal;
}): Promise<CertOutcome> {
  const { consumer, fqdn, settings } = opts;
  const op = operationLogger({ op: "tls.ensureCertificate", consumer: `${consumer.type}:${consumer.id}` });
  const row = await readTlsColumns(consumer);
  if (!row) return { status: "off" };
  const provider = getProxyProvider(settings);
  const tls = routeTls(settings, row);
  if (!provider || !tls || !wantsTls(settings, row)) {
    if (row.certStatus !== "off") await writeCertState(consumer, { certStatus: "off", certIssuer: null, certNotAfter: null, certError: null, certRetryAt: null, certAttempts: 0 });
    return { status: "off" };
  }
  const timeouts = tlsTimeouts();
  const resolves = async () => {
    if (settings.dns.mode !== "managed") return null;
    const resolved = await waitResolves({ fqdn, target: settings.targetAddress, timeoutMs: timeouts.resolveMs, signal: opts.signal });
    op.step("resolve", { fqdn, ok: resolved.ok });
    return resolved.ok ? null : resolved.error;
  };
  try {
    let check: CertificateCheck = await provider.inspectCertificate(fqdn, tls.issuer);
    if (check.status === "pending" || (check.status === "failed" && !check.final)) {
      if (row.certStatus !== "pending" && !opts.retry) await writeCertState(consumer, { certStatus: "pending", certError: null, certCheckedAt: new Date() });
      const unresolved = await resolves();
      if (unresolved) return failed(consumer, row, unresolved);
      // The proxy started its order when the route was written, which in
      // managed mode is before the DNS record existed: that order may have
      // been refused already ("could not resolve"). So once the name
      // resolves, and on every retry, the proxy starts a fresh order, and
      // what is inspected below is that order's answer.
      if (opts.retry || settings.dns.mode === "managed") {
        await provider.retryCertificate(routeId(consumer.type, consumer.id));
        check = await provider.inspectCertificate(fqdn, tls.issuer);
      }
      const deadline = Date.now() + (opts.issueMs ?? timeouts.issueMs);
      while (check.status === "pending" && Date.now() < deadline && !opts.signal?.aborted) {
        await new Promise((r) => setTimeout(r, 500));
        check = await provider.inspectCertificate(fqdn, tls.issuer);
      }
    }
    if (check.status === "issued") {
      await writeCertState(consumer, { certStatus: "issued", certIssuer: check.issuer, certNotAfter: check.notAfter, certError: null, certAttempts: 0, certRetryAt: null, certCheckedAt: new Date() });
      op.step("issued", { fqdn, issuer: check.issuer, notAfter: check.notAfter.toISOString() });
      // Redirect and HSTS were held back until now.
      if (row.certStatus !== "issued" && (row.tlsRedirect || row.forceTls || row.tlsHsts)) await opts.repushRoute();
      return { status: "issued", issuer: check.issuer, notAfter: check.notAfter };
    }
    const waited = Math.round((opts.issueMs ?? timeouts.issueMs) / 1000);
    return failed(consumer, row, check.status === "failed" ? check.error : `still no certificate after ${waited} s: ${check.error}`);
  } catch (err) {
    op.fail("certificate", err, { fqdn });
    return failed(consumer, row, `checking the certificate failed: ${errorMessage(err)}`);
  }
}

async function failed(consumer: ConsumerRef, row: TlsColumns, error: string): Promise<CertOutcome> {
  const attempts = row.certAttempts + 1;
  const retryAt = nextRetryAt(attempts);
  await writeCertState(consumer, { certStatus: "failed", certError: error.slice(0, 4000), certAttempts: attempts, certRetryAt: retryAt, certCheckedAt: new Date() });
  operationLogger({ op: "tls.ensureCertificate", consumer: `${consumer.type}:${consumer.id}` }).log.warn({ step: "failed", attempts, retryAt }, error);
  return { status: "failed", error, retryAt };
}
