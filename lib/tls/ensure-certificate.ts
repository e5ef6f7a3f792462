import { errorMessage } from "../errors";
import { operationLogger } from "../logger";
import { routeId, type ConsumerRef } from "../naming";
import { getProxyProvider } from "../proxy";
import type { CertificateCheck, ProxyProvider, RouteTls } from "../proxy/types";
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
  if (!provider || !tls || !wantsTls(settings, row)) return switchedOff(consumer, row);
  const timeouts = tlsTimeouts();
  const issueMs = opts.issueMs ?? timeouts.issueMs;
  try {
    const check = await awaitCertificate({ ...opts, row, provider, issuer: tls.issuer, op, resolveMs: timeouts.resolveMs, issueMs });
    if ("unresolved" in check) return failed(consumer, row, check.unresolved);
    if (check.status === "issued") return issued({ consumer, fqdn, row, check, op, repushRoute: opts.repushRoute });
    const waited = Math.round(issueMs / 1000);
    return failed(consumer, row, check.status === "failed" ? check.error : `still no certificate after ${waited} s: ${check.error}`);
  } catch (err) {
    op.fail("certificate", err, { fqdn });
    return failed(consumer, row, `checking the certificate failed: ${errorMessage(err)}`);
  }
}

type Op = ReturnType<typeof operationLogger>;

/** No certificate wanted (no proxy, HTTPS off): the row says off. */
async function switchedOff(consumer: ConsumerRef, row: TlsColumns): Promise<CertOutcome> {
  if (row.certStatus !== "off") await writeCertState(consumer, { certStatus: "off", certIssuer: null, certNotAfter: null, certError: null, certRetryAt: null, certAttempts: 0 });
  return { status: "off" };
}

/**
 * What the proxy serves for the name, waiting (bounded) while its order is
 * pending; in managed mode a name that does not resolve to the target ends
 * it early (`unresolved`: the CA would refuse the order).
 */
async function awaitCertificate(o: {
  consumer: ConsumerRef;
  fqdn: string;
  settings: TSettings;
  row: TlsColumns;
  provider: ProxyProvider;
  issuer: RouteTls["issuer"];
  retry?: boolean;
  signal?: AbortSignal;
  op: Op;
  resolveMs: number;
  issueMs: number;
}): Promise<CertificateCheck | { unresolved: string }> {
  const { consumer, fqdn, settings, provider, issuer } = o;
  let check: CertificateCheck = await provider.inspectCertificate(fqdn, issuer);
  if (!(check.status === "pending" || (check.status === "failed" && !check.final))) return check;
  if (o.row.certStatus !== "pending" && !o.retry) await writeCertState(consumer, { certStatus: "pending", certError: null, certCheckedAt: new Date() });
  const unresolved = await unresolvedError(o);
  if (unresolved) return { unresolved };
  // The proxy started its order when the route was written, which in
  // managed mode is before the DNS record existed: that order may have
  // been refused already ("could not resolve"). So once the name
  // resolves, and on every retry, the proxy starts a fresh order, and
  // what is inspected below is that order's answer.
  if (o.retry || settings.dns.mode === "managed") {
    await provider.retryCertificate(routeId(consumer.type, consumer.id));
    check = await provider.inspectCertificate(fqdn, issuer);
  }
  const deadline = Date.now() + o.issueMs;
  while (check.status === "pending" && Date.now() < deadline && !o.signal?.aborted) {
    await new Promise((r) => setTimeout(r, 500));
    check = await provider.inspectCertificate(fqdn, issuer);
  }
  return check;
}

/** Managed DNS only: why the name does not resolve to the target yet, or null. */
async function unresolvedError(o: { fqdn: string; settings: TSettings; resolveMs: number; signal?: AbortSignal; op: Op }): Promise<string | null> {
  if (o.settings.dns.mode !== "managed") return null;
  const resolved = await waitResolves({ fqdn: o.fqdn, target: o.settings.targetAddress, timeoutMs: o.resolveMs, signal: o.signal });
  o.op.step("resolve", { fqdn: o.fqdn, ok: resolved.ok });
  return resolved.ok ? null : resolved.error;
}

async function issued(o: {
  consumer: ConsumerRef;
  fqdn: string;
  row: TlsColumns;
  check: Extract<CertificateCheck, { status: "issued" }>;
  op: Op;
  repushRoute: () => Promise<void>;
}): Promise<CertOutcome> {
  const { check, row } = o;
  await writeCertState(o.consumer, { certStatus: "issued", certIssuer: check.issuer, certNotAfter: check.notAfter, certError: null, certAttempts: 0, certRetryAt: null, certCheckedAt: new Date() });
  o.op.step("issued", { fqdn: o.fqdn, issuer: check.issuer, notAfter: check.notAfter.toISOString() });
  // Redirect and HSTS were held back until now.
  if (row.certStatus !== "issued" && (row.tlsRedirect || row.forceTls || row.tlsHsts)) await o.repushRoute();
  return { status: "issued", issuer: check.issuer, notAfter: check.notAfter };
}

async function failed(consumer: ConsumerRef, row: TlsColumns, error: string): Promise<CertOutcome> {
  const attempts = row.certAttempts + 1;
  const retryAt = nextRetryAt(attempts);
  await writeCertState(consumer, { certStatus: "failed", certError: error.slice(0, 4000), certAttempts: attempts, certRetryAt: retryAt, certCheckedAt: new Date() });
  operationLogger({ op: "tls.ensureCertificate", consumer: `${consumer.type}:${consumer.id}` }).log.warn({ step: "failed", attempts, retryAt }, error);
  return { status: "failed", error, retryAt };
}
