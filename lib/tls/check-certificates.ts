import { ConsumerLease, holderOperation } from "../consumers/consumer-lease";
import { db } from "../db";
import { upstreamFor } from "../deployer/container-plan";
import { ensureInstanceRoute } from "../deployer/instance-route";
import { getRuntime } from "../docker";
import { errorMessage } from "../errors";
import { instanceFqdn, type ConsumerRef } from "../naming";
import { pushProxyRoute } from "../standalone-proxies/proxy-certificate";
import { getProxyProvider } from "../proxy";
import type { ProxyProvider } from "../proxy/types";
import type { ReportLine } from "../reconcile/report";
import type { TSettings } from "../settings/schemas";
import { readTlsColumns, routeTls, wantsTls, writeCertState, type TlsColumns } from "./consumer-tls";
import { ensureCertificate } from "./ensure-certificate";
import { emitEventQuietly } from "../notifications/emit-event";
import { expiringEvent } from "../notifications/certificate-event";
import { nextRetryAt, tlsTimeouts } from "./timeouts";

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
}

/** The route of a consumer pushed again from its row (TLS policy added or dropped after a settings change). */
async function repushRoute(t: Target, settings: TSettings, provider: ProxyProvider): Promise<void> {
  if (t.consumer.type === "standalone") return pushProxyRoute({ id: t.consumer.id, settings, provider });
  const inst = await db.instance.findUnique({ where: { id: t.consumer.id } });
  const info = inst?.containerId ? await getRuntime().inspectContainer(inst.containerId) : null;
  if (!inst || !info) throw new Error(`instance ${t.consumer.id} has no container to route to`);
  await ensureInstanceRoute({ instance: inst, upstream: upstreamFor(settings, info, inst.port), settings });
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
  // Only ids and names here: each consumer is re-read under its lease before anything is decided (SPEC §13).
  const [instances, proxies] = await Promise.all([
    db.instance.findMany({ where: { status: "running", routeStatus: "active" }, select: { id: true, subdomain: true } }),
    db.standaloneProxy.findMany({ where: { routeStatus: "active" }, select: { id: true, domain: true } }),
  ]);
  const candidates = [
    ...instances.map((i) => ({ consumer: { type: "instance" as const, id: i.id }, fqdn: instanceFqdn(i.subdomain, settings.baseDomain) })),
    ...proxies.map((p) => ({ consumer: { type: "standalone" as const, id: p.id }, fqdn: p.domain })),
  ];
  for (const c of candidates) {
    const lease = await ConsumerLease.tryAcquire(c.consumer, "sync");
    if (!(lease instanceof ConsumerLease)) {
      const reason = `busy: ${holderOperation(lease.busy)}`;
      report.skipped.push({ consumer: `${c.consumer.type}:${c.consumer.id}`, name: c.fqdn, reason });
      report.lines.push({ kind: "certificate", name: c.fqdn, action: "skip", status: "skipped", message: `${reason}: left to the running operation` });
      continue;
    }
    lease.heartbeat();
    try {
      const row = await readTlsColumns(c.consumer);
      const still = c.consumer.type === "instance"
        ? await db.instance.count({ where: { id: c.consumer.id, status: "running", routeStatus: "active" } })
        : await db.standaloneProxy.count({ where: { id: c.consumer.id, routeStatus: "active" } });
      if (row && still) await checkOne({ consumer: c.consumer, fqdn: c.fqdn, row }, settings, provider, report, opts.dryRun === true);
    } finally {
      await lease.release();
    }
  }
  return report;
}

async function checkOne(t: Target, settings: TSettings, provider: ProxyProvider, report: CertificateReport, dryRun: boolean): Promise<void> {
  const now = Date.now();
  const line = (status: ReportLine["status"], message: string) => report.lines.push({ kind: "certificate", name: t.fqdn, action: "certificate", status, message });
  report.checked++;
  const wanted = wantsTls(settings, t.row);
  try {
    if (!wanted) {
      if (t.row.certStatus === "off") return;
      if (dryRun) { line("planned", "TLS is off now: the certificate policy will be dropped"); return; }
      await writeCertState(t.consumer, { certStatus: "off", certIssuer: null, certNotAfter: null, certError: null, certRetryAt: null, certAttempts: 0 });
      await repushRoute(t, settings, provider);
      line("ok", "TLS is off now: certificate policy dropped");
      return;
    }
    if (t.row.certStatus === "issued") {
      const check = await provider.inspectCertificate(t.fqdn, routeTls(settings, t.row)!.issuer);
      if (check.status === "issued") {
        if (!dryRun) await writeCertState(t.consumer, { certIssuer: check.issuer, certNotAfter: check.notAfter, certCheckedAt: new Date() });
        report.issued++;
        if (check.notAfter.getTime() - now < tlsTimeouts().expiryWarnMs) {
          report.expiring++;
          if (!dryRun) await emitEventQuietly(expiringEvent(t.consumer, t.fqdn, check.notAfter, check.issuer));
          line("failed", `certificate from ${check.issuer} expires on ${check.notAfter.toISOString()} and has not been renewed`);
        }
        return;
      }
      // It was issued and is no longer served: record why, retry on the normal backoff,
      // and drop the redirect so plain HTTP serves again meanwhile.
      report.failed++;
      if (!dryRun) {
        await writeCertState(t.consumer, { certStatus: "failed", certError: check.error, certAttempts: t.row.certAttempts + 1, certRetryAt: nextRetryAt(t.row.certAttempts + 1), certCheckedAt: new Date() });
        await repushRoute(t, settings, provider);
      }
      line("failed", check.error);
      return;
    }
    const due = t.row.certStatus === "off" || !t.row.certRetryAt || t.row.certRetryAt.getTime() <= now;
    if (!due) {
      if (t.row.certStatus === "failed") report.failed++;
      line("skipped", `${t.row.certStatus}: next retry after ${t.row.certRetryAt!.toISOString()}${t.row.certError ? ` (${t.row.certError})` : ""}`);
      return;
    }
    if (dryRun) { line("planned", `certificate ${t.row.certStatus}: would retry now`); return; }
    if (t.row.certStatus === "off") await repushRoute(t, settings, provider);
    report.retried++;
    const outcome = await ensureCertificate({ consumer: t.consumer, fqdn: t.fqdn, settings, retry: true, repushRoute: () => repushRoute(t, settings, provider) });
    if (outcome.status === "issued") {
      report.issued++;
      line("ok", `issued by ${outcome.issuer}, valid until ${outcome.notAfter!.toISOString()}`);
    } else {
      report.failed++;
      line("failed", `${outcome.error ?? outcome.status}${outcome.retryAt ? `; next retry after ${outcome.retryAt.toISOString()}` : ""}`);
    }
  } catch (err) {
    report.failed++;
    line("failed", errorMessage(err));
  }
}
