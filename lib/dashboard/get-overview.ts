import { db } from "../db";
import { liveIssuances } from "../proxy/npm-cert-intent";
import { npmCertificateTimeoutMs } from "../proxy/npm";
import { listCertificateWarnings } from "../tls/certificate-warnings";
import { listDomainWarnings } from "../domains/domain-warnings";

/** Counts and recent activity for the dashboard. */
export async function getOverview() {
  const [byStatus, proxies, records, failedRecords, lastSync, recent, certificates, domains, npmIssuing] = await Promise.all([
    db.instance.groupBy({ by: ["status"], _count: { _all: true } }),
    db.standaloneProxy.count(),
    db.dnsRecord.count(),
    db.dnsRecord.count({ where: { status: "failed" } }),
    db.syncRun.findFirst({ where: { status: { not: "running" } }, orderBy: { startedAt: "desc" } }),
    db.auditEvent.findMany({ orderBy: { createdAt: "desc" }, take: 8 }),
    listCertificateWarnings({ take: 5 }),
    listDomainWarnings({ take: 5 }),
    // Names NPM has taken out of nginx while certbot runs for them (issue 22).
    liveIssuances(npmCertificateTimeoutMs()),
  ]);
  const instances = Object.fromEntries(byStatus.map((r) => [r.status, r._count._all])) as Record<string, number>;
  return {
    instances: { total: Object.values(instances).reduce((a, b) => a + b, 0) - (instances.removed ?? 0), byStatus: instances },
    proxies,
    records: { total: records, failed: failedRecords },
    lastSync,
    recent,
    certificates,
    domains,
    npmIssuing,
  };
}
