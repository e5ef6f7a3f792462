import { db } from "../db";
import { errorMessage } from "../errors";
import { instanceFqdn, type ConsumerRef } from "../naming";
import { getProxyProvider } from "../proxy";
import type { ProxyProvider } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import { readTlsColumns, routeTls, wantsTls, writeCertState, type TlsColumns } from "../tls/consumer-tls";
import { ensureCertificate } from "../tls/ensure-certificate";
import { emitEventQuietly } from "../outbox/emit-event";
import { expiringEvent } from "../outbox/certificate-event";
import { nextRetryAt, tlsTimeouts } from "../tls/timeouts";
import { pushRoute } from "./push-route";
import type { ReportLine } from "./report";
import { underLease } from "./under-lease";

export interface CertificateReport {
  checked: number;
  retried: number;
  issued: number;
  failed: number;
  expiring: number;
  lines: ReportLine[];
  /** Consumers another operation held: left alone, checked next run. */
  skipped: { consumer: string; name: string; reason: string }[];
}

interface Target {
  consumer: ConsumerRef;
  fqdn: string;
  row: TlsColumns;
  /** When this consumer's check began: expiry and backoff are judged against it. */
  now: number;
}

/**
 * The reconciler's certificate pass (SPEC §7): every routed consumer's
 * certificate is confirmed by a handshake (Caddy renews by itself; Wharf
 * checks that it did), failed and pending ones are retried once their
 * backoff is due, and failed or soon-expiring certificates are reported.
 * A consumer whose TLS wish changed with the settings gets its route pushed
 * again, which adds or removes its certificate policy.
 */
export async function checkCertificates(opts: { settings: TSettings; dryRun?: boolean }): Promise<CertificateReport> {
  const { settings } = opts;
  const report: CertificateReport = { checked: 0, retried: 0, issued: 0, failed: 0, expiring: 0, lines: [], skipped: [] };
  const provider = getProxyProvider(settings);
  if (!provider) return report;
  for (const c of await routedConsumers(settings)) {
    await underLease({ consumer: c.consumer, name: c.fqdn, kind: "certificate", report }, async () => {
      const row = await readTlsColumns(c.consumer);
      const routed = await stillRouted(c.consumer);
      if (row && routed) await checkOne({ consumer: c.consumer, fqdn: c.fqdn, row, now: Date.now() }, { settings, provider, report, dryRun: opts.dryRun === true });
    });
  }
  return report;
}

/** Only ids and names here: each consumer is re-read under its lease before anything is decided (SPEC §13). */
async function routedConsumers(settings: TSettings): Promise<{ consumer: ConsumerRef; fqdn: string }[]> {
  const [instances, proxies] = await Promise.all([
    db.instance.findMany({ where: { status: "running", routeStatus: "active" }, select: { id: true, subdomain: true } }),
    db.standaloneProxy.findMany({ where: { routeStatus: "active" }, select: { id: true, domain: true } }),
  ]);
  return [
    ...instances.map((i) => ({ consumer: { type: "instance" as const, id: i.id }, fqdn: instanceFqdn(i.subdomain, settings.baseDomain) })),
    ...proxies.map((p) => ({ consumer: { type: "standalone" as const, id: p.id }, fqdn: p.domain })),
  ];
}

async function stillRouted(c: ConsumerRef): Promise<boolean> {
  const n = c.type === "instance"
    ? await db.instance.count({ where: { id: c.id, status: "running", routeStatus: "active" } })
    : await db.standaloneProxy.count({ where: { id: c.id, routeStatus: "active" } });
  return n > 0;
}

interface Pass {
  settings: TSettings;
  provider: ProxyProvider;
  report: CertificateReport;
  dryRun: boolean;
}

/** One consumer's certificate, by what its row says: TLS turned off, issued, or pending/failed. */
async function checkOne(t: Target, pass: Pass): Promise<void> {
  pass.report.checked++;
  const wanted = wantsTls(pass.settings, t.row);
  try {
    if (!wanted) await dropPolicy(t, pass);
    else if (t.row.certStatus === "issued") await confirmIssued(t, pass);
    else await retryWhenDue(t, pass);
  } catch (err) {
    pass.report.failed++;
    line(t, pass, "failed", errorMessage(err));
  }
}

function line(t: Target, pass: Pass, status: ReportLine["status"], message: string): void {
  pass.report.lines.push({ kind: "certificate", name: t.fqdn, action: "certificate", status, message });
}

/** TLS is no longer wanted (settings or the consumer's choice): the policy leaves the route. */
async function dropPolicy(t: Target, pass: Pass): Promise<void> {
  if (t.row.certStatus === "off") return;
  if (pass.dryRun) return line(t, pass, "planned", "TLS is off now: the certificate policy will be dropped");
  await writeCertState(t.consumer, { certStatus: "off", certIssuer: null, certNotAfter: null, certError: null, certRetryAt: null, certAttempts: 0 });
  await pushRoute(t.consumer, pass.settings, pass.provider);
  line(t, pass, "ok", "TLS is off now: certificate policy dropped");
}

/** An issued certificate confirmed by a handshake, and reported when it expires soon. */
async function confirmIssued(t: Target, pass: Pass): Promise<void> {
  const { report, dryRun } = pass;
  const check = await pass.provider.inspectCertificate(t.fqdn, routeTls(pass.settings, t.row)!.issuer);
  if (check.status === "issued") {
    if (!dryRun) await writeCertState(t.consumer, { certIssuer: check.issuer, certNotAfter: check.notAfter, certCheckedAt: new Date() });
    report.issued++;
    if (check.notAfter.getTime() - t.now < tlsTimeouts().expiryWarnMs) {
      report.expiring++;
      if (!dryRun) await emitEventQuietly(expiringEvent(t.consumer, t.fqdn, check.notAfter, check.issuer));
      line(t, pass, "failed", `certificate from ${check.issuer} expires on ${check.notAfter.toISOString()} and has not been renewed`);
    }
    return;
  }
  // It was issued and is no longer served: record why, retry on the normal backoff,
  // and drop the redirect so plain HTTP serves again meanwhile.
  report.failed++;
  if (!dryRun) {
    await writeCertState(t.consumer, { certStatus: "failed", certError: check.error, certAttempts: t.row.certAttempts + 1, certRetryAt: nextRetryAt(t.row.certAttempts + 1), certCheckedAt: new Date() });
    await pushRoute(t.consumer, pass.settings, pass.provider);
  }
  line(t, pass, "failed", check.error);
}

/** A pending, failed or never-asked certificate ordered again once its backoff is due. */
async function retryWhenDue(t: Target, pass: Pass): Promise<void> {
  const { report } = pass;
  const due = t.row.certStatus === "off" || !t.row.certRetryAt || t.row.certRetryAt.getTime() <= t.now;
  if (!due) {
    if (t.row.certStatus === "failed") report.failed++;
    return line(t, pass, "skipped", `${t.row.certStatus}: next retry after ${t.row.certRetryAt!.toISOString()}${t.row.certError ? ` (${t.row.certError})` : ""}`);
  }
  if (pass.dryRun) return line(t, pass, "planned", `certificate ${t.row.certStatus}: would retry now`);
  const repushRoute = () => pushRoute(t.consumer, pass.settings, pass.provider);
  if (t.row.certStatus === "off") await repushRoute();
  report.retried++;
  const outcome = await ensureCertificate({ consumer: t.consumer, fqdn: t.fqdn, settings: pass.settings, retry: true, repushRoute });
  if (outcome.status === "issued") {
    report.issued++;
    line(t, pass, "ok", `issued by ${outcome.issuer}, valid until ${outcome.notAfter!.toISOString()}`);
  } else {
    report.failed++;
    line(t, pass, "failed", `${outcome.error ?? outcome.status}${outcome.retryAt ? `; next retry after ${outcome.retryAt.toISOString()}` : ""}`);
  }
}
