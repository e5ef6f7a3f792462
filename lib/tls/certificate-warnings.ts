import { db } from "../db";
import { instanceFqdn } from "../naming";
import { getSettings } from "../settings/get-settings";
import { tlsTimeouts } from "./timeouts";

export interface CertificateWarning {
  consumerType: "instance" | "standalone";
  id: string;
  fqdn: string;
  status: string;
  error: string | null;
  notAfter: Date | null;
  retryAt: Date | null;
}

/**
 * Certificates that need the operator's eye (SPEC §7): failed, or issued but
 * expiring within 14 days (Caddy renews well before that, so one this close
 * was not renewed). Two indexed-column queries, bounded by `take`.
 */
export async function listCertificateWarnings(opts: { take?: number } = {}): Promise<{ total: number; items: CertificateWarning[] }> {
  const soon = new Date(Date.now() + tlsTimeouts().expiryWarnMs);
  const where = { OR: [{ certStatus: "failed" }, { certStatus: "issued", certNotAfter: { lt: soon } }] };
  const take = opts.take ?? 20;
  const select = { id: true, certStatus: true, certError: true, certNotAfter: true, certRetryAt: true } as const;
  const [settings, instances, proxies, nInstances, nProxies] = await Promise.all([
    getSettings(),
    db.instance.findMany({ where: { ...where, status: { not: "removed" } }, select: { ...select, subdomain: true }, take }),
    db.standaloneProxy.findMany({ where, select: { ...select, domain: true }, take }),
    db.instance.count({ where: { ...where, status: { not: "removed" } } }),
    db.standaloneProxy.count({ where }),
  ]);
  const shape = (type: CertificateWarning["consumerType"], r: (typeof instances)[number] | (typeof proxies)[number], fqdn: string): CertificateWarning => ({
    consumerType: type, id: r.id, fqdn, status: r.certStatus, error: r.certError, notAfter: r.certNotAfter, retryAt: r.certRetryAt,
  });
  const items = [
    ...instances.map((i) => shape("instance", i, instanceFqdn(i.subdomain, settings.baseDomain))),
    ...proxies.map((p) => shape("standalone", p, p.domain)),
  ].slice(0, take);
  return { total: nInstances + nProxies, items };
}
